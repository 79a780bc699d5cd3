"""Fetching upstream pages through the SSRF-guarded HTTP client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tornado.httpclient import HTTPRequest, HTTPResponse
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from ._ssrf import AddressPolicy, GuardedResolver


class Upstream:
    """An HTTP client that can only connect to addresses the policy allows."""

    def __init__(
        self,
        policy: AddressPolicy,
        timeout: float,
        max_body_size: int,
        stream_timeout: float,
        max_clients: int = 256,
    ) -> None:
        self.timeout = timeout  # until the response's headers (enforced by the caller)
        self.stream_timeout = stream_timeout  # for the whole exchange: long downloads, streams
        self.resolver = GuardedResolver(policy)
        # The simple client explicitly: only it resolves through our guarded resolver.
        self.client = SimpleAsyncHTTPClient(
            force_instance=True,
            max_clients=max_clients,
            resolver=self.resolver,
            max_body_size=max_body_size,
            max_buffer_size=max_body_size,
        )

    async def fetch(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        header_callback: Callable[[str], None] | None = None,
        streaming_callback: Callable[[bytes], Awaitable[None] | None] | None = None,
    ) -> HTTPResponse:
        """One request, redirects not followed (the browser follows them through the proxy)."""
        request = HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=body if method not in ("GET", "HEAD") else None,
            follow_redirects=False,
            decompress_response=True,
            connect_timeout=min(10.0, self.timeout),
            request_timeout=self.stream_timeout,
            allow_nonstandard_methods=True,
            validate_cert=True,
            header_callback=header_callback,
            streaming_callback=streaming_callback,
        )
        return await self.client.fetch(request, raise_error=False)

    def close(self) -> None:
        """Release the client's connections."""
        self.client.close()

"""Fetching upstream pages: a pooled aiohttp client that only connects where the policy allows."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from tornado.httputil import HTTPHeaders
from yarl import URL

from ._ssrf import AddressPolicy, GuardedResolver


class _GuardedAiohttpResolver(AbstractResolver):
    """Resolves like aiohttp, then drops the addresses the policy refuses, so every pooled
    connection was opened to an allowed address."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        resolved = await self.resolver.resolve(host, port, family)
        allowed = set(self.policy.permitted(host, (info["host"] for info in resolved), port))
        return [info for info in resolved if info["host"] in allowed]

    async def close(self) -> None:
        await self.resolver.close()


_BROTLI_OK = b"\x8b\x00\x80ok\x03"  # "ok", Brotli-compressed


def trusting(ca_file: str = "") -> ssl.SSLContext:
    """The TLS context of upstream connections: the system's certificate authorities, and
    those in ``ca_file`` (PEM) too when one is given."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def accept_encoding() -> str:
    """The codings to ask sites for: Brotli only where aiohttp can decode it here. brotlipy
    takes the same import name as Google's Brotli, and it and Brotli < 1.2 fail on the output
    limit aiohttp passes, so a br answer would be lost."""
    try:
        from aiohttp.compression_utils import BrotliDecompressor

        works = BrotliDecompressor().decompress_sync(_BROTLI_OK, max_length=64) == b"ok"
    except Exception:  # not installed, or not a decoder aiohttp can drive
        works = False
    return "gzip, deflate, br" if works else "gzip, deflate"


class UpstreamResponse:
    """An answer whose headers are in; its body is read with ``chunks()``."""

    def __init__(self, response: aiohttp.ClientResponse, max_body_size: int) -> None:
        self._response = response
        self._max_body_size = max_body_size
        self.code = response.status
        self.reason = response.reason or ""
        self.headers = HTTPHeaders()
        for name, value in response.raw_headers:
            self.headers.add(name.decode("latin-1"), value.decode("latin-1"))

    async def chunks(self) -> Any:
        """The (decoded) body in pieces; raises ValueError past the size limit."""
        size = 0
        async for chunk in self._response.content.iter_chunked(65536):
            size += len(chunk)
            if size > self._max_body_size:
                raise ValueError(f"the answer is larger than {self._max_body_size} bytes")
            yield chunk

    def release(self) -> None:
        """Give the connection back to the pool (or close it if the body was not read)."""
        self._response.release()


class Upstream:
    """Keep-alive HTTP(S) connections to sites, opened only to addresses the policy allows."""

    def __init__(
        self,
        policy: AddressPolicy,
        timeout: float,
        max_body_size: int,
        stream_timeout: float,
        max_connections: int = 256,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy
        self.ssl_context = ssl_context or trusting()
        self.timeout = timeout  # until the answer's headers
        self.stream_timeout = stream_timeout  # for the whole exchange: downloads, streams
        self.max_body_size = max_body_size
        self.max_connections = max_connections
        self.resolver = GuardedResolver(policy)  # tornado's, for the WebSocket proxy
        self.accept_encoding = accept_encoding()
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=_GuardedAiohttpResolver(self.policy),
                limit=self.max_connections,
                ssl=self.ssl_context,
                ttl_dns_cache=10,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # cookies live in the session's own jar
                trust_env=False,  # no environment proxies: the guard sees every connection
                auto_decompress=True,
                timeout=aiohttp.ClientTimeout(
                    total=self.stream_timeout, sock_connect=min(10.0, self.timeout)
                ),
            )
        return self._session

    def _check_literal(self, url: str) -> None:
        """aiohttp connects to an IP address in the URL without resolving it: check it here,
        also in the legacy forms (``2130706433``, ``0x7f.1``) the C library would accept."""
        parts = urlsplit(url)
        host = (parts.hostname or "").strip("[]")
        try:
            address = str(ipaddress.ip_address(host))
        except ValueError:
            try:
                address = socket.inet_ntoa(socket.inet_aton(host))
            except OSError:
                return  # a name: the guarded resolver checks what it resolves to
        port = parts.port if parts.port is not None else 443 if parts.scheme == "https" else 80
        self.policy.permitted(host, [address], port)

    async def open(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> UpstreamResponse:
        """Send one request and wait (at most ``timeout``) for the answer's headers. Redirects
        are not followed: the browser follows them through the proxy, checked again."""
        self._check_literal(url)
        request = self._client().request(
            method,
            URL(url, encoded=True),
            headers={**headers, "Accept-Encoding": self.accept_encoding},
            data=body if body else None,
            allow_redirects=False,
            skip_auto_headers=("User-Agent",),
        )
        response = await asyncio.wait_for(request, self.timeout)
        return UpstreamResponse(response, self.max_body_size)

    async def close(self) -> None:
        """Close the pooled connections."""
        if self._session is not None:
            await self._session.close()
        self.resolver.close()

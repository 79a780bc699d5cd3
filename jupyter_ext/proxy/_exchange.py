"""One exchange with a site on a participant's behalf: the request as a tab would send it,
the room's cookies and cache, and the answer rewritten (pages) or streamed (everything else)
back to the browser within the proxy's bounds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Protocol

from tornado.httputil import HTTPHeaders, HTTPServerRequest

from ..rewrite import extract_mime_type, media_type, rewritable, rewrite_body
from ._cache import Lookup, Stored
from ._fetch import UpstreamResponse
from ._headers import browser_response_headers, tab_context, upstream_request_headers
from ._pages import agent_tags, error_text, failure_reason
from ._results import Result
from ._services import ProxyServices
from ._sessions import Capability

REPLAYABLE = ("GET", "HEAD")
SAFE = ("GET", "HEAD", "OPTIONS")
# Bodies larger than this are rewritten on a worker thread (~1 ms of work inline; a page of many
# megabytes takes a second, which would stop every room on the server).
INLINE_REWRITE = 64 * 1024
# A request with these asks for something the cache does not keep (a part, its own check).
UNCACHED = ("range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since",
            "if-range")  # fmt: skip
STALL = 60.0  # seconds a browser may stop reading a streamed answer before it is cut off


class OverLimit(Exception):
    """A request or an answer would pass one of the proxy's bounds."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class Answering(Protocol):
    """The browser's side of an exchange: the proxy's request handler (tornado's)."""

    request: HTTPServerRequest
    services: ProxyServices
    upload: bytearray  # the request body, read
    gone: bool  # the browser closed the connection
    _headers_written: bool

    def hold(self, size: int) -> bool: ...
    def is_navigation(self) -> bool: ...
    def text(self, status: int, text: str) -> None: ...
    def set_status(self, status_code: int, reason: str | None = None) -> None: ...
    def set_header(self, name: str, value: Any) -> None: ...
    def add_header(self, name: str, value: Any) -> None: ...
    def clear_header(self, name: str) -> None: ...
    def clear(self) -> None: ...
    def write(self, chunk: bytes) -> None: ...
    def flush(self) -> Any: ...
    def finish(self, chunk: bytes | None = None) -> Any: ...


class Exchange:
    """One upstream exchange: HTML and CSS are buffered and rewritten, everything else streams
    to the browser as it arrives (with back-pressure), so large downloads are never held."""

    def __init__(
        self,
        handler: Answering,
        capability: Capability,
        url: str,
        prefix: str,
        credentialed: bool,
        token: str,
        page: str | None,
        cross_site: bool = False,
    ) -> None:
        self.handler = handler
        self.token = token
        self.page = page  # the page the request comes from, when known
        self.session = capability.session
        self.read_only = capability.read_only  # a reader's loads never change the room's jar
        self.url = url
        self.prefix = prefix
        self.method = handler.request.method or "GET"
        self.credentialed = credentialed
        self.cross_site = cross_site  # a navigation a page of another site started
        self.navigation = handler.is_navigation()
        self.holding_slot = False

    async def run(self, partition: str | None) -> None:
        """Relay the exchange, holding one of the session's upstream slots until the answer
        starts streaming (a long download must not keep the room's other pages waiting).
        A sub-resource the room's cache (``partition``: the page's site) holds fresh is
        answered from it."""
        request = self.handler.request
        headers = upstream_request_headers(request.headers.get_all())
        sends_origin = "Origin" in request.headers
        headers |= tab_context(self.page, self.url, self.method, sends_origin)
        headers = self._with_cookie(headers)
        lookup = None
        if (
            self.method == "GET"
            and not self.navigation
            and not any(name.lower() in UNCACHED for name in headers)
        ):
            lookup = self.session.cache.lookup(partition, self.url, headers)
            if lookup.fresh is not None:
                return await self._deliver(_Kept(lookup.fresh), None)
        await self.session.upstream_slots.acquire()
        self.holding_slot = True
        try:
            await self._exchange(headers, lookup)
        finally:
            self._release_slot()

    def _release_slot(self) -> None:
        if self.holding_slot:
            self.holding_slot = False
            self.session.upstream_slots.release()

    def _with_cookie(self, headers: dict[str, str]) -> dict[str, str]:
        if self.credentialed:
            safe = self.method in REPLAYABLE
            cookie = self.session.jar.header_for(self.url, self.cross_site, safe)
            if cookie:
                headers["Cookie"] = cookie
        return headers

    async def _exchange(self, headers: dict[str, str], lookup: Lookup | None) -> None:
        handler = self.handler
        upstream = handler.services.upstream
        validators = lookup.validators if lookup else {}
        try:
            # request_timeout bounds the wait for the answer's headers; a body may then stream
            # for as long as stream_timeout allows (downloads, video, event streams).
            response: UpstreamResponse | _Kept = await upstream.open(
                self.method, self.url, headers | validators, bytes(handler.upload)
            )
            if lookup is not None:
                kept = lookup.answered(response.code, response.reason, response.headers.get_all())
                if kept is not None:  # the site confirmed the kept answer
                    response.release()
                    response = _Kept(kept)
                elif validators and response.code == 304:  # it matched nothing kept
                    response.release()
                    response = await upstream.open(self.method, self.url, headers, None)
                    lookup = None
        except Exception as exc:
            return self._failed(exc)
        if self.credentialed and not self.read_only and isinstance(response, UpstreamResponse):
            self.session.jar.store(self.url, response.headers.get_list("Set-Cookie"))
        if self.method not in SAFE and response.code < 400:
            self.session.cache.invalidate(self.url)
        await self._deliver(response, lookup)

    async def _deliver(self, response: UpstreamResponse | _Kept, lookup: Lookup | None) -> None:
        handler = self.handler
        try:
            content_type = response.headers.get("Content-Type", "")
            if self._error_page(response):
                return await self._finish_buffered(response, b"")  # its body is not shown
            if rewritable(content_type):
                body = await self._read_page(response)
                if lookup is not None and lookup.wants_body:
                    lookup.keep(response.code, response.reason, body)
                return await self._finish_buffered(response, body)
            await self._stream(response, lookup)
        except Exception as exc:
            if handler._headers_written:  # the browser has part of the body: cut it short
                handler.services.log.info("cobrowse: %s broke off: %r", self.url, exc)
                handler.request.connection.close()  # type: ignore[union-attr]
                return
            return self._failed(exc)
        finally:
            response.release()

    async def _read_page(self, response: UpstreamResponse | _Kept) -> bytes:
        """The whole body of a page to rewrite, within the page limits: its size, the time it
        may take to arrive, and the server's budget of bytes in flight."""
        handler = self.handler
        limit = handler.services.limits.max_page_size
        parts: list[bytes] = []
        size = 0

        async def read() -> None:
            nonlocal size
            async for chunk in response.chunks():
                if handler.gone:
                    raise ConnectionAbortedError("the browser went away")
                size += len(chunk)
                if size > limit:
                    raise OverLimit(502, f"the page is larger than the {limit} bytes it may have")
                if not handler.hold(len(chunk)):
                    raise OverLimit(503, "the server is busy with other large pages")
                parts.append(chunk)

        await asyncio.wait_for(read(), handler.services.limits.page_timeout)
        return b"".join(parts)

    def _failed(self, exc: BaseException) -> None:
        self.handler.services.log.info("cobrowse: %s failed: %r", self.url, exc)
        self.handler.clear()  # none of the site's headers on our error page
        status = 504 if "timeout" in type(exc).__name__.lower() else 502
        if isinstance(exc, OverLimit):
            status = exc.status
        self.handler.text(status, error_text(self.url, failure_reason(exc, self.url)))

    def _error_page(self, response: UpstreamResponse | _Kept) -> bool:
        """A server error met while loading a page is shown as a readable text page; a
        script's request gets the site's own answer."""
        return response.code >= 500 and self.navigation

    async def _stream(self, response: UpstreamResponse | _Kept, lookup: Lookup | None) -> None:
        """Stream the body on a connection of the pool, which every room shares: a room, and
        all rooms together, may only keep part of it streaming (503 past that, rather than
        holding a connection while waiting), and a browser that stops reading is cut off."""
        handler = self.handler
        counts = [self.session.open_streams, handler.services.streams]
        if not isinstance(response, UpstreamResponse):
            counts = []  # a kept answer holds no connection
        if any(count.locked() for count in counts):
            raise OverLimit(503, "too many answers are streaming at once")
        for count in counts:
            await count.acquire()  # not locked: no wait
        try:
            await self._stream_body(response, lookup)
        finally:
            for count in counts:
                count.release()

    async def _stream_body(self, response: UpstreamResponse | _Kept, lookup: Lookup | None) -> None:
        handler = self.handler
        self._release_slot()
        self._start_response(response)
        encoding = response.headers.get("Content-Encoding", "identity").lower()
        bodiless = response.code in (204, 304)
        if "Content-Length" in response.headers and encoding == "identity" and not bodiless:
            handler.set_header("Content-Length", response.headers["Content-Length"])
        if bodiless or self.method == "HEAD":
            handler.finish()
            return
        await asyncio.wait_for(handler.flush(), STALL)
        kept: list[bytes] | None = [] if lookup is not None and lookup.wants_body else None
        size = 0
        async for chunk in response.chunks():
            handler.write(chunk)
            await asyncio.wait_for(handler.flush(), STALL)  # a slow browser slows the site
            if kept is not None:
                size += len(chunk)
                if size > self.session.cache.max_entry or not handler.hold(len(chunk)):
                    kept = None  # too large to keep, or the server holds too much already
                else:
                    kept.append(chunk)
        if kept is not None and lookup is not None:
            lookup.keep(response.code, response.reason, b"".join(kept))
        handler.finish()

    def _start_response(self, response: UpstreamResponse | _Kept) -> None:
        handler = self.handler
        handler.set_status(response.code, response.reason or "Unknown")
        handler.clear_header("Content-Type")  # tornado's default; the site's own (if any) follows
        for name, value in browser_response_headers(
            response.headers.get_all(), self.url, self.prefix, self.navigation
        ):
            handler.add_header(name, value)

    async def _finish_buffered(self, response: UpstreamResponse | _Kept, body: bytes) -> None:
        handler = self.handler
        if self._error_page(response):
            reason = f"the site answered {response.code} {response.reason}"
            return handler.text(response.code, error_text(self.url, reason))
        self._start_response(response)
        content_type = response.headers.get("Content-Type", "")
        result_id = None
        if self.method not in REPLAYABLE and self.navigation and response.code == 200:
            result_id = self.session.results.new_id()
        if body:
            tags = agent_tags(
                handler.services.agent,
                self.url,
                self.prefix,
                self.session.jar.for_scripts(self.url) if self.credentialed else "",
                result_id,
            )
            origin = f"{handler.request.protocol}://{handler.request.host}"
            args = (body, content_type, self.url, self.prefix, tags, origin)
            if len(body) > INLINE_REWRITE:  # other rooms' pages and sockets must not wait
                rewriters = handler.services.rewriters
                body = await asyncio.get_running_loop().run_in_executor(
                    rewriters, rewrite_body, *args
                )
            else:
                body = rewrite_body(*args)
        if self.navigation and media_type(content_type) in ("text/html", "application/xhtml+xml"):
            self.session.loaded(self.token, self.url)
        if result_id is not None:
            kept_type = str(extract_mime_type([content_type]))  # HTML: rewritable, so valid
            self.session.results.keep(result_id, Result(self.url, kept_type, body))
        if self.method == "HEAD" or response.code in (204, 304):
            handler.finish()
        else:
            handler.finish(body)


class _Kept:
    """A kept answer from the room's cache, read like a site's."""

    def __init__(self, stored: Stored) -> None:
        self.code = stored.code
        self.reason = stored.reason
        self.headers = HTTPHeaders()
        for name, value in stored.headers:
            self.headers.add(name, value)
        self._body = stored.body

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self._body

    def release(self) -> None:
        """Nothing to give back."""

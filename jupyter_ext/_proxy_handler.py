"""The HTTP side of the proxy: capability URLs in, rewritten or streamed upstream responses out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from tornado import web
from tornado.http1connection import HTTP1Connection
from tornado.httputil import HTTPHeaders

from ._cache import Lookup, Stored
from ._demo import demo_file, is_demo
from ._fetch import UpstreamResponse
from ._headers import browser_response_headers, tab_context, upstream_request_headers
from ._mime import extract_mime_type
from ._proxy import (
    AGENT_PATH,
    SECURITY_HEADERS,
    agent_tags,
    error_text,
    failure_reason,
    media_type,
    rewritable,
    rewrite_body,
)
from ._results import Result
from ._sessions import Capability, Session, proxy_prefix
from ._sites import site_of
from ._urls import from_proxy

if TYPE_CHECKING:
    from ._app import CoBrowse

OWN = "_/"  # the proxy's own paths under a session: agent.js, cookie, result/<id>/...
COOKIE = "_/cookie"
RESULT = "_/result/"
REPLAYABLE = ("GET", "HEAD")
# Bodies larger than this are rewritten on a worker thread (~1 ms of work inline; a page of many
# megabytes takes a second, which would stop every room on the server).
INLINE_REWRITE = 64 * 1024
SAFE = ("GET", "HEAD", "OPTIONS")
# A request with these asks for something the cache does not keep (a part, its own check).
UNCACHED = ("range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since",
            "if-range")  # fmt: skip
COOKIE_BODY = 8 * 1024  # a document.cookie assignment: browsers keep 4 KiB a cookie
STALL = 60.0  # seconds a browser may stop reading a streamed answer before it is cut off


class OverLimit(Exception):
    """A request or an answer would pass one of the proxy's bounds."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@web.stream_request_body
class ProxyHandler(web.RequestHandler):
    """Serves upstream pages under a session's capability URL, rewritten and sandboxed.

    Deliberately not a JupyterHandler: the capability in the path is the credential, the only
    browser cookie read is the browser pass (see ``_browser_pass``), and nothing here may set a
    cookie. Request bodies are read as they arrive, within a size limit and the server's
    in-flight budget.
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")

    def initialize(self, cobrowse: CoBrowse) -> None:
        self.cobrowse = cobrowse
        self.upload = bytearray()
        self._held = 0  # bytes of the server's in-flight budget this request holds
        self._refused: OverLimit | None = None
        self._started = False  # the method runs (after the whole request body arrived)
        self.gone = False  # the browser closed the connection

    def prepare(self) -> None:
        cookie = self.request.path.endswith("/" + COOKIE)
        limit = COOKIE_BODY if cookie else self.cobrowse.max_request_size
        length = self.request.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > limit:
            return self._text(413, f"cobrowse proxy: a request body is limited to {limit} bytes.\n")
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.set_max_body_size(limit)  # a chunked body stops there too
            connection.set_body_timeout(self.cobrowse.page_timeout)

    def data_received(self, chunk: bytes) -> None:
        if self._refused is not None:
            return
        if not self.hold(len(chunk)):
            self._refused = OverLimit(503, "the server holds too many uploads at once")
            return
        self.upload += chunk

    def hold(self, size: int) -> bool:
        """Count ``size`` more bytes against the server's in-flight budget, if it allows."""
        if not self.cobrowse.in_flight.take(size):
            return False
        self._held += size
        return True

    def on_finish(self) -> None:
        self._give_back()

    def on_connection_close(self) -> None:
        self.gone = True
        if not self._started:  # an upload cut off: the method never runs to give it back
            self._give_back()

    def _give_back(self) -> None:
        self.cobrowse.in_flight.give_back(self._held)
        self._held = 0
        self.upload = bytearray()

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        self.clear_header("Server")
        origin = self.request.headers.get("Origin")
        if origin:
            # Pages fetch with credentials too: that needs their (opaque, "null") origin named.
            # Safe because the token is the key: the only cookie the proxy reads, the browser
            # pass, counts with navigations only, which scripts cannot make their requests.
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Access-Control-Allow-Credentials", "true")
            self.add_header("Vary", "Origin")

    def check_xsrf_cookie(self) -> None:
        """Page forms post here from an opaque origin; the capability URL is the credential."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"cobrowse proxy: {status_code} {self._reason}\n")

    async def get(self, token: str) -> None:
        self._started = True
        try:
            await self._handle(token)
        finally:  # the bytes held are given back when the work is done, not when the browser
            self._give_back()  # leaves: a page being read goes on holding memory till then

    head = post = put = delete = patch = get

    async def options(self, token: str) -> None:
        if "Access-Control-Request-Method" not in self.request.headers:
            return await self.get(token)
        # A CORS preflight from the page (its origin is opaque): answered here, never forwarded.
        self.set_header("Access-Control-Allow-Methods", ", ".join(self.SUPPORTED_METHODS))
        requested = self.request.headers.get("Access-Control-Request-Headers")
        if requested:
            self.set_header("Access-Control-Allow-Headers", requested)
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.finish()

    def _text(self, status: int, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(text)

    def _is_navigation(self) -> bool:
        """A page load in a frame (not a script's or an element's fetch). Browsers set the header
        themselves and scripts cannot forge it; without it (browsers send it to secure contexts
        only: https or localhost) nothing counts as a navigation, so no site's token is handed
        out and nothing is sent with cookies."""
        return self.request.headers.get("Sec-Fetch-Mode") == "navigate"

    def _may_move(self) -> bool:
        """A navigation in a participant's browser, which may be moved to another site's token:
        the header alone is forged by any client outside a browser, the pass is not."""
        return self._is_navigation() and self.cobrowse.browser_pass.held_by(self.request)

    async def _handle(self, token: str) -> None:
        if self._refused is not None:
            return self._text(self._refused.status, f"cobrowse proxy: {self._refused}.\n")
        capability = self.cobrowse.sessions.find(token)
        if capability is None:
            return self._text(404, "cobrowse proxy: unknown or expired session.\n")
        session = capability.session
        if capability.read_only and self.request.method not in SAFE:
            return self._text(403, "cobrowse proxy: a view-only participant only reads pages.\n")
        prefix = proxy_prefix(self.settings.get("base_url", "/"), token)
        rest = self.request.path[len(prefix) :]
        if rest.startswith(OWN):
            return self._own(capability, prefix, rest)
        try:
            url = from_proxy(rest, self.request.query)
        except ValueError as exc:
            return self._text(400, f"cobrowse proxy: not a proxied address ({exc}).\n")
        if not url.startswith(("http://", "https://")):
            return self._text(400, "cobrowse proxy: WebSocket addresses need a WebSocket.\n")
        site = site_of(url)
        if site != capability.site and self._is_navigation():
            if self._may_move():  # the participant's frame: to the site's own token
                from_site = token if capability.site is not None else None
                return self._move_to_site(capability, site, rest, from_site)
            if capability.site is not None:  # a frame a page embeds: never under this token
                return self._move_to_site(capability, site, rest, anonymous=True)
        if is_demo(url):
            return self._demo(capability, url, prefix)
        # Another site's resources load without the room's cookies, as third-party ones; a
        # navigation another site's page started gets them as SameSite allows.
        arrived = time.time() - self.request.request_time()  # before a long body was read
        cross_site, referrer = False, None
        if self._is_navigation():
            method = self.request.method or "GET"
            cross_site, referrer = session.crossed(token, self.request.uri or "", method, arrived)
        credentialed = site == capability.site and capability.credentialed
        page = referrer if cross_site else self._requesting_page(session, token)
        relay = _Relay(self, capability, url, prefix, credentialed, token, page, cross_site)
        # An anonymous frame's answers are kept apart from those fetched with cookies.
        await relay.run(
            f"{capability.site} (anonymous)" if capability.anonymous else capability.site
        )

    def _requesting_page(self, session: Session, token: str) -> str | None:
        """The page a request comes from, as far as the proxy knows: the last one loaded under
        its token; none for a navigation the widget itself started (a typed address)."""
        if self._is_navigation() and self.request.headers.get("Sec-Fetch-Site") == "same-origin":
            return None
        return session.documents.get(token)

    def _move_to_site(
        self, capability: Capability, site: str, rest: str, from_site: str | None = None,
        anonymous: bool = False,
    ) -> None:  # fmt: skip
        """Send a navigation on to the target site's own capability (307 keeps a form's body),
        or its ``anonymous`` one. One that a page of another site started (under the token
        ``from_site``) is remembered as cross-site, with the page it came from."""
        session = capability.session
        sessions = self.cobrowse.sessions
        token = sessions.site_token(session, site, capability.read_only, anonymous)
        query = f"?{self.request.query}" if self.request.query else ""
        target = proxy_prefix(self.settings.get("base_url", "/"), token) + rest + query
        method = self.request.method or "GET"
        if from_site is not None:
            session.crossing(token, target, method, self._requesting_page(session, from_site))
        self.redirect(target, status=302 if method in REPLAYABLE else 307)

    def _own(self, capability: Capability, prefix: str, rest: str) -> None:
        session = capability.session
        if rest == AGENT_PATH and self.request.method in REPLAYABLE:
            agent = self.cobrowse.agent.encode()
            self.set_header("Content-Type", "text/javascript; charset=utf-8")
            self.set_header("Content-Length", str(len(agent)))
            self.finish(agent if self.request.method == "GET" else b"")
            return
        if rest == COOKIE and self.request.method == "POST":
            url = parse_qs(self.request.query).get("url", [""])[0]
            if not url.startswith(("http://", "https://")):
                return self._text(400, "cobrowse proxy: cookie needs the page's url.\n")
            if site_of(url) != capability.site or not capability.credentialed:
                return self._text(403, "cobrowse proxy: a page sets cookies of its own site.\n")
            session.jar.store_from_script(url, self.upload.decode("utf-8", "replace"))
            self.set_status(204)
            self.finish()
            return
        if rest.startswith(RESULT):
            result_id, _, inner = rest[len(RESULT) :].partition("/")
            result = session.results.get(result_id)
            if result is not None and self._is(inner, result.url):
                site = site_of(result.url)
                if site == capability.site:  # a kept page is only ever read under its own site
                    self.set_header("Content-Type", result.content_type)
                    self.finish(result.body)
                    return
                if self._may_move():
                    return self._move_to_site(capability, site, rest)
                return self._text(403, "cobrowse proxy: that result belongs to another site.\n")
            # Anything else under a kept result (its relative links) lives at its usual place.
            query = f"?{self.request.query}" if self.request.query else ""
            self.redirect(prefix + inner + query)
            return
        return self._text(404, "cobrowse proxy: no such proxy resource.\n")

    def _is(self, rest: str, url: str) -> bool:
        try:
            return from_proxy(rest, self.request.query) == url
        except ValueError:
            return False

    def _demo(self, capability: Capability, url: str, prefix: str) -> None:
        found = demo_file(url)
        if found is None:
            return self._text(404, error_text(url, "the demo site has no such page"))
        body, content_type = found
        self.set_header("Content-Type", content_type)
        if rewritable(content_type):
            cookies = script_cookies(capability, url)
            tags = agent_tags(self.cobrowse.agent, url, prefix, cookies)
            body = rewrite_body(body, content_type, url, prefix, tags)
        self.finish(b"" if self.request.method == "HEAD" else body)


def script_cookies(capability: Capability, url: str) -> str:
    """What ``document.cookie`` shows a document at ``url`` served under ``capability``: the
    room's cookies only for its own site's pages under a token that carries them."""
    if site_of(url) != capability.site or not capability.credentialed:
        return ""
    return capability.session.jar.for_scripts(url)


class _Relay:
    """One upstream exchange: HTML and CSS are buffered and rewritten, everything else streams
    to the browser as it arrives (with back-pressure), so large downloads are never held."""

    def __init__(
        self,
        handler: ProxyHandler,
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
        self.navigation = handler._is_navigation()
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
        upstream = handler.cobrowse.upstream
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
                handler.cobrowse.log.info("cobrowse: %s broke off: %r", self.url, exc)
                handler.request.connection.close()  # type: ignore[union-attr]
                return
            return self._failed(exc)
        finally:
            response.release()

    async def _read_page(self, response: UpstreamResponse | _Kept) -> bytes:
        """The whole body of a page to rewrite, within the page limits: its size, the time it
        may take to arrive, and the server's budget of bytes in flight."""
        handler = self.handler
        limit = handler.cobrowse.max_page_size
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

        await asyncio.wait_for(read(), handler.cobrowse.page_timeout)
        return b"".join(parts)

    def _failed(self, exc: BaseException) -> None:
        self.handler.cobrowse.log.info("cobrowse: %s failed: %r", self.url, exc)
        self.handler.clear()  # none of the site's headers on our error page
        status = 504 if "timeout" in type(exc).__name__.lower() else 502
        if isinstance(exc, OverLimit):
            status = exc.status
        self.handler._text(status, error_text(self.url, failure_reason(exc, self.url)))

    def _error_page(self, response: UpstreamResponse | _Kept) -> bool:
        """A server error met while loading a page is shown as a readable text page; a
        script's request gets the site's own answer."""
        return response.code >= 500 and self.navigation

    async def _stream(self, response: UpstreamResponse | _Kept, lookup: Lookup | None) -> None:
        """Stream the body on a connection of the pool, which every room shares: a room, and
        all rooms together, may only keep part of it streaming (503 past that, rather than
        holding a connection while waiting), and a browser that stops reading is cut off."""
        handler = self.handler
        counts = [self.session.open_streams, handler.cobrowse.streams]
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
            return handler._text(response.code, error_text(self.url, reason))
        self._start_response(response)
        content_type = response.headers.get("Content-Type", "")
        result_id = None
        if self.method not in REPLAYABLE and self.navigation and response.code == 200:
            result_id = self.session.results.new_id()
        if body:
            tags = agent_tags(
                handler.cobrowse.agent,
                self.url,
                self.prefix,
                self.session.jar.for_scripts(self.url) if self.credentialed else "",
                result_id,
            )
            origin = f"{handler.request.protocol}://{handler.request.host}"
            args = (body, content_type, self.url, self.prefix, tags, origin)
            if len(body) > INLINE_REWRITE:  # other rooms' pages and sockets must not wait
                rewriters = handler.cobrowse.rewriters
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

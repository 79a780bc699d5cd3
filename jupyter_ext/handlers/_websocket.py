"""WebSockets of proxied pages: the browser's socket to the proxy, relayed to the upstream one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from ada_url import URL
from tornado import web
from tornado.httpclient import HTTPRequest
from tornado.httputil import HTTPServerRequest
from tornado.routing import Matcher, PathMatches
from tornado.websocket import (
    WebSocketClientConnection,
    WebSocketClosedError,
    WebSocketHandler,
    websocket_connect,
)

from ..proxy import Capability, ProxyServices, proxy_prefix, site_of, upstream_request_headers
from ..rewrite import from_proxy

SOCKET_SCHEMES = {"http": "ws", "https": "wss"}  # a socket opened on a page's own address


class WebSocketUpgrade(Matcher):
    """Matches a websocket handshake on a path: the proxy's http(s) addresses serve pages, and
    sockets too when the request asks to upgrade."""

    def __init__(self, path: str) -> None:
        self.path = PathMatches(path)

    def match(self, request: HTTPServerRequest) -> dict[str, Any] | None:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None
        return self.path.match(request)


class ProxyWebSocketHandler(WebSocketHandler):
    """``{prefix}ws(s)/host/path``: connects upstream first, so the browser gets the
    subprotocol the site chose, then relays messages both ways until either side closes.

    An open socket counts as one of its room's streams and the server's; each message in
    transit counts against the server's in-flight bytes."""

    def initialize(self, services: ProxyServices) -> None:
        self.services = services
        self.upstream: WebSocketClientConnection | None = None
        self._pump: asyncio.Future[None] | None = None
        self._streams: list[asyncio.Semaphore] = []  # the stream counts this socket holds

    def check_origin(self, origin: str) -> bool:
        """Proxied pages have an opaque origin ("null"); the capability URL is the credential and
        no Jupyter cookie is ever used here."""
        return True

    async def get(self, token: str, *args: Any, **kwargs: Any) -> None:
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            raise web.HTTPError(400, "a WebSocket address needs a WebSocket")
        capability = self.services.sessions.find(token)
        if capability is None:
            raise web.HTTPError(404, "unknown or expired session")
        session = capability.session
        streams = [session.open_streams, self.services.streams]
        if any(count.locked() for count in streams):
            raise web.HTTPError(503, "too many open streams")
        for count in streams:
            await count.acquire()
            self._streams.append(count)
        try:
            await self._connect(token, capability)
            await super().get(token, *args, **kwargs)
        finally:
            if self.ws_connection is None:  # no socket with the browser: let everything go
                self.on_close()

    async def _connect(self, token: str, capability: Capability) -> None:
        """Open the site's websocket for this request (``http(s)`` paths are the site's
        ``ws(s)`` ones: pages build socket addresses from ``location``)."""
        session = capability.session
        prefix = proxy_prefix(self.settings.get("base_url", "/"), token)
        try:
            url = from_proxy(self.request.path[len(prefix) :], self.request.query)
        except ValueError as exc:
            raise web.HTTPError(400, f"not a proxied address ({exc})") from exc
        scheme, sep, rest = url.partition("://")
        url = f"{SOCKET_SCHEMES.get(scheme, scheme)}{sep}{rest}"
        parts = urlsplit(url)
        origin = f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}"
        headers = upstream_request_headers(self.request.headers.get_all())
        page = session.documents.get(token)  # a socket's Origin is always its page's
        headers["Origin"] = URL(page).origin if page is not None else origin
        # A reader's page may show a site's live updates, but not act in the room's name there.
        same_site = site_of(url) == capability.site and capability.credentialed
        same_site = same_site and not capability.read_only
        cookie = session.jar.header_for(origin + (parts.path or "/")) if same_site else None
        if cookie:
            headers["Cookie"] = cookie
        offered = self.request.headers.get("Sec-WebSocket-Protocol", "")
        subprotocols = [p.strip() for p in offered.split(",") if p.strip()] or None
        timeout = self.services.limits.request_timeout
        try:
            async with session.upstream_slots:
                self.upstream = await websocket_connect(
                    HTTPRequest(
                        url,
                        headers=headers,
                        connect_timeout=timeout,
                        ssl_options=self.services.upstream.ssl_context,
                    ),
                    subprotocols=subprotocols,
                    resolver=self.services.upstream.resolver,
                    max_message_size=self.services.limits.max_body_size,
                )
        except Exception as exc:
            self.services.log.info("cobrowse: websocket %s failed: %r", url, exc)
            raise web.HTTPError(502, "the site's websocket could not be reached") from exc

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return self.upstream.selected_subprotocol if self.upstream else None

    def open(self, *args: Any, **kwargs: Any) -> None:
        self._pump = asyncio.ensure_future(self._relay_from_upstream())

    async def on_message(self, message: str | bytes) -> None:
        """Browser to site; tornado reads the next message only once the site has taken this one,
        so a fast page cannot pile up data in the server."""
        if self.upstream is None:
            return
        try:
            async with self._in_flight(message):
                await self.upstream.write_message(message, binary=isinstance(message, bytes))
        except WebSocketClosedError:
            self.close()

    async def _relay_from_upstream(self) -> None:
        """Site to browser, one message at a time for the same reason."""
        while self.upstream is not None:
            message = await self.upstream.read_message()
            if message is None:  # the site closed its end
                self.close()
                return
            try:
                async with self._in_flight(message):
                    await self.write_message(message, binary=isinstance(message, bytes))
            except WebSocketClosedError:
                return

    @asynccontextmanager
    async def _in_flight(self, message: str | bytes) -> AsyncIterator[None]:
        """Hold a message's size against the server's in-flight budget while it is relayed;
        past the budget the socket closes (1013: try again later)."""
        size = len(message)
        if not self.services.in_flight.take(size):
            self.close(1013, "the server is busy")
            raise WebSocketClosedError()
        try:
            yield
        finally:
            self.services.in_flight.give_back(size)

    def on_close(self) -> None:
        while self._streams:
            self._streams.pop().release()
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self.upstream is not None:
            self.upstream.close()
            self.upstream = None

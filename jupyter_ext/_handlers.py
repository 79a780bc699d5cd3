"""HTTP and websocket handlers: sessions, the proxy, and the room websocket."""

from __future__ import annotations

import hashlib
import json
import re
from asyncio import Future
from importlib import resources
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ._demo import demo_file, is_demo
from ._proxy import (
    SECURITY_HEADERS,
    agent_tag,
    browser_response_headers,
    error_text,
    rewritable,
    rewrite_body,
    upstream_request_headers,
)
from ._urls import from_proxy

if TYPE_CHECKING:
    from ._app import CoBrowse
    from ._rooms import Room

AUTH_RESOURCE = "cobrowse"
ROOM_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0f8c8c", "#c2185b", "#6b8e23")
AGENT_PATH = "_/agent.js"


def proxy_prefix(base_url: str, token: str) -> str:
    """The path every proxied URL of a session starts with."""
    return url_path_join(base_url, "cobrowse/proxy", token) + "/"


def user_color(username: str) -> str:
    """A stable colour for users whose identity provider gives none."""
    digest = hashlib.sha256(username.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


class SessionHandler(APIHandler):
    """``POST /cobrowse/api/session {"room": name}``: the room's proxy prefix and who you are."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, cobrowse: CoBrowse) -> None:
        self.cobrowse = cobrowse

    @web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            room = json.loads(self.request.body or b"{}").get("room", "")
        except (ValueError, AttributeError) as exc:
            raise web.HTTPError(400, "body must be a JSON object") from exc
        if not isinstance(room, str) or not ROOM_NAME.match(room):
            raise web.HTTPError(400, "room must be 1-128 letters, digits or _.:-")
        session = self.cobrowse.sessions.for_room(room)
        user = self.current_user
        self.finish(
            {
                "room": room,
                "prefix": proxy_prefix(self.base_url, session.token),
                "user": {
                    "username": user.username,
                    "name": user.display_name or user.name or user.username,
                    "color": user.color or user_color(user.username),
                },
            }
        )


class ProxyHandler(web.RequestHandler):
    """Serves upstream pages under a session's capability URL, rewritten and sandboxed.

    Deliberately not a JupyterHandler: the capability in the path is the only credential, the
    browser's Jupyter cookies are never read, and nothing here may set one.
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")

    def initialize(self, cobrowse: CoBrowse) -> None:
        self.cobrowse = cobrowse

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)
        self.clear_header("Server")

    def check_xsrf_cookie(self) -> None:
        """Page forms post here from an opaque origin; the capability URL is the credential."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"cobrowse proxy: {status_code} {self._reason}\n")

    def _text(self, status: int, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(text)

    async def get(self, token: str) -> None:
        await self._proxy(token)

    async def head(self, token: str) -> None:
        await self._proxy(token)

    async def post(self, token: str) -> None:
        await self._proxy(token)

    def options(self, token: str) -> None:
        """CORS preflight for the page's own requests (its origin is opaque)."""
        self.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
        requested = self.request.headers.get("Access-Control-Request-Headers")
        if requested:
            self.set_header("Access-Control-Allow-Headers", requested)
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.finish()

    async def _proxy(self, token: str) -> None:
        session = self.cobrowse.sessions.find(token)
        if session is None:
            return self._text(404, "cobrowse proxy: unknown or expired session.\n")
        prefix = proxy_prefix(self.settings.get("base_url", "/"), token)
        rest = self.request.path[len(prefix) :]
        if rest == AGENT_PATH:
            return self._agent()
        try:
            url = from_proxy(rest, self.request.query)
        except ValueError as exc:
            return self._text(400, f"cobrowse proxy: not a proxied address ({exc}).\n")
        if is_demo(url):
            return self._demo(url, prefix)

        headers = upstream_request_headers(self.request.headers.get_all())
        # Page scripts' own reads (CORS mode) never carry the room's cookies: the capability is
        # per room, so any proxied site could otherwise read another site's logged-in pages.
        credentialed = self.request.headers.get("Sec-Fetch-Mode", "navigate") != "cors"
        cookie = session.jar.header_for(url) if credentialed else None
        if cookie:
            headers["Cookie"] = cookie
        try:
            response = await self.cobrowse.upstream.fetch(
                self.request.method or "GET", url, headers, self.request.body
            )
        except Exception as exc:
            self.cobrowse.log.info("cobrowse: %s failed: %r", url, exc)
            status = 504 if "timeout" in type(exc).__name__.lower() else 502
            return self._text(status, error_text(url, str(exc) or type(exc).__name__))
        if credentialed:
            session.jar.store(url, response.headers.get_list("Set-Cookie"))
        if response.code >= 500:
            reason = f"the site answered {response.code} {response.reason}"
            return self._text(response.code, error_text(url, reason))

        self.set_status(response.code, response.reason or "Unknown")
        for name, value in browser_response_headers(response.headers.get_all(), url, prefix):
            self.add_header(name, value)
        body = response.body or b""
        content_type = response.headers.get("Content-Type", "")
        if body and rewritable(content_type):
            inject = agent_tag(prefix + AGENT_PATH, url, prefix)
            body = rewrite_body(body, content_type, url, prefix, inject)
        self._send(body)

    def _demo(self, url: str, prefix: str) -> None:
        found = demo_file(url)
        if found is None:
            return self._text(404, error_text(url, "the demo site has no such page"))
        body, content_type = found
        self.set_header("Content-Type", content_type)
        if rewritable(content_type):
            body = rewrite_body(
                body, content_type, url, prefix, agent_tag(prefix + AGENT_PATH, url, prefix)
            )
        self._send(body)

    def _agent(self) -> None:
        agent = resources.files(__package__) / "static" / "agent.js"
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self._send(agent.read_bytes())

    def _send(self, body: bytes) -> None:
        if self.request.method == "HEAD" or self.get_status() in (204, 304):
            self.finish()
        else:
            self.finish(body)


class RoomHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """``/cobrowse/api/rooms/<name>``: the Yjs sync and awareness protocols for one room."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, cobrowse: CoBrowse) -> None:
        self.cobrowse = cobrowse
        self.room: Room | None = None
        self.read_only = True

    @ws_authenticated
    async def get(self, name: str, *args: Any, **kwargs: Any) -> None:
        user = self.current_user
        if not self.authorizer.is_authorized(self, user, "read", AUTH_RESOURCE):
            raise web.HTTPError(403)
        self.read_only = not self.authorizer.is_authorized(self, user, "write", AUTH_RESOURCE)
        if not ROOM_NAME.match(name):
            raise web.HTTPError(400, "bad room name")
        return await super().get(name, *args, **kwargs)

    def open(self, name: str, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self.set_nodelay(True)  # pointer updates are tiny: do not wait for Nagle + delayed ACK
        self.room = self.cobrowse.rooms.get(name)
        self.room.join(self, read_only=self.read_only)

    def on_message(self, message: str | bytes) -> None:
        if self.room is None or isinstance(message, str):
            return
        try:
            self.room.receive(self, message)
        except Exception as exc:  # pycrdt raises several kinds on malformed input
            self.log.warning("cobrowse: bad message in room %s: %s", self.room.name, exc)
            self.close(1003, "malformed message")

    def on_close(self) -> None:
        if self.room is not None:
            self.cobrowse.rooms.leave(self.room, self)
            self.room = None

    def send(self, message: bytes) -> None:
        """Peer interface of the room hub."""
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        try:
            self.write_message(message, binary=True).add_done_callback(_ignore_closed)
        except WebSocketClosedError:
            self.on_close()


def _ignore_closed(future: Future[None]) -> None:
    """A peer that went away mid-write is handled by on_close; nothing to report."""
    if not future.cancelled() and isinstance(future.exception(), StreamClosedError):
        return
    future.result()

"""The HTTP side of the proxy: capability URLs in, rewritten or streamed upstream responses out."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

from tornado import web
from tornado.http1connection import HTTP1Connection

from ..proxy import (
    AGENT_PATH,
    REPLAYABLE,
    SAFE,
    SECURITY_HEADERS,
    Capability,
    Exchange,
    OverLimit,
    ProxyServices,
    Session,
    agent_tags,
    error_text,
    proxy_prefix,
    site_of,
)
from ..proxy._demo import demo_file, is_demo
from ..rewrite import from_proxy, rewritable, rewrite_body

OWN = "_/"  # the proxy's own paths under a session: agent.js, cookie, result/<id>/...
COOKIE = "_/cookie"
RESULT = "_/result/"
COOKIE_BODY = 8 * 1024  # a document.cookie assignment: browsers keep 4 KiB a cookie


@web.stream_request_body
class ProxyHandler(web.RequestHandler):
    """Serves upstream pages under a session's capability URL, rewritten and sandboxed.

    Deliberately not a JupyterHandler: the capability in the path is the credential, the only
    browser cookie read is the browser pass (see ``_browser_pass``), and nothing here may set a
    cookie. Request bodies are read as they arrive, within a size limit and the server's
    in-flight budget.
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")

    def initialize(self, services: ProxyServices) -> None:
        self.services = services
        self.upload = bytearray()
        self._held = 0  # bytes of the server's in-flight budget this request holds
        self._refused: OverLimit | None = None
        self._started = False  # the method runs (after the whole request body arrived)
        self.gone = False  # the browser closed the connection

    def prepare(self) -> None:
        cookie = self.request.path.endswith("/" + COOKIE)
        limit = COOKIE_BODY if cookie else self.services.limits.max_request_size
        length = self.request.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > limit:
            return self.text(413, f"cobrowse proxy: a request body is limited to {limit} bytes.\n")
        connection = self.request.connection
        if isinstance(connection, HTTP1Connection):
            connection.set_max_body_size(limit)  # a chunked body stops there too
            connection.set_body_timeout(self.services.limits.page_timeout)

    def data_received(self, chunk: bytes) -> None:
        if self._refused is not None:
            return
        if not self.hold(len(chunk)):
            self._refused = OverLimit(503, "the server holds too many uploads at once")
            return
        self.upload += chunk

    def hold(self, size: int) -> bool:
        """Count ``size`` more bytes against the server's in-flight budget, if it allows."""
        if not self.services.in_flight.take(size):
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
        self.services.in_flight.give_back(self._held)
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

    def text(self, status: int, text: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(text)

    def is_navigation(self) -> bool:
        """A page load in a frame (not a script's or an element's fetch). Browsers set the header
        themselves and scripts cannot forge it; without it (browsers send it to secure contexts
        only: https or localhost) nothing counts as a navigation, so no site's token is handed
        out and nothing is sent with cookies."""
        return self.request.headers.get("Sec-Fetch-Mode") == "navigate"

    def _may_move(self) -> bool:
        """A navigation in a participant's browser, which may be moved to another site's token:
        the header alone is forged by any client outside a browser, the pass is not."""
        return self.is_navigation() and self.services.browser_pass.held_by(self.request)

    async def _handle(self, token: str) -> None:
        if self._refused is not None:
            return self.text(self._refused.status, f"cobrowse proxy: {self._refused}.\n")
        capability = self.services.sessions.find(token)
        if capability is None:
            return self.text(404, "cobrowse proxy: unknown or expired session.\n")
        session = capability.session
        if capability.read_only and self.request.method not in SAFE:
            return self.text(403, "cobrowse proxy: a view-only participant only reads pages.\n")
        prefix = proxy_prefix(self.settings.get("base_url", "/"), token)
        rest = self.request.path[len(prefix) :]
        if rest.startswith(OWN):
            return self._own(capability, prefix, rest)
        try:
            url = from_proxy(rest, self.request.query)
        except ValueError as exc:
            return self.text(400, f"cobrowse proxy: not a proxied address ({exc}).\n")
        if not url.startswith(("http://", "https://")):
            return self.text(400, "cobrowse proxy: WebSocket addresses need a WebSocket.\n")
        site = site_of(url)
        if site != capability.site and self.is_navigation():
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
        if self.is_navigation():
            method = self.request.method or "GET"
            cross_site, referrer = session.crossed(token, self.request.uri or "", method, arrived)
        credentialed = site == capability.site and capability.credentialed
        page = referrer if cross_site else self._requesting_page(session, token)
        relay = Exchange(self, capability, url, prefix, credentialed, token, page, cross_site)
        # An anonymous frame's answers are kept apart from those fetched with cookies.
        await relay.run(
            f"{capability.site} (anonymous)" if capability.anonymous else capability.site
        )

    def _requesting_page(self, session: Session, token: str) -> str | None:
        """The page a request comes from, as far as the proxy knows: the last one loaded under
        its token; none for a navigation the widget itself started (a typed address)."""
        if self.is_navigation() and self.request.headers.get("Sec-Fetch-Site") == "same-origin":
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
        sessions = self.services.sessions
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
            agent = self.services.agent.encode()
            self.set_header("Content-Type", "text/javascript; charset=utf-8")
            self.set_header("Content-Length", str(len(agent)))
            self.finish(agent if self.request.method == "GET" else b"")
            return
        if rest == COOKIE and self.request.method == "POST":
            url = parse_qs(self.request.query).get("url", [""])[0]
            if not url.startswith(("http://", "https://")):
                return self.text(400, "cobrowse proxy: cookie needs the page's url.\n")
            if site_of(url) != capability.site or not capability.credentialed:
                return self.text(403, "cobrowse proxy: a page sets cookies of its own site.\n")
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
                return self.text(403, "cobrowse proxy: that result belongs to another site.\n")
            # Anything else under a kept result (its relative links) lives at its usual place.
            query = f"?{self.request.query}" if self.request.query else ""
            self.redirect(prefix + inner + query)
            return
        return self.text(404, "cobrowse proxy: no such proxy resource.\n")

    def _is(self, rest: str, url: str) -> bool:
        try:
            return from_proxy(rest, self.request.query) == url
        except ValueError:
            return False

    def _demo(self, capability: Capability, url: str, prefix: str) -> None:
        found = demo_file(url)
        if found is None:
            return self.text(404, error_text(url, "the demo site has no such page"))
        body, content_type = found
        self.set_header("Content-Type", content_type)
        if rewritable(content_type):
            cookies = script_cookies(capability, url)
            tags = agent_tags(self.services.agent, url, prefix, cookies)
            body = rewrite_body(body, content_type, url, prefix, tags)
        self.finish(b"" if self.request.method == "HEAD" else body)


def script_cookies(capability: Capability, url: str) -> str:
    """What ``document.cookie`` shows a document at ``url`` served under ``capability``: the
    room's cookies only for its own site's pages under a token that carries them."""
    if site_of(url) != capability.site or not capability.credentialed:
        return ""
    return capability.session.jar.for_scripts(url)

"""The browser pass: what only a participant's browser has, so that moving a navigation to
another site's capability rests on it rather than on a header any client can send.

The session endpoint (Jupyter-authenticated) gives the browser an HttpOnly, ``Secure``,
``SameSite=None`` cookie scoped to the proxy's paths. Chromium sends it with the frame's own
navigations, including those a sandboxed page starts (links, forms, ``location``), but not
with a sandboxed page's fetches or sub-resources, and no client outside the browser holds it.
``Sec-Fetch-Mode: navigate`` (which page scripts cannot set) then tells a navigation from a
script's request. ``Secure`` cookies need a secure context: https, or http on localhost.
"""

from __future__ import annotations

import hmac
import secrets

from jupyter_server.utils import url_path_join
from tornado.httputil import HTTPServerRequest
from tornado.web import RequestHandler

COOKIE = "cobrowse-pass"


class BrowserPass:
    """One secret per server, given to the browsers of authenticated users."""

    def __init__(self) -> None:
        self._secret = secrets.token_urlsafe(32)

    def give(self, handler: RequestHandler, base_url: str) -> None:
        """Set the pass on ``handler``'s response (a request by an authenticated user)."""
        handler.set_cookie(
            COOKIE,
            self._secret,
            path=url_path_join(base_url, "cobrowse/proxy/"),
            secure=True,
            httponly=True,
            samesite="None",
        )

    def held_by(self, request: HTTPServerRequest) -> bool:
        """Whether ``request`` carries the pass."""
        morsel = request.cookies.get(COOKIE)
        return morsel is not None and hmac.compare_digest(morsel.value, self._secret)

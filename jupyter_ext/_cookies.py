"""One server-side cookie jar per proxy session, on top of the standard library's CookieJar."""

from __future__ import annotations

from email.message import Message
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.request import Request


class _Response:
    """The part of a urllib response that `CookieJar.extract_cookies` reads."""

    def __init__(self, set_cookie_headers: list[str]) -> None:
        self._headers = Message()
        for value in set_cookie_headers:
            self._headers["Set-Cookie"] = value

    def info(self) -> Message:
        return self._headers


class SessionCookieJar:
    """Cookies that upstream sites set for everyone in a session; never sent to the browser.

    Domain, Path, Secure, Max-Age and Expires are applied by the standard library's policy.
    """

    def __init__(self) -> None:
        self._jar = CookieJar(DefaultCookiePolicy())

    def header_for(self, url: str) -> str | None:
        """The `Cookie` header to send with an upstream request to `url`, if any."""
        request = Request(url)
        self._jar.add_cookie_header(request)
        return request.get_header("Cookie")

    def store(self, url: str, set_cookie_headers: list[str]) -> None:
        """Remember the `Set-Cookie` headers of an upstream response to a request for `url`."""
        if set_cookie_headers:
            self._jar.extract_cookies(_Response(set_cookie_headers), Request(url))  # type: ignore[arg-type]

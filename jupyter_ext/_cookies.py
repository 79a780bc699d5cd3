"""One server-side cookie jar per proxy session, on top of the standard library's CookieJar."""

from __future__ import annotations

from email.message import Message
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from urllib.request import Request


class _Response:
    """The part of a urllib response that `CookieJar.extract_cookies` reads."""

    def __init__(self, set_cookie_headers: list[str]) -> None:
        self._headers = Message()
        for value in set_cookie_headers:
            self._headers["Set-Cookie"] = value

    def info(self) -> Message:
        return self._headers


class _CrossSiteRequest(Request):
    """A request another site started: a link or form of a page on another site."""

    def __init__(self, url: str, safe_method: bool) -> None:
        super().__init__(url)
        self.safe_method = safe_method


class _SameSitePolicy(DefaultCookiePolicy):
    """The standard library's policy plus SameSite: a cross-site request carries no Strict
    cookies, and Lax ones (the default when a site says nothing) only with a safe method."""

    def return_ok(self, cookie: Cookie, request: Request) -> bool:  # type: ignore[override]
        if not super().return_ok(cookie, request):
            return False
        if not isinstance(request, _CrossSiteRequest):
            return True
        same_site = (_attribute(cookie, "samesite") or "lax").lower()
        return same_site == "none" or (same_site == "lax" and request.safe_method)


class SessionCookieJar:
    """Cookies that upstream sites set for everyone in a session; never sent to the browser.

    Domain, Path, Secure, Max-Age and Expires are applied by the standard library's policy,
    SameSite by ours.
    """

    def __init__(self) -> None:
        self._policy = _SameSitePolicy()
        self._jar = CookieJar(self._policy)

    def header_for(
        self, url: str, cross_site: bool = False, safe_method: bool = True
    ) -> str | None:
        """The `Cookie` header to send with an upstream request to `url`, if any; for a request
        another site started (``cross_site``), as SameSite allows."""
        request = _CrossSiteRequest(url, safe_method) if cross_site else Request(url)
        self._jar.add_cookie_header(request)
        return request.get_header("Cookie")

    def store(self, url: str, set_cookie_headers: list[str]) -> None:
        """Remember the `Set-Cookie` headers of an upstream response to a request for `url`."""
        if set_cookie_headers:
            self._jar.extract_cookies(_Response(set_cookie_headers), Request(url))  # type: ignore[arg-type]

    def for_scripts(self, url: str) -> str:
        """What ``document.cookie`` reads on a page at ``url``: the cookies a request there
        would carry, less the HttpOnly ones."""
        request = Request(url)
        policy = self._policy
        visible = [
            cookie
            for cookie in self._jar
            if not _http_only(cookie)
            and policy.domain_return_ok(cookie.domain, request)
            and policy.path_return_ok(cookie.path, request)
            and policy.return_ok(cookie, request)
        ]
        visible.sort(key=lambda cookie: len(cookie.path), reverse=True)
        return "; ".join(f"{c.name}={c.value}" if c.value is not None else c.name for c in visible)

    def store_from_script(self, url: str, cookie: str) -> None:
        """A page at ``url`` assigned ``document.cookie = cookie``: scripts can neither set an
        HttpOnly cookie nor replace one."""
        parts = [p for p in cookie.split(";") if p.strip().lower() != "httponly"]
        name = parts[0].split("=", 1)[0].strip() if parts else ""
        before = {(c.domain, c.path): c for c in self._jar if c.name == name and _http_only(c)}
        self.store(url, [";".join(parts)])
        for cookie_ in list(self._jar):
            kept = before.get((cookie_.domain, cookie_.path))
            if cookie_.name == name and kept is not None and cookie_ is not kept:
                self._jar.set_cookie(kept)  # put the HttpOnly one back


def _attribute(cookie: Cookie, name: str) -> str | None:
    """A cookie attribute the standard library keeps as sent (HttpOnly, SameSite), or None."""
    rest: dict[str, str | None] = getattr(cookie, "_rest", {})
    return next((value or "" for key, value in rest.items() if key.lower() == name), None)


def _http_only(cookie: Cookie) -> bool:
    """Whether a cookie was set HttpOnly; sites spell the attribute in any case."""
    return _attribute(cookie, "httponly") is not None

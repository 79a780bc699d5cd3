"""One server-side cookie jar per proxy session that keeps what a browser would (RFC 6265bis and
the Public Suffix List): the standard library's CookieJar parses and matches, and the checks
around it refuse what a browser refuses and bound what a site can store."""

from __future__ import annotations

import heapq
import ipaddress
import re
import time
from contextlib import suppress
from email.message import Message
from http.cookiejar import (  # type: ignore[attr-defined]  # host helpers: not in typeshed
    Cookie,
    CookieJar,
    DefaultCookiePolicy,
    eff_request_host,
    request_host,
)
from itertools import count
from typing import Any
from urllib.request import Request
from weakref import WeakKeyDictionary

from ._sites import is_public_suffix, registrable_domain

MAX_NAME_VALUE_OCTETS = 4096  # a cookie's name and value together; a longer one is ignored
MAX_ATTRIBUTE_OCTETS = 1024  # one attribute's value; a longer attribute is ignored
MAX_AGE_SECONDS = 400 * 24 * 3600  # the furthest off a cookie may expire; later is clamped
MAX_PER_SITE = 180  # cookies per registrable domain, as Chromium; least recently used go first
PURGE_PER_SITE = 30  # how many more go when a site is over, so that purges are rare
MAX_PER_JAR = 3000  # cookies in one session's jar; the sites holding most give up theirs
PURGE_PER_JAR = 300  # how many more go when the jar is over

_ATTRIBUTES = frozenset({"expires", "max-age", "domain", "path", "secure", "httponly", "samesite"})
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # CTLs but HTAB


class _Response:
    """The part of a urllib response that `CookieJar.make_cookies` reads."""

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

    _now: int  # the library's clock for expiry checks, set before each use

    def return_ok(self, cookie: Cookie, request: Request) -> bool:
        if not super().return_ok(cookie, request):
            return False
        if not isinstance(request, _CrossSiteRequest):
            return True
        same_site = (_attribute(cookie, "samesite") or "lax").lower()
        return same_site == "none" or (same_site == "lax" and request.safe_method)


class _Jar(CookieJar):
    """The standard library's jar, except that a cookie which expires on arrival comes back as
    a cookie instead of clearing its namesake on the spot (so deleting passes the same checks
    as setting), and that no cookie expires later than ``MAX_AGE_SECONDS`` from now."""

    def __init__(self, policy: _SameSitePolicy) -> None:
        super().__init__(policy)
        self.policy = policy

    def _cookie_from_cookie_tuple(self, tup: Any, request: Request) -> Cookie | None:
        # The library's one step from parsed attributes to a Cookie; it has no public hook.
        name, value, standard, rest = tup
        expires = standard.pop("expires", None)
        cookie: Cookie | None = super()._cookie_from_cookie_tuple(  # type: ignore[misc]
            (name, value, standard, rest), request
        )
        if cookie is not None and expires is not None:
            cookie.expires = min(expires, int(time.time()) + MAX_AGE_SECONDS)
            cookie.discard = False
        return cookie

    def carried_by(self, request: Request) -> list[Cookie]:
        """The cookies a request carries, longest path first, as ``add_cookie_header`` finds
        them (by the domains the jar is indexed by)."""
        self.policy._now = int(time.time())
        cookies: list[Cookie] = self._cookies_for_request(request)  # type: ignore[attr-defined]
        return sorted(cookies, key=lambda cookie: len(cookie.path), reverse=True)


class SessionCookieJar:
    """Cookies that upstream sites and their pages' scripts set for everyone in a session;
    never sent to the browser.

    Domain, Path, Secure, Max-Age and Expires are applied by the standard library, SameSite,
    the Public Suffix List, cookie prefixes, strict secure and HttpOnly cookies, sizes and
    counts by us.
    """

    def __init__(self) -> None:
        # DomainStrictNonDomain: a host-only cookie goes to its host alone, not to subdomains.
        policy = _SameSitePolicy(strict_ns_domain=DefaultCookiePolicy.DomainStrictNonDomain)
        self._jar = _Jar(policy)
        self._clock = count()
        # Per site, each cookie in the jar and when it was last set or sent. Weak, so that a
        # cookie the jar drops (replaced, deleted, expired) leaves by itself.
        self._sites: dict[str, WeakKeyDictionary[Cookie, int]] = {}

    def header_for(
        self, url: str, cross_site: bool = False, safe_method: bool = True
    ) -> str | None:
        """The `Cookie` header to send with an upstream request to `url`, if any; for a request
        another site started (``cross_site``), as SameSite allows."""
        request = _CrossSiteRequest(url, safe_method) if cross_site else Request(url)
        return _header(self._used(self._jar.carried_by(request))) or None

    def for_scripts(self, url: str) -> str:
        """What ``document.cookie`` reads on a page at ``url``: the cookies a request there
        would carry, less the HttpOnly ones."""
        cookies = self._used(self._jar.carried_by(Request(url)))
        return _header([cookie for cookie in cookies if not _http_only(cookie)])

    def store(self, url: str, set_cookie_headers: list[str]) -> int:
        """Remember the `Set-Cookie` headers of an upstream response to a request for `url`;
        returns how many were taken (set or deleted)."""
        return self._store(Request(url), set_cookie_headers, from_script=False)

    def store_from_script(self, url: str, cookie: str) -> bool:
        """A page at ``url`` assigned ``document.cookie = cookie``; whether the jar took it.
        Scripts can neither set an HttpOnly cookie nor replace or delete one."""
        return self._store(Request(url), [cookie], from_script=True) == 1

    def _used(self, cookies: list[Cookie]) -> list[Cookie]:
        """``cookies``, marked as just used."""
        for cookie in cookies:
            self._sites.setdefault(_site(cookie), WeakKeyDictionary())[cookie] = next(self._clock)
        return cookies

    def _store(self, request: Request, set_cookies: list[str], from_script: bool) -> int:
        sound = [text for text in map(_normalized, set_cookies) if text is not None]
        if not sound:
            return 0
        taken = 0
        for cookie in self._jar.make_cookies(_Response(sound), request):  # type: ignore[arg-type]
            if self._allowed(cookie, request, from_script):
                self._put(cookie)
                taken += 1
        if taken:
            self._evict()
        return taken

    def _allowed(self, cookie: Cookie, request: Request, from_script: bool) -> bool:
        """Whether a browser would store ``cookie`` (RFC 6265bis 5.7); may make a Domain that
        names the request's own IP address or public-suffix host host-only."""
        secure_request = request.type == "https"
        return (
            _prefix_ok(cookie, secure_request)
            and _domain_ok(cookie, request)
            and self._jar.policy.set_ok(cookie, request)
            and (secure_request or (not cookie.secure and not self._shadows_secure(cookie)))
            and not (from_script and (_http_only(cookie) or self._replaces_http_only(cookie)))
        )

    def _same_site(self, cookie: Cookie) -> list[Cookie]:
        """The jar's cookies of ``cookie``'s site (any cookie that could share its name and
        domain is of the same site)."""
        return list(self._sites.get(_site(cookie), {}))

    def _shadows_secure(self, cookie: Cookie) -> bool:
        """Whether a Secure cookie of the same name and an overlapping domain has a path that
        ``cookie``'s path lies in: an insecure request may not overwrite or delete it."""
        domain = cookie.domain.lstrip(".")
        return any(
            old.secure
            and old.name == cookie.name
            and _domains_overlap(old.domain.lstrip("."), domain)
            and _path_match(cookie.path, old.path)
            for old in self._same_site(cookie)
        )

    def _replaces_http_only(self, cookie: Cookie) -> bool:
        """Whether ``cookie`` would overwrite or delete an HttpOnly one (same name, domain,
        host-only-ness and path)."""
        return any(
            (old.name, old.domain, old.path) == (cookie.name, cookie.domain, cookie.path)
            and _http_only(old)
            for old in self._same_site(cookie)
        )

    def _put(self, cookie: Cookie) -> None:
        """Set ``cookie``, or delete its namesake if it has already expired."""
        if cookie.is_expired():
            with suppress(KeyError):  # nothing to delete
                self._jar.clear(cookie.domain, cookie.path, cookie.name)
        else:
            self._jar.set_cookie(cookie)
            self._used([cookie])

    def _evict(self) -> None:
        """Keep within the bounds as Chromium does, a purge at a time so that a full jar does
        not sort at every cookie: expired cookies first; then a site beyond ``MAX_PER_SITE``
        loses its least recently used down to ``MAX_PER_SITE - PURGE_PER_SITE``; then, while
        the jar holds more than ``MAX_PER_JAR - PURGE_PER_JAR``, the site holding most loses
        its least recently used, so that sites which set many cookies cannot push out others'."""
        over_site = any(len(kept) > MAX_PER_SITE for kept in self._sites.values())
        total = sum(map(len, self._sites.values()))
        if not over_site and total <= MAX_PER_JAR and len(self._sites) <= MAX_PER_JAR:
            return  # (the last: sites whose cookies all went, kept until a purge)
        self._jar.clear_expired_cookies()
        self._sites = {site: kept for site, kept in self._sites.items() if kept}
        drop = {
            site: len(kept) - (MAX_PER_SITE - PURGE_PER_SITE)
            for site, kept in self._sites.items()
            if len(kept) > MAX_PER_SITE
        }
        sizes = [(drop.get(site, 0) - len(kept), site) for site, kept in self._sites.items()]
        heapq.heapify(sizes)  # biggest site first, as it will be after the per-site purge
        total = -sum(size for size, _ in sizes)
        if total > MAX_PER_JAR:
            for _ in range(total - (MAX_PER_JAR - PURGE_PER_JAR)):
                size, site = sizes[0]
                heapq.heapreplace(sizes, (size + 1, site))
                drop[site] = drop.get(site, 0) + 1
        for site, excess in drop.items():
            kept = self._sites[site]
            for cookie in sorted(kept, key=kept.__getitem__)[:excess]:
                self._jar.clear(cookie.domain, cookie.path, cookie.name)


def _normalized(set_cookie: str) -> str | None:
    """``set_cookie`` as the standard library should parse it, or None to ignore it (RFC
    6265bis 5.6): no control characters, name and value within ``MAX_NAME_VALUE_OCTETS``, and
    only the attributes a browser knows (the last of each, none over ``MAX_ATTRIBUTE_OCTETS``,
    no empty Domain), so a stored cookie's size is bounded. Splits as the library does."""
    if _CONTROL.search(set_cookie):
        return None
    pair, *attributes = set_cookie.split(";")
    name, _, value = pair.partition("=")
    if _octets(name.strip()) + _octets(value.strip()) > MAX_NAME_VALUE_OCTETS:
        return None
    kept: dict[str, str] = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        key, value = key.strip().lower(), value.strip()
        if key in _ATTRIBUTES and _octets(value) <= MAX_ATTRIBUTE_OCTETS:
            kept.pop(key, None)
            if value or key != "domain":
                kept[key] = attribute
    return ";".join([pair, *kept.values()])


def _octets(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _prefix_ok(cookie: Cookie, secure_request: bool) -> bool:
    """``__Secure-`` cookies come Secure from https; ``__Host-`` ones also without Domain and
    with Path=/ (names compared without case, as RFC 6265bis does)."""
    name = cookie.name.lower()
    if name.startswith("__secure-"):
        return cookie.secure and secure_request
    if name.startswith("__host-"):
        return (
            cookie.secure
            and secure_request
            and not cookie.domain_specified
            and cookie.path_specified
            and cookie.path == "/"
        )
    return True


def _domain_ok(cookie: Cookie, request: Request) -> bool:
    """A Domain may not be a public suffix, nor anything but the host itself for an IP
    address; one that equals such a host makes the cookie host-only (RFC 6265bis 5.7)."""
    if not cookie.domain_specified:
        return True
    domain, host = cookie.domain.lstrip("."), request_host(request)
    at_ip = _is_ip(host)
    if domain == host and (at_ip or is_public_suffix(host)):
        cookie.domain = eff_request_host(request)[1]
        cookie.domain_specified = cookie.domain_initial_dot = False
        return True
    return not at_ip and not is_public_suffix(domain)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _domains_overlap(first: str, second: str) -> bool:
    """Whether either domain domain-matches the other (RFC 6265bis 5.1.3), given without the
    leading dot the library stores."""
    return any(
        host == domain or (host.endswith(f".{domain}") and not _is_ip(host))
        for host, domain in ((first, second), (second, first))
    )


def _path_match(path: str, cookie_path: str) -> bool:
    """RFC 6265bis 5.1.4."""
    return path == cookie_path or (
        path.startswith(cookie_path)
        and (cookie_path.endswith("/") or path[len(cookie_path)] == "/")
    )


def _site(cookie: Cookie) -> str:
    """The registrable domain a cookie counts against."""
    return registrable_domain(cookie.domain.lstrip("."))


def _header(cookies: list[Cookie]) -> str:
    return "; ".join(c.name if c.value is None else f"{c.name}={c.value}" for c in cookies)


def _attribute(cookie: Cookie, name: str) -> str | None:
    """A cookie attribute the standard library keeps as sent (HttpOnly, SameSite), or None."""
    rest: dict[str, str | None] = getattr(cookie, "_rest", {})
    return next((value or "" for key, value in rest.items() if key.lower() == name), None)


def _http_only(cookie: Cookie) -> bool:
    """Whether a cookie was set HttpOnly; sites spell the attribute in any case."""
    return _attribute(cookie, "httponly") is not None

"""Which headers cross the proxy, in each direction: one rule table, pure logic.

Up, everything a page's request carries reaches the site, except what the browser attaches by
itself for Jupyter's origin, what describes the hop to the proxy rather than to the site, and
what proxies in front of Jupyter add; ``Origin`` and ``Referer`` are the ones a tab showing the
page at the site would send. Down, everything the site answers reaches the page, except what
would act on Jupyter's origin or weaken the sandbox; addresses in headers are mapped into the
proxy, and page scripts may read every header that passed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ada_url import URL

from ..rewrite import extract_mime_type, rewrite_location, rewrite_refresh

# The agent renames the Authorization header page scripts set (fetch, XMLHttpRequest) to this,
# so that the one browsers attach by themselves (HTTP authentication cached for Jupyter's
# origin) can be told apart and left behind.
PAGE_AUTHORIZATION = "X-Cobrowse-Authorization"

_HOP_BY_HOP = ("connection", "keep-alive", "proxy-connection", "te", "trailer",
               "transfer-encoding", "upgrade")  # fmt: skip
_FORWARDING = ("forwarded", "via", "x-forwarded-for", "x-forwarded-host", "x-forwarded-port",
               "x-forwarded-proto", "x-forwarded-prefix", "x-real-ip")  # fmt: skip
_CROSS_ORIGIN_POLICIES = ("cross-origin-opener-policy", "cross-origin-opener-policy-report-only",
                          "cross-origin-embedder-policy",
                          "cross-origin-embedder-policy-report-only",
                          "cross-origin-resource-policy")  # fmt: skip
# Settings a response makes for its whole origin (or the browser), not for itself.
_ORIGIN_WIDE = ("strict-transport-security", "alt-svc", "clear-site-data", "nel", "report-to",
                "reporting-endpoints", "accept-ch", "critical-ch", "origin-agent-cluster",
                "service-worker-allowed", "expect-ct", "public-key-pins",
                "public-key-pins-report-only", "set-login", "speculation-rules",
                "supports-loading-mode", "no-vary-search", "use-as-dictionary",
                "activate-storage-access")  # fmt: skip

# Up: request headers that do not go to the site as the browser sent them, and why.
UP_DROPPED: dict[str, str] = {
    **dict.fromkeys(_HOP_BY_HOP, "hop-by-hop: about the connection to the proxy"),
    "cookie": "Jupyter's cookies and the browser pass; the room's jar supplies the site's",
    "cookie2": "obsolete cookie header, for Jupyter's origin",
    "authorization": "HTTP authentication cached for Jupyter's origin; a page's own arrives as "
    + PAGE_AUTHORIZATION,
    "proxy-authorization": "credentials for a proxy between the browser and Jupyter",
    "host": "the upstream client names the site",
    "content-length": "the upstream client frames the body it sends",
    "expect": "the upstream client decides how it sends the body",
    "accept-encoding": "the proxy asks for the encodings it decodes",
    "available-dictionary": "a compression dictionary the browser keeps for Jupyter's origin",
    "dictionary-id": "a compression dictionary the browser keeps for Jupyter's origin",
    "origin": "replaced by the page's origin at the site (the browser sends the opaque 'null')",
    "referer": "replaced by what a tab at the site sends (the proxy's policy is no-referrer)",
    **dict.fromkeys(
        _FORWARDING,
        "added by proxies in front of Jupyter: where Jupyter and its user are",
    ),
}
UP_DROPPED_PREFIXES: dict[str, str] = {
    "sec-": "the browser's account of the request to the proxy (fetch metadata, client hints)",
    "x-cobrowse-": "the agent's own (a page's Authorization is restored from it)",
}

# Down: response headers that do not reach the page, and why. Access-Control-* goes too: the
# proxy answers CORS itself, for the page's opaque origin.
DOWN_DROPPED: dict[str, str] = {
    **dict.fromkeys(_HOP_BY_HOP, "hop-by-hop: about the connection to the site"),
    "proxy-authenticate": "hop-by-hop: a proxy's challenge",
    "set-cookie": "kept in the room's server-side jar",
    "set-cookie2": "obsolete cookie header: never reaches the browser",
    "content-length": "the proxy frames the body it sends",
    "content-encoding": "the proxy decodes the body it reads",
    "content-type": "one Content-Type: the one the proxy read the body as",
    "date": "the proxy's own",
    "server": "the proxy's own (none)",
    "content-security-policy": "the proxy's sandbox policy instead (the site's names its own "
    "addresses, which the page no longer loads from)",
    "content-security-policy-report-only": "reports about addresses the page does not use",
    "x-frame-options": "the page is shown in the widget's frame",
    "referrer-policy": "the proxy's no-referrer keeps capability URLs out of Referer",
    "x-content-type-options": "the proxy's own nosniff",
    "timing-allow-origin": "the proxy's own",
    **dict.fromkeys(
        _CROSS_ORIGIN_POLICIES,
        "about origins: every proxied page's is opaque, so they would only block its resources",
    ),
    **dict.fromkeys(
        _ORIGIN_WIDE,
        "would act on Jupyter's origin, beyond this one answer",
    ),
}
DOWN_DROPPED_PREFIXES: dict[str, str] = {"access-control-": "the proxy answers CORS itself"}
# Dropped from the answers to navigations only: the browser would ask the user for a password
# and then send it to every page of Jupyter's origin.
NAVIGATION_DROPPED = frozenset(("www-authenticate",))

_LINK_TARGET = re.compile(r"<([^>]*)>")


def _link(value: str, base: str, prefix: str) -> str:
    """A ``Link`` header (preload, preconnect, modulepreload...) with its targets proxied."""
    return _LINK_TARGET.sub(lambda m: f"<{rewrite_location(m[1], base, prefix)}>", value)


# Down: response headers whose addresses are mapped into the proxy.
DOWN_MAPPED: dict[str, Callable[[str, str, str], str]] = {
    "location": rewrite_location,
    "content-location": rewrite_location,
    "refresh": rewrite_refresh,
    "link": _link,
    "sourcemap": rewrite_location,
    "x-sourcemap": rewrite_location,
}


def _connection_named(headers: Iterable[tuple[str, str]]) -> set[str]:
    """Headers a ``Connection`` header names: hop-by-hop too (RFC 9110, 7.6.1)."""
    return {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }


def _dropped(lower: str, names: dict[str, str], prefixes: dict[str, str]) -> bool:
    return lower in names or lower.startswith(tuple(prefixes))


def upstream_request_headers(browser: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The browser's headers that go to the site (repeated ones joined, as RFC 9110 allows),
    with a page script's Authorization restored; Origin and Referer come from
    ``tab_context``."""
    pairs = list(browser)
    named = _connection_named(pairs)
    out: dict[str, tuple[str, str]] = {}  # lower-case name -> (name as sent, value)
    for name, value in pairs:
        lower = name.lower()
        if lower == PAGE_AUTHORIZATION.lower():
            name, lower = "Authorization", "authorization"
        elif _dropped(lower, UP_DROPPED, UP_DROPPED_PREFIXES) or lower in named:
            continue
        first, joined = out.get(lower, (name, ""))
        out[lower] = (first, f"{joined}, {value}" if joined else value)
    return dict(out.values())


def browser_response_headers(
    upstream: Iterable[tuple[str, str]], base_url: str, prefix: str, navigation: bool = False
) -> list[tuple[str, str]]:
    """The site's headers the browser gets, addresses mapped into the proxy, exactly one
    Content-Type (the one the proxy read the body as, see ``content_type``), and an
    ``Access-Control-Expose-Headers`` naming them all: the page's scripts read them across
    its opaque origin."""
    pairs = list(upstream)
    named = _connection_named(pairs)
    out = []
    for name, value in pairs:
        lower = name.lower()
        if _dropped(lower, DOWN_DROPPED, DOWN_DROPPED_PREFIXES) or lower in named:
            continue
        if navigation and lower in NAVIGATION_DROPPED:
            continue
        mapped = DOWN_MAPPED.get(lower)
        out.append((name, mapped(value, base_url, prefix) if mapped else value))
    types = [value for name, value in pairs if name.lower() == "content-type"]
    if types and (mime := extract_mime_type(types)) is not None:
        out.append(("Content-Type", str(mime)))
    exposed = dict.fromkeys(name.lower() for name, _ in out)
    if exposed:
        out.append(("Access-Control-Expose-Headers", ", ".join(exposed)))
    return out


def tab_context(
    document: str | None, target: str, method: str, sends_origin: bool
) -> dict[str, str]:
    """The ``Origin`` and ``Referer`` a tab showing ``document`` (None: unknown, or a typed
    address) sends with a request to ``target``, by the browsers' default referrer policy
    (strict-origin-when-cross-origin). ``sends_origin``: the browser sent an Origin (it does
    for CORS requests and for other methods than GET and HEAD), so a tab would too, unless
    the request is a same-origin GET or HEAD."""
    if document is None:
        return {"Origin": "null"} if sends_origin else {}
    page, to = URL(document), URL(target)
    same_origin = page.origin == to.origin
    headers = {}
    if sends_origin and not (same_origin and method in ("GET", "HEAD")):
        headers["Origin"] = page.origin
    if same_origin:
        page.hash = ""
        page.username = page.password = ""
        headers["Referer"] = page.href
    elif not (page.protocol == "https:" and to.protocol == "http:"):
        headers["Referer"] = page.origin + "/"
    return headers

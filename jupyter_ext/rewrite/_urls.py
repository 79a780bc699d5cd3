"""Map upstream http(s) and ws(s) URLs to and from the proxy's path-preserving form.

See docs/protocol.md; WebSocket URLs map like http ones (`wss://h/p` -> `prefix + "wss/h/p"`).

A URL found in a page or a header is resolved as the browser resolves it (the WHATWG URL
Standard, by ada-url): for http(s) and ws(s) it reads `\\` as `/`, takes `http:x` as relative
only under an http base, and clamps `..` at the site's root. The rule: whatever a URL means to
the upstream page, the browser must load the proxied form of that, so a URL is kept as written
only when resolving it against the proxied page gives exactly that (plain relative paths, the
common case, need no parsing); the proxy prefix is not a root a `..` can climb past.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote

from ada_url import URL, join_url

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_ABSOLUTE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)", re.S)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_HOSTPORT = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::([0-9]*))?")
_HOSTNAME = re.compile(r"[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_-]+)*\.?")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")  # ignored inside URLs by browsers
# A relative URL with a dot segment (`..`, `.%2e`, `%2E.`...) may climb past the upstream root.
_DOT_DOT = re.compile(r"(?:\.|%2e){2}", re.I)
_LEADING_UPS = re.compile(r"(?:\.\./)*")
_PATH = re.compile(r"[^?#]*")
_ANY_ORIGIN = "http://proxy.invalid"  # stands in for Jupyter's origin: only paths are compared


def _netloc(scheme: str, hostport: str) -> str:
    """Return the canonical `host[:port]` (lower-case, default port dropped) or raise ValueError."""
    m = _HOSTPORT.fullmatch(hostport)
    if not m:
        raise ValueError(f"invalid host: {hostport!r}")
    host, port = m[1].lower(), m[2]
    if host.startswith("["):
        if "%" in host:
            raise ValueError(f"invalid IPv6 host: {host!r}")
        ipaddress.IPv6Address(host[1:-1])
    else:
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError as e:
                raise ValueError(f"invalid host: {host!r}") from e
        if not _HOSTNAME.fullmatch(host):
            raise ValueError(f"invalid host: {host!r}")
    if not port:
        return host
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(f"invalid port: {port!r}")
    return host if number == _DEFAULT_PORTS[scheme] else f"{host}:{number}"


def to_proxy(url: str, prefix: str) -> str:
    """Map an absolute http(s) or ws(s) URL to `prefix + "scheme/host[:port]/path?query#frag"`.

    User info is dropped; the path, query and fragment are kept verbatim.
    """
    m = _ABSOLUTE.fullmatch(url)
    if not m or m[1].lower() not in _DEFAULT_PORTS:
        raise ValueError(f"not an absolute http(s) or ws(s) URL: {url!r}")
    scheme = m[1].lower()
    netloc = _netloc(scheme, m[2].rpartition("@")[2])
    rest = m[3] if m[3].startswith("/") else "/" + m[3]
    return f"{prefix}{scheme}/{netloc}{rest}"


def from_proxy(rest: str, query: str = "") -> str:
    """Map the raw (still percent-encoded) request path after `{token}/` back to upstream."""
    scheme, _, after = rest.partition("/")
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"unknown scheme: {scheme!r}")
    hostport, _, path = after.partition("/")
    url = f"{scheme}://{_netloc(scheme, hostport)}/{path}"
    return f"{url}?{query}" if query else url


def depth(base: str) -> int:
    """How many directories deep `base`'s path is: the `../` a relative URL may start with and
    still resolve under the proxy as upstream (`/3/tutorial/x.html` -> 2)."""
    m = _ABSOLUTE.fullmatch(base)
    return max(0, _PATH.match(m[3])[0].count("/") - 1) if m else 0  # type: ignore[index]


def _climbs(core: str, base: str) -> bool:
    """Whether a relative URL may resolve under the proxy to something other than the proxied
    form of what it means upstream: it has a dot-dot segment past its leading `../`s that the
    base's directories absorb."""
    ups = _LEADING_UPS.match(core).end()  # type: ignore[union-attr]
    return bool(_DOT_DOT.search(core, ups)) or ups // 3 > depth(base)


def resolve(value: str, base: str) -> str | None:
    """`value` resolved against `base` as a browser does (WHATWG URL Standard); None if invalid."""
    try:
        return join_url(base, value)
    except ValueError:
        return None


def _mapped(url: str, prefix: str) -> str:
    """The proxied form of a resolved http(s) or ws(s) URL. A host that browsers accept and the
    proxy does not (`a$b.example`) is written percent-encoded: the proxy refuses that address,
    so the load fails inside the proxy instead of going to the host directly."""
    try:
        return to_proxy(url, prefix)
    except ValueError:
        parts = URL(url)
        scheme, host = parts.protocol[:-1], quote(parts.host, safe="")
        return f"{prefix}{scheme}/{host}{parts.pathname}{parts.search}{parts.hash}"


def _origin(base: str) -> str:
    m = _ABSOLUTE.fullmatch(base)
    if not m:
        raise ValueError(f"base is not absolute: {base!r}")
    return f"{m[1]}://{m[2]}"


def _as_written(core: str, base: str, prefix: str) -> str:
    """The proxied form of a plainly absolute, scheme-relative or rooted URL (no `\\`, no
    dot-dot segment) with its path, query and fragment kept byte for byte; ValueError for
    any other."""
    if core.startswith("//"):
        return to_proxy(_origin(base).partition(":")[0] + ":" + core, prefix)
    if core.startswith("/"):
        return to_proxy(_origin(base) + core, prefix)
    return to_proxy(core, prefix)


def rewrite_url(value: str, base: str, prefix: str) -> str:
    """Proxy one URL found in a page whose base URL is `base`; leave anything else unchanged.

    The result loads the proxied form of what `value` means upstream (see the module's rule):
    absolute, scheme-relative and rooted http(s) and ws(s) URLs are mapped, keeping what
    follows the host as written where it needs no resolving; relative ones stay as written
    unless they would resolve elsewhere under the proxy; other schemes and junk are returned
    as is.
    """
    core = value.strip(_C0_AND_SPACE)
    lead = value[: len(value) - len(value.lstrip(_C0_AND_SPACE))]
    trail = value[len(lead) + len(core) :]
    core = core.translate(_TAB_OR_NEWLINE)
    if not core or core[0] == "#":
        return value
    scheme = _SCHEME.match(core)
    relative = not scheme and core[0] not in "/\\"
    plain = "\\" not in core and not _DOT_DOT.search(core)
    if scheme and scheme[1].lower() not in _DEFAULT_PORTS:
        return value
    if relative and (plain or ("\\" not in core and not _climbs(core, base))):
        return value  # resolves under the prefix as it does upstream
    if plain and (not scheme or core.startswith("//", scheme.end())):
        try:
            return lead + _as_written(core, base, prefix) + trail
        except ValueError:
            pass  # `///x`, a host the proxy refuses...: as the browser reads it
    target = resolve(core, base)
    if target is None or target.partition(":")[0] not in _DEFAULT_PORTS:
        return value
    proxied = _mapped(target, prefix)
    if relative:
        try:
            here = _ANY_ORIGIN + to_proxy(base, prefix)
        except ValueError:
            return value
        if resolve(core, here) == resolve(proxied, here):
            return value
    return lead + proxied + trail


def rewrite_location(location: str, base: str, prefix: str) -> str:
    """Map a `Location` header resolved against the request URL `base`; keep other schemes."""
    target = resolve(location, base)
    if target is None or target.partition(":")[0] not in _DEFAULT_PORTS:
        return location
    return _mapped(target, prefix)

"""Map upstream http(s) and ws(s) URLs to and from the proxy's path-preserving form.

See docs/protocol.md; WebSocket URLs map like http ones (`wss://h/p` -> `prefix + "wss/h/p"`).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urljoin

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_ABSOLUTE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)", re.S)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_HOSTPORT = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::([0-9]*))?")
_HOSTNAME = re.compile(r"[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_-]+)*\.?")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")  # ignored inside URLs by browsers


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


def _origin(base: str) -> str:
    m = _ABSOLUTE.fullmatch(base)
    if not m:
        raise ValueError(f"base is not absolute: {base!r}")
    return f"{m[1]}://{m[2]}"


def rewrite_url(value: str, base: str, prefix: str) -> str:
    """Proxy one URL found in a page whose base URL is `base`; leave anything else unchanged.

    Absolute, protocol-relative and root-relative http(s) and ws(s) URLs are mapped; relative
    paths stay relative (the path-preserving scheme resolves them), other schemes and junk are
    returned as is.
    """
    core = value.strip(_C0_AND_SPACE)
    lead = value[: len(value) - len(value.lstrip(_C0_AND_SPACE))]
    trail = value[len(lead) + len(core) :]
    core = core.translate(_TAB_OR_NEWLINE)
    try:
        if core.startswith("//"):
            target = _origin(base).partition(":")[0] + ":" + core
        elif core.startswith("/"):
            target = _origin(base) + core
        else:
            m = _SCHEME.match(core)
            if not m or m[1].lower() not in _DEFAULT_PORTS or not core.startswith("//", m.end()):
                return value
            target = core
        return lead + to_proxy(target, prefix) + trail
    except ValueError:
        return value


def rewrite_location(location: str, base: str, prefix: str) -> str:
    """Map a `Location` header resolved against the request URL `base`; keep other schemes."""
    try:
        return to_proxy(urljoin(base, location.strip()), prefix)
    except ValueError:
        return location

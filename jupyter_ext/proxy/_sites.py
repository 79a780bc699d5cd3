"""Sites, as browsers scope cookies and same-site checks: scheme plus registrable domain."""

from __future__ import annotations

import ipaddress
from functools import cache, lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list shipped with the package: no network


def site_of(url: str) -> str:
    """``https://www.example.co.uk/x`` -> ``https://example.co.uk``; IP addresses and single
    names (``localhost``) are their own site. ``ws``/``wss`` count as ``http``/``https``."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    host = (parts.hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return f"{scheme}://{host}"
    except ValueError:
        pass
    return f"{scheme}://{registrable_domain(host)}"


@lru_cache(maxsize=4096)  # bounded: pages name as many hosts as they like
def registrable_domain(host: str) -> str:
    """``www.example.co.uk`` -> ``example.co.uk``; a public suffix or a single name is itself."""
    return _suffixes().privatesuffix(host) or host


def is_public_suffix(host: str) -> bool:
    """Whether ``host`` is a public suffix (``co.uk``, ``github.io``) by the list."""
    return bool(_suffixes().is_public(host))

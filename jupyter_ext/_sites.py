"""Sites, as browsers scope cookies and same-site checks: scheme plus registrable domain."""

from __future__ import annotations

import ipaddress
from functools import cache
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
    return f"{scheme}://{_suffixes().privatesuffix(host) or host}"

"""The URL in a `Refresh` header or a `<meta http-equiv=refresh>`'s content."""

from __future__ import annotations

import re

from ._tokenizer import WS
from ._urls import rewrite_url

_REFRESH = re.compile(
    rf"({WS}*[0-9.]*{WS}*(?:[;,]{WS}*)?(?:url{WS}*={WS}*)?)([\"']?)(.*)", re.I | re.S
)


def rewrite_refresh(content: str, base_url: str, prefix: str) -> str:
    """Proxy the URL in a `Refresh` header or `<meta http-equiv=refresh>` content value."""
    m = _REFRESH.fullmatch(content)
    if m is None:
        return content
    head, quote, rest = m.groups()
    if quote:
        url, sep, tail = rest.partition(quote)
        tail = sep + tail
    else:
        url, tail = rest, ""
    return head + quote + rewrite_url(url, base_url, prefix) + tail

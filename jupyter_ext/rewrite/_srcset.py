"""`srcset` and `imagesrcset` values: a list of image candidates, each a URL and descriptors."""

from __future__ import annotations

import re
from collections.abc import Callable

_SRCSET_URL = re.compile(r"([\t\n\f\r ,]*)([^\t\n\f\r ]*)")
_SRCSET_DESCRIPTORS = re.compile(r"(?:\([^)]*\)?|[^,(])*")


def rewrite_srcset(value: str, rewrite: Callable[[str], str]) -> str:
    """Rewrite each candidate URL of a srcset list, keeping separators and descriptors."""
    out: list[str] = []
    pos = 0
    while pos < len(value):
        m = _SRCSET_URL.match(value, pos)
        assert m is not None
        url = m[2].rstrip(",")
        out += [m[1], rewrite(url), m[2][len(url) :]]
        pos = m.end()
        if url == m[2]:
            d = _SRCSET_DESCRIPTORS.match(value, pos)
            assert d is not None
            out.append(d.group())
            pos = d.end()
    return "".join(out)

"""The small demo site shipped with the package, served through the proxy without a network."""

from __future__ import annotations

import mimetypes
import re
from importlib import resources
from urllib.parse import urlsplit

from cobrowse_widget._shared import DEMO_HOST

_SAFE_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")  # no "..", drives or separators


def is_demo(url: str) -> bool:
    """True for URLs of the demo site (the reserved ``.invalid`` name never resolves)."""
    return (urlsplit(url).hostname or "") == DEMO_HOST


def demo_file(url: str) -> tuple[bytes, str] | None:
    """The body and content type for a demo URL, or None when there is no such page."""
    path = urlsplit(url).path.lstrip("/") or "index.html"
    if path.endswith("/"):
        path += "index.html"
    parts = path.split("/")
    if not all(_SAFE_PART.match(part) for part in parts):
        return None
    node = resources.files("jupyter_ext").joinpath("demo", *parts)
    if not node.is_file():
        return None
    content_type = mimetypes.guess_type(parts[-1])[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    return node.read_bytes(), content_type

"""Which bodies are rewritten, in which encoding, and the rewrite of one whole body. Pure."""

from __future__ import annotations

import codecs
import re

from ._css import rewrite_css
from ._html import rewrite_html
from ._mime import extract_mime_type
from ._sitemap import rewrite_sitemap

_HTML = ("text/html", "application/xhtml+xml")
_XML = ("application/xml", "text/xml")  # rewritten when they are sitemaps

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def media_type(content_type: str) -> str:
    """The essence of a Content-Type as browsers read it (Fetch's "extract a MIME type": of
    ``image/png, text/html`` the last valid type wins), ``""`` when none is valid."""
    mime = extract_mime_type([content_type])
    return mime.essence if mime is not None else ""


def charset(content_type: str, body: bytes) -> str:
    """The page's encoding from the BOM, the header or a ``<meta>``; UTF-8 when none is given."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return name
    mime = extract_mime_type([content_type])
    found = mime.parameters.get("charset") if mime is not None else None
    if found is None:
        meta = _CHARSET.search(body[:4096])
        found = meta.group(1).decode("ascii") if meta else "utf-8"
    try:
        return codecs.lookup(found).name
    except LookupError:
        return "utf-8"


def _text_codec(content_type: str, body: bytes) -> str:
    """A codec that round-trips every byte: latin-1 for ASCII-compatible pages (URL syntax is
    ASCII, so nothing else changes), the page's own codec otherwise."""
    name = charset(content_type, body)
    return name if name.startswith(("utf-16", "utf-32")) else "latin-1"


def rewritable(content_type: str) -> bool:
    """Whether a body of this type is rewritten (HTML and CSS) rather than passed through. A
    body with no valid type is not: under ``X-Content-Type-Options: nosniff``, which the proxy
    always sends, browsers never sniff it as HTML (WHATWG MIME Sniffing, sniff-scriptable
    unset; Chromium renders it as text/plain)."""
    return media_type(content_type) in (*_HTML, "text/css", *_XML)


def rewrite_body(
    body: bytes,
    content_type: str,
    base_url: str,
    prefix: str,
    tags: tuple[str, str],
    origin: str = "",
) -> bytes:
    """Rewrite an HTML or CSS body so every URL in it goes through the proxy; ``tags`` (see
    ``agent_tags``) go first in an HTML page's head and in its srcdoc documents'. A sitemap's
    addresses become absolute proxied ones on ``origin`` (the proxy's, as the browser sees it):
    pages compare them with their own links (mkdocs-material's instant navigation)."""
    codec = _text_codec(content_type, body)
    text = body.decode(codec, errors="surrogateescape")
    kind = media_type(content_type)
    if kind == "text/css":
        text = rewrite_css(text, base_url, prefix)
    elif kind in _XML:
        text = rewrite_sitemap(text, base_url, origin + prefix)
    else:
        text = rewrite_html(text, base_url, prefix, *tags)
    return text.encode(codec, errors="surrogateescape")

"""Rewriting what a site sends so that every URL in it goes through the proxy: HTML (with its
srcdoc documents, import maps and inline styles), CSS, sitemaps, and addresses in headers; and
the mapping between upstream and proxied URLs. Pure and byte-preserving.

One module per concern: `_html` (pages), `_tokenizer` (its patterns), `_fast` (the fast path
built from them), `_attributes` (which attributes, from `url_attributes.json`), `_attr_values`
(character references), `_css`, `_srcset`, `_refresh`, `_importmap`, `_sitemap`, `_urls`,
`_mime` and `_body` (which bodies, in which encoding)."""

from ._attributes import URL_ATTRIBUTES, Edit
from ._body import charset, media_type, rewritable, rewrite_body
from ._css import rewrite_css
from ._html import rewrite_html
from ._mime import MimeType, extract_mime_type, parse_mime_type
from ._refresh import rewrite_refresh
from ._sitemap import rewrite_sitemap
from ._urls import from_proxy, resolve, rewrite_location, rewrite_url, to_proxy

__all__ = [
    "URL_ATTRIBUTES", "Edit", "MimeType", "charset", "extract_mime_type", "from_proxy",
    "media_type", "parse_mime_type", "resolve", "rewritable", "rewrite_body", "rewrite_css",
    "rewrite_html", "rewrite_location", "rewrite_refresh", "rewrite_sitemap", "rewrite_url",
    "to_proxy",
]  # fmt: skip

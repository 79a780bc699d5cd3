"""Rewriting what a site sends so that every URL in it goes through the proxy: HTML (with its
srcdoc documents, import maps and inline styles), CSS, sitemaps, and addresses in headers; and
the mapping between upstream and proxied URLs. Pure and byte-preserving."""

from ._body import charset, media_type, rewritable, rewrite_body
from ._html import rewrite_css, rewrite_html, rewrite_refresh, rewrite_sitemap
from ._mime import MimeType, extract_mime_type, parse_mime_type
from ._urls import from_proxy, resolve, rewrite_location, rewrite_url, to_proxy

__all__ = [
    "MimeType", "charset", "extract_mime_type", "from_proxy", "media_type", "parse_mime_type",
    "resolve", "rewritable", "rewrite_body", "rewrite_css", "rewrite_html", "rewrite_location",
    "rewrite_refresh", "rewrite_sitemap", "rewrite_url", "to_proxy",
]  # fmt: skip

"""Sitemaps (sitemaps.org): the addresses of a site's pages, in `<loc>` and `<xhtml:link href>`."""

from __future__ import annotations

import re

from ._urls import rewrite_url

_SITEMAP_ROOT = re.compile(r"<(?:[\w.-]+:)?(?:urlset|sitemapindex)[\s>]")
_SITEMAP_LOC = re.compile(r"(<(?:[\w.-]+:)?loc>)([^<]*)(?=</)")
_SITEMAP_LINK = re.compile(r"(<(?:[\w.-]+:)?link\b[^>]*?\shref=)([\"'])([^\"'<>]*)\2")


def rewrite_sitemap(xml: str, base_url: str, prefix: str) -> str:
    """A sitemap with every page address in the proxy's form (under ``prefix``, absolute when
    the prefix is), byte for byte elsewhere; other XML documents are returned unchanged."""
    if not _SITEMAP_ROOT.search(xml, 0, 65536):
        return xml
    xml = _SITEMAP_LOC.sub(lambda m: m[1] + rewrite_url(m[2], base_url, prefix), xml)
    return _SITEMAP_LINK.sub(
        lambda m: m[1] + m[2] + rewrite_url(m[3], base_url, prefix) + m[2], xml
    )

"""Pure proxy logic: the security headers, body rewriting and the words of its error page."""

from __future__ import annotations

import asyncio
import codecs
import html
import re
import socket
import ssl
from urllib.parse import urlsplit

import aiohttp
from tornado.httpclient import HTTPClientError
from tornado.simple_httpclient import HTTPTimeoutError

from ._mime import extract_mime_type
from ._rewrite import rewrite_css, rewrite_html, rewrite_sitemap
from ._sites import site_of
from ._ssrf import BlockedAddressError

SANDBOX = "sandbox allow-scripts allow-forms allow-popups"
AGENT_PATH = "_/agent.js"  # under a capability prefix: the agent bundle, for srcdoc documents

_HTML = ("text/html", "application/xhtml+xml")
_XML = ("application/xml", "text/xml")  # rewritten when they are sitemaps

SECURITY_HEADERS = {
    "Content-Security-Policy": SANDBOX,
    "Access-Control-Allow-Origin": "*",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Every proxied resource is cross-origin to the opaque page: let its timing be seen.
    "Timing-Allow-Origin": "*",
}

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


def inlinable(script: str) -> str:
    """``script`` if it can sit inside ``<script>...</script>`` unchanged (a bundle that says
    ``</script`` or ``<!--`` would end or confuse the element), else ValueError."""
    lowered = script.lower()
    if "</script" in lowered or "<!--" in lowered:
        raise ValueError("the agent bundle cannot be inlined in a <script> element")
    return script


def agent_tags(
    agent: str,
    upstream_url: str,
    prefix: str,
    cookies: str = "",
    result_id: str | None = None,
) -> tuple[str, str]:
    """The co-browsing agent's tags: one for the page, inlined first in ``<head>`` (no extra
    request that would hold up the parser), and one for its ``<iframe srcdoc>`` documents, which
    loads it from the proxy (an attribute would carry the whole bundle escaped, once a frame).
    Both say what the agent needs to know: the page's upstream URL, the proxy prefix, the
    cookies ``document.cookie`` shows, its site (scheme and registrable domain) and, for the
    page of a form submission's answer, the id under which followers can see it. ``agent`` is
    the checked bundle (see ``inlinable``)."""
    attrs = {
        "data-cobrowse-url": upstream_url,
        "data-cobrowse-prefix": prefix,
        "data-cobrowse-cookies": cookies,
        "data-cobrowse-site": site_of(upstream_url),
    }
    rendered = " ".join(f'{name}="{html.escape(value)}"' for name, value in attrs.items())
    result = f' data-cobrowse-result="{html.escape(result_id)}"' if result_id is not None else ""
    page = f"<script {rendered}{result}>{agent}</script>"
    frame = f'<script src="{html.escape(prefix + AGENT_PATH)}" {rendered}></script>'
    return page, frame


def failure_reason(exc: BaseException, url: str) -> str:
    """What went wrong reaching ``url``, in words a user can act on."""
    host = urlsplit(url).hostname or url
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        exc = exc.certificate_error
    elif isinstance(exc, aiohttp.ClientConnectorError):
        exc = exc.os_error  # what the connection attempt itself raised
    if isinstance(exc, BlockedAddressError):
        return str(exc)
    if isinstance(exc, socket.gaierror):
        return f"the name {host} could not be found (DNS lookup failed)"
    if isinstance(exc, ConnectionRefusedError):
        return f"{host} refused the connection"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the certificate of {host} could not be verified ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        detail = getattr(exc, "reason", None) or exc
        return f"a secure connection to {host} could not be made ({detail})"
    if isinstance(exc, HTTPTimeoutError | TimeoutError | asyncio.TimeoutError):
        return f"{host} did not answer in time"
    if isinstance(exc, HTTPClientError) and exc.code == 599:
        return f"the connection to {host} broke ({exc.message})"
    if isinstance(exc, aiohttp.ClientError):
        return f"the connection to {host} broke ({exc})"
    return str(exc) or type(exc).__name__


def error_text(url: str, reason: str) -> str:
    """The plain-text page shown in the widget when the upstream site cannot be loaded."""
    return (
        "cobrowse: this page could not be loaded.\n\n"
        f"  address: {url}\n  reason:  {reason}\n\n"
        "Check the address, or try again in a moment.\n"
    )

"""What the proxy serves besides the site's own bytes: the security headers, the agent's tags and
the words of its error page. Pure."""

from __future__ import annotations

import asyncio
import html
import socket
import ssl
from urllib.parse import urlsplit

import aiohttp
from tornado.httpclient import HTTPClientError
from tornado.simple_httpclient import HTTPTimeoutError

from ._sites import site_of
from ._ssrf import BlockedAddressError

# What proxied pages may do: the widget's frame gets these flags from the session endpoint and
# every proxied answer the same policy as a CSP header. Never allow-same-origin.
FRAME_SANDBOX = "allow-scripts allow-forms allow-popups"
SANDBOX = f"sandbox {FRAME_SANDBOX}"
AGENT_PATH = "_/agent.js"  # under a capability prefix: the agent bundle, for srcdoc documents

SECURITY_HEADERS = {
    "Content-Security-Policy": SANDBOX,
    "Access-Control-Allow-Origin": "*",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Every proxied resource is cross-origin to the opaque page: let its timing be seen.
    "Timing-Allow-Origin": "*",
}


def inlinable(script: str) -> str:
    """``script`` if it can sit inside ``<script>...</script>`` of a page in any encoding
    unchanged: ASCII only, and no ``</script`` or ``<!--`` that would end or confuse the
    element; else ValueError."""
    if not script.isascii():
        raise ValueError("the agent bundle must be ASCII to go into pages of any encoding")
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

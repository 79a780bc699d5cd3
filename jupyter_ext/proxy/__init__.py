"""The proxy's services: the upstream client and its SSRF guard, capability sessions with their
cookie jar, cache and kept results, the header rules, and one exchange with a site."""

from ._browser_pass import BrowserPass
from ._budget import InFlightBytes, KeptBytes
from ._exchange import REPLAYABLE, SAFE, Exchange, OverLimit
from ._fetch import Upstream, trusting
from ._headers import upstream_request_headers
from ._pages import (
    AGENT_PATH,
    FRAME_SANDBOX,
    SANDBOX,
    SECURITY_HEADERS,
    agent_tags,
    error_text,
    inlinable,
)
from ._services import ProxyLimits, ProxyServices
from ._sessions import Capability, Session, SessionStore, TooManySessions, proxy_prefix
from ._sites import site_of
from ._ssrf import AddressPolicy

__all__ = [
    "AGENT_PATH",
    "FRAME_SANDBOX",
    "REPLAYABLE",
    "SAFE",
    "SANDBOX",
    "SECURITY_HEADERS",
    "AddressPolicy",
    "BrowserPass",
    "Capability",
    "Exchange",
    "InFlightBytes",
    "KeptBytes",
    "OverLimit",
    "ProxyLimits",
    "ProxyServices",
    "Session",
    "SessionStore",
    "TooManySessions",
    "Upstream",
    "agent_tags",
    "error_text",
    "inlinable",
    "proxy_prefix",
    "site_of",
    "trusting",
    "upstream_request_headers",
]

"""What the proxy's handlers are given by the app, and nothing else of it."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from dataclasses import dataclass

from ._browser_pass import BrowserPass
from ._budget import InFlightBytes
from ._fetch import Upstream
from ._sessions import SessionStore


@dataclass(frozen=True)
class ProxyLimits:
    """Bounds on one exchange (see the app's settings of the same names)."""

    max_request_size: int
    max_page_size: int
    page_timeout: float
    request_timeout: float
    max_body_size: int


@dataclass
class ProxyServices:
    """The proxy's sessions, upstream client and budgets, shared by its HTTP and websocket
    handlers."""

    sessions: SessionStore
    browser_pass: BrowserPass
    upstream: Upstream
    agent: str  # the agent bundle, checked to be inlinable
    in_flight: InFlightBytes  # bytes of request bodies and pages all rooms hold
    streams: asyncio.Semaphore  # streamed answers and page websockets of all rooms
    rewriters: Executor  # where large pages are rewritten, off the event loop
    limits: ProxyLimits
    log: logging.Logger

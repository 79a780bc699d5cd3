"""Waiting for the condition a test depends on, with a deadline, instead of sleeping for a guess.

A fixed sleep is flaky on a slow machine and slow on a fast one; an assertion that something did
NOT happen after a sleep passes whenever the event is merely late. Tests wait for the event itself
(``until``, ``poll``), and check an absence only after a later marker has arrived.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from playwright.sync_api import Page

T = TypeVar("T")


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the event loop run until ``condition()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"condition not reached in {timeout} s"
        await asyncio.sleep(0.01)


def poll(condition: Callable[[], T], page: Page, timeout_ms: int = 10_000) -> T:
    """Ask ``condition()`` every 100 ms until it returns something truthy, and return that; fail
    after ``timeout_ms``. Playwright delivers frame and page events only while one of its calls
    runs, so the pause between tries is the page's, never ``time.sleep``."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not (result := condition()):
        assert time.monotonic() < deadline, f"condition not reached in {timeout_ms} ms"
        page.wait_for_timeout(100)
    return result

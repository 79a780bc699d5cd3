"""Reading what the agent sent to the stand-in widget of the agent test pages."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page


def messages(page: Page, kind: str) -> list[Any]:
    return page.evaluate("(kind) => window.received.filter((m) => m.type === kind)", kind)


def wait_for_message(page: Page, kind: str, count: int = 1) -> None:
    page.wait_for_function(
        "([kind, count]) => window.received.filter((m) => m.type === kind).length >= count",
        arg=[kind, count],
        timeout=5000,
    )

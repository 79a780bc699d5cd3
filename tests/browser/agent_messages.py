"""Reading what the agent sent to the stand-in widget of the agent test pages."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Frame, Page


def messages(page: Page, kind: str) -> list[Any]:
    return page.evaluate("(kind) => window.received.filter((m) => m.type === kind)", kind)


def wait_for_message(page: Page, kind: str, count: int = 1) -> None:
    page.wait_for_function(
        "([kind, count]) => window.received.filter((m) => m.type === kind).length >= count",
        arg=[kind, count],
        timeout=5000,
    )


# The overlay's shadow root is closed; a test that looks inside installs this before the agent
# runs (an init script), and then finds the root at `window.cobrowseOverlayRoot`.
OVERLAY_HOOK = """(() => {
    const attach = Element.prototype.attachShadow;
    Element.prototype.attachShadow = function (init) {
        const root = attach.call(this, init);
        if (this.id === 'cobrowse-overlay') window.cobrowseOverlayRoot = root;
        return root;
    };
})();"""


def open_stand_in(page: Page, url: str, timeout_ms: float = 30_000) -> Frame:
    """Open the stand-in widget (agent_pages/parent.html) at ``url`` in ``page``, wait for its
    agent's hello and return the frame it embeds."""
    page.goto(url)
    page.wait_for_function("window.received.some((m) => m.type === 'hello')", timeout=timeout_ms)
    element = page.query_selector("#frame")
    frame = element.content_frame() if element else None
    assert frame is not None
    return frame


def expose_overlay(page: Page, frame: Frame) -> None:
    """Reload the stand-in widget's page with OVERLAY_HOOK installed; waits for the new hello."""
    page.context.add_init_script(OVERLAY_HOOK)
    count = len(messages(page, "hello"))
    frame.evaluate("location.reload()")
    wait_for_message(page, "hello", count + 1)

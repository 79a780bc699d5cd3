"""Scrolling a frame with the mouse wheel, as a user does, and waiting until it comes to rest."""

from __future__ import annotations

from playwright.sync_api import Frame, Page


def wheel_to_rest(page: Page, frame: Frame, dy: int, steps: int = 1) -> None:
    """Turn the wheel over ``frame`` (under the mouse) by ``dy`` pixels in ``steps`` notches, and
    wait until the frame rests where that takes it: headless Chromium scrolls a wheel's delta at
    once, without animation, up to the bottom of the document."""
    y, most = frame.evaluate("[scrollY, document.scrollingElement.scrollHeight - innerHeight]")
    for _ in range(steps):
        page.mouse.wheel(0, dy / steps)
    frame.wait_for_function("(y) => Math.abs(scrollY - y) < 1", arg=min(y + dy, most))

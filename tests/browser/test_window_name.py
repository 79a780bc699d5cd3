"""window.name does not carry one site's data to the next site's page in the widget's frame."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Frame, Page

from .agent_messages import wait_for_message

pytestmark = pytest.mark.browser


def _go(page: Page, frame: Frame, src: str) -> str:
    """Load ``src`` in the widget's frame; the name its page saw when it started."""
    count = page.evaluate("window.received.filter((m) => m.type === 'hello').length")
    frame.evaluate("(src) => { location.href = src; }", src)
    wait_for_message(page, "hello", count + 1)
    return frame.evaluate("window.nameAtStart")


def test_name_is_kept_within_a_site_and_cleared_across_sites(
    open_page: Callable[..., tuple[Page, Frame]],
) -> None:
    page, frame = open_page(src="name-a.html")
    assert frame.evaluate("window.nameAtStart") == ""
    frame.evaluate("window.name = 'from a'")
    assert frame.evaluate("[window.name, self.name]") == ["from a", "from a"]
    assert _go(page, frame, "name-a.html") == "from a"  # same site: kept
    assert _go(page, frame, "name-b.html") == ""  # another site: cleared
    frame.evaluate("window.name = 'from b'")
    assert _go(page, frame, "name-b.html") == "from b"
    assert _go(page, frame, "name-a.html") == ""
    # A real name without the agent's marker (a page without the agent wrote it): cleared.
    frame.evaluate("() => { location.href = 'name-plain.html'; }")
    frame.wait_for_url("**/name-plain.html")
    assert frame.evaluate("window.name") == "set without the agent"
    assert _go(page, frame, "name-a.html") == ""

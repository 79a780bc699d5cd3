"""Two users co-browse in real JupyterLab and real Chromium; a hostile page stays contained."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
from playwright.sync_api import Browser, Frame, Page

from ..sites.static_site import answer, serve
from ..waiting import poll
from .agent_messages import OVERLAY_HOOK
from .lab import (
    ARTIFACTS,
    REPO,
    Lab,
    kernel_eval,
    proxied_frame,
    run_all_cells,
    running_lab,
    save,
)
from .wheel import wheel_to_rest

pytestmark = pytest.mark.browser

ORIGIN_HOST = "127.0.0.2"  # Jupyter's cookies are set for 127.0.0.1; only the proxy could leak them
PAGES = REPO / "tests" / "pages"
DEMO = "demo.cobrowse.invalid"
DEMO_ABOUT = "https://demo.cobrowse.invalid/about.html"

TOP_SECTION = """() => {
    const el = document.elementFromPoint(innerWidth / 2, 8);
    const section = el && el.closest('section');
    return section ? section.id : null;
}"""


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append(
            {"_path": self.path, **{k.lower(): v for k, v in self.headers.items()}}
        )
        svg = self.path.endswith(".svg")
        body = (PAGES / ("hostile.svg" if svg else "hostile.html")).read_bytes()
        answer(self, body, "image/svg+xml" if svg else "text/html; charset=utf-8")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """A loopback site serving the hostile page and recording every request's headers."""
    with serve(_Recorder, ORIGIN_HOST) as url:
        yield url


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    notebooks = [REPO / "notebooks" / "quickstart.ipynb"]
    with running_lab(tmp_path_factory.mktemp("lab"), notebooks, [ORIGIN_HOST]) as server:
        yield server


@pytest.fixture(scope="module")
def users(browser: Browser, lab: Lab) -> Iterator[tuple[Page, Page]]:
    """User 1 runs the quickstart and saves it; user 2 (another context, other window size) opens
    the same notebook (its widgets join the quickstart's named rooms)."""
    one = browser.new_context(viewport={"width": 1400, "height": 1000})
    two = browser.new_context(viewport={"width": 1000, "height": 900})
    two.add_init_script(OVERLAY_HOOK)  # the overlay's shadow root is closed to page scripts
    page1, page2 = one.new_page(), two.new_page()
    errors: list[str] = []
    for page in (page1, page2):
        page.on("pageerror", lambda exc: errors.append(str(exc)))
    lab.open(page1, "user1", "quickstart.ipynb")
    run_all_cells(page1)  # Run All: the kernel's goto and a fresh room's first page agree
    save(page1)
    lab.open(page2, "user2", "quickstart.ipynb")
    proxied_frame(page2, DEMO)
    yield page1, page2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page1.screenshot(path=str(ARTIFACTS / "user1.png"))
    page2.screenshot(path=str(ARTIFACTS / "user2.png"))
    one.close()
    two.close()
    assert not errors, errors


def _demo_frame(page: Page, path: str) -> Frame:
    return proxied_frame(page, f"{DEMO}/{path}", exact=True)


def _wait_for(
    frame_of, page: Page, script: str, expected: object, timeout_ms: int = 15_000
) -> None:
    """Poll ``script`` in the (possibly re-created) demo frame until it returns ``expected``."""
    seen: list[object] = [None]

    def matches() -> bool:
        try:
            seen.append(frame_of().evaluate(script))
        except Exception as exc:  # navigating: ask again
            seen.append(exc)
        return seen[-1] == expected

    try:
        poll(matches, page, timeout_ms)
    except AssertionError:
        raise AssertionError(f"expected {expected!r}, last saw {seen[-1]!r}") from None


def test_both_users_see_the_same_page(users: tuple[Page, Page]) -> None:
    page1, page2 = users
    for page in users:
        frame = _demo_frame(page, "tour.html")
        assert frame.evaluate("() => document.querySelector('h1').textContent") == (
            "A tour of co-browsing"
        )
    names = [p.locator(".cobrowse-people").first.inner_text().split("\n") for p in (page1, page2)]
    assert len(names[0]) == 2 and sorted(names[0]) == sorted(names[1])


def test_link_click_by_one_user_navigates_the_other(users: tuple[Page, Page]) -> None:
    page1, page2 = users
    _demo_frame(page1, "tour.html").locator("nav a", has_text="Home").click()
    home = _demo_frame(page2, "")
    assert home.evaluate("() => document.getElementById('title').textContent").startswith("Welcome")
    _demo_frame(page1, "").click("#tour-link")
    _demo_frame(page2, "tour.html")
    address = page2.locator(".cobrowse-address").first
    assert address.input_value() == "https://demo.cobrowse.invalid/tour.html"


def test_python_reads_and_sets_the_shared_url(users: tuple[Page, Page]) -> None:
    page1, page2 = users
    tour = "https://demo.cobrowse.invalid/tour.html"
    assert kernel_eval(page2, "cb.url") == repr(tour)  # followed the clicks made in the browser
    kernel_eval(page1, 'cb.goto(DEMO_URL + "about.html")')
    for page in users:
        _demo_frame(page, "about.html")
    assert kernel_eval(page1, "cb.back()") == "True"
    for page in users:
        _demo_frame(page, "tour.html")
    assert kernel_eval(page1, "' '.join(cb.history[-2:])") == repr(f"{tour} {DEMO_ABOUT}")


def test_scroll_by_one_user_moves_the_other_to_the_same_element(users: tuple[Page, Page]) -> None:
    page1, page2 = users
    frame1 = _demo_frame(page1, "tour.html")
    box = page1.locator("iframe.cobrowse-frame").first.bounding_box()
    assert box is not None
    page1.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wheel_to_rest(page1, frame1, 2400, steps=6)
    target = frame1.evaluate(TOP_SECTION)
    assert target not in (None, "proxy"), "user 1 did not scroll into the sections"
    _wait_for(lambda: _demo_frame(page2, "tour.html"), page2, TOP_SECTION, target)


def test_other_user_sees_the_pointer_with_a_name(users: tuple[Page, Page]) -> None:
    page1, page2 = users
    me = page1.locator(".cobrowse-person[data-self='true']").first.inner_text()
    box = page1.locator("iframe.cobrowse-frame").first.bounding_box()
    assert box is not None
    page1.mouse.move(box["x"] + 100, box["y"] + 120)
    page1.mouse.move(box["x"] + 180, box["y"] + 120, steps=4)
    names = """() => {
        const root = window.cobrowseOverlayRoot;
        return root ? Array.from(root.querySelectorAll('.cobrowse-pointer'))
            .map(el => el.textContent) : [];
    }"""
    has_me = f"() => ({names})().includes({json.dumps(me)})"
    _wait_for(lambda: _demo_frame(page2, "tour.html"), page2, has_me, True)


def _probe(page: Page, frame_url_end: str) -> tuple[dict, dict]:
    """What the hostile page found, in the widget and opened top-level."""
    frame = proxied_frame(page, frame_url_end)
    done = "() => document.getElementById('results').textContent.includes('\"fetch\"')"
    frame.wait_for_function(done, timeout=15_000)
    inside = json.loads(frame.evaluate("() => document.getElementById('results').textContent"))
    top = page.context.new_page()
    top.goto(frame.url)
    top.wait_for_function(done, timeout=15_000)
    alone = json.loads(top.evaluate("() => document.getElementById('results').textContent"))
    top.close()
    return inside, alone


def test_the_share_button_shows_the_line_that_joins_the_room(users: tuple[Page, Page]) -> None:
    page1, _ = users
    page1.locator(".cobrowse-button[title^='Share this room']").first.click()
    invite = page1.locator(".cobrowse-share-code").first
    invite.wait_for(timeout=5_000)
    code = invite.inner_text()
    room = page1.evaluate(
        """() => { const el = document.querySelector('.cobrowse-share-code');
                   return el.textContent.match(/room="([^"]+)"/)[1]; }"""
    )
    assert code.startswith('from cobrowse_widget import CoBrowser\nCoBrowser("https://')
    # It is Python that joins the same room.
    joined = kernel_eval(page1, code.replace("\n", "; x = ") + "; x.room")
    assert joined == repr(room)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page1.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "share-room.png"))
    page1.locator(".cobrowse-button[title^='Share this room']").first.click()  # hides it again
    page1.wait_for_function("document.querySelector('.cobrowse-share').hidden")


def test_hostile_page_cannot_reach_jupyter(users: tuple[Page, Page], origin: str, lab: Lab) -> None:
    page1, _ = users
    jupyter_cookies = [c["name"] for c in page1.context.cookies() if c["domain"] == "127.0.0.1"]
    assert jupyter_cookies, "the user is logged in to Jupyter with cookies"
    address = page1.locator(".cobrowse-address").first

    # An SVG document gets no agent: its own fetch goes straight to Jupyter's /api/kernels, and
    # the sandbox (opaque origin, no credentials, no CORS) leaves it unreadable.
    address.fill(f"{origin}/hostile.svg")
    address.press("Enter")
    for results in _probe(page1, "/hostile.svg"):
        assert results["origin"] == "null"
        assert results["cookie"].startswith("blocked:"), results
        assert results["fetch"].startswith("blocked:"), results

    # An HTML page has the agent: its cookie stand-in shows no Jupyter cookie and its requests
    # go to its own site (/api/kernels of 127.0.0.2), never to Jupyter.
    address.fill(f"{origin}/hostile")
    address.press("Enter")
    inside, alone = _probe(page1, "/hostile")
    for results in (inside, alone):
        assert results["origin"] == "null"
        assert not any(name in results["cookie"] for name in jupyter_cookies), results
        assert results["fetch"].startswith("read:200:<!doctype html>"), results  # the site's
        assert "kernel" not in results["fetch"], results
    assert inside["parent"].startswith("blocked:")
    assert any(seen.get("_path") == "/api/kernels" for seen in _Recorder.seen)
    assert _Recorder.seen and all("cookie" not in seen for seen in _Recorder.seen)
    back = page1.locator(".cobrowse-button[title^='Back']").first
    back.click()
    proxied_frame(page1, "/hostile.svg")
    back.click()
    _demo_frame(page1, "tour.html")

"""Two users co-browse in real JupyterLab and real Chromium; a hostile page stays contained."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest
from playwright.sync_api import Browser, Frame, Locator, Page, WebSocket, WebSocketRoute
from pycrdt import Doc

from cobrowse_widget import _schema

from ..sites.static_site import answer, serve
from ..waiting import poll
from .agent_messages import OVERLAY_HOOK
from .lab import (
    ARTIFACTS,
    REPO,
    Lab,
    go_to_address,
    kernel_eval,
    proxied_frame,
    run_all_cells,
    running_lab,
    save,
    write_notebook,
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
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the server keeps its rooms (SQLite), so tests can read the stored bytes."""
    return tmp_path_factory.mktemp("store") / "rooms.db"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, store: Path) -> Iterator[Lab]:
    notebooks = [REPO / "notebooks" / "quickstart.ipynb"]
    settings = (
        "--CoBrowse.room_store_class=pycrdt.store.SQLiteYStore",
        f"--CoBrowse.room_store_path={store}",
    )
    with running_lab(tmp_path_factory.mktemp("lab"), notebooks, [ORIGIN_HOST], *settings) as server:
        yield server


class Cut:
    """User 2's socket to the quickstart room, passed through Playwright so a test can cut it
    and keep it from coming back for a while (the widget keeps trying)."""

    def __init__(self) -> None:
        self.blocked = False
        self.sides: list[WebSocketRoute] = []

    def route(self, socket: WebSocketRoute) -> None:
        if self.blocked:
            socket.close()
            return
        self.sides = [socket, socket.connect_to_server()]

    def cut(self) -> None:
        self.blocked = True
        for side in self.sides:
            side.close()


CUT = Cut()


# Every websocket frame each user's browser sent or received (room, kernel), for privacy tests.
FRAMES: dict[int, list[bytes]] = {}


def _record_frames(page: Page, user: int) -> None:
    frames = FRAMES.setdefault(user, [])

    def keep(payload: str | bytes) -> None:
        frames.append(payload.encode() if isinstance(payload, str) else payload)

    def on_socket(socket: WebSocket) -> None:
        socket.on("framesent", keep)
        socket.on("framereceived", keep)

    page.on("websocket", on_socket)


@pytest.fixture(scope="module")
def users(browser: Browser, lab: Lab) -> Iterator[tuple[Page, Page]]:
    """User 1 runs the quickstart and saves it; user 2 (another context, other window size) opens
    the same notebook (its widgets join the quickstart's named rooms)."""
    one = browser.new_context(viewport={"width": 1400, "height": 1000})
    two = browser.new_context(viewport={"width": 1000, "height": 900})
    two.add_init_script(OVERLAY_HOOK)  # the overlay's shadow root is closed to page scripts
    two.route_web_socket(re.compile(r"/cobrowse/api/rooms/quickstart"), CUT.route)
    page1, page2 = one.new_page(), two.new_page()
    _record_frames(page1, 1)
    _record_frames(page2, 2)
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

    def names(page: Page) -> list[str]:
        people = page.locator(".cobrowse-people").first.locator(".cobrowse-person-name")
        return sorted(people.all_inner_texts())

    poll(lambda: len(names(page1)) == 2 and names(page1) == names(page2), page1, 10_000)
    # The kernel knows them too, from the room (on its own socket).
    listed = "sorted(p['name'] for p in cb.participants)"
    poll(lambda: kernel_eval(page1, listed) == repr(names(page1)), page1, 10_000)


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


def _kernel_syncs(user: int) -> int:
    """Comm messages carrying y-sync between a user's views and kernel, so far."""
    return sum(b'"kind":"sync"' in frame or b'"kind": "sync"' in frame for frame in FRAMES[user])


def test_scroll_by_one_user_moves_the_other_to_the_same_element(users: tuple[Page, Page]) -> None:
    """... and the kernels stay out of it: each syncs with the room on a socket of its own, so
    no view relays the scroll to its kernel."""
    page1, page2 = users
    for page in users:
        poll(lambda page=page: kernel_eval(page, "cb._link.up") == "True", page, 20_000)
    relayed = [_kernel_syncs(1), _kernel_syncs(2)]
    frame1 = _demo_frame(page1, "tour.html")
    box = page1.locator("iframe.cobrowse-frame").first.bounding_box()
    assert box is not None
    page1.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wheel_to_rest(page1, frame1, 2400, steps=6)
    target = frame1.evaluate(TOP_SECTION)
    assert target not in (None, "proxy"), "user 1 did not scroll into the sections"
    _wait_for(lambda: _demo_frame(page2, "tour.html"), page2, TOP_SECTION, target)
    assert [_kernel_syncs(1), _kernel_syncs(2)] == relayed


def test_other_user_sees_the_pointer_with_a_name(users: tuple[Page, Page]) -> None:
    page1, page2 = users
    me = _person(page1, self=True).locator(".cobrowse-person-name").inner_text()
    box = page1.locator("iframe.cobrowse-frame").first.bounding_box()
    assert box is not None
    mark = len(FRAMES[2])
    page1.mouse.move(box["x"] + 100, box["y"] + 120)
    page1.mouse.move(box["x"] + 180, box["y"] + 120, steps=4)
    names = """() => {
        const root = window.cobrowseOverlayRoot;
        return root ? Array.from(root.querySelectorAll('.cobrowse-pointer'))
            .map(el => el.textContent) : [];
    }"""
    has_me = f"() => ({names})().includes({json.dumps(me)})"
    _wait_for(lambda: _demo_frame(page2, "tour.html"), page2, has_me, True)
    # The moves came live: the first naming the element under the pointer, the next in a few
    # bytes (docs/protocol.md, "Live presence").
    live = [frame for frame in FRAMES[2][mark:] if frame[:1] == b"\x08"]
    assert live and min(map(len, live)) <= 20, [len(frame) for frame in live]


def _person(page: Page, self: bool) -> Locator:
    """The participant list's entry for this user (``self``) or the other one."""
    return page.locator(f".cobrowse-person[data-self='{str(self).lower()}']").first


def test_who_is_on_another_page_shows_and_go_there_takes_the_room_there(
    users: tuple[Page, Page],
) -> None:
    """A follower's page moved on its own (a script's route change: a follower never moves the
    room); the presenter sees it in the list and takes the room there."""
    page1, page2 = users
    kernel_eval(page1, f"cb.goto({DEMO_ABOUT!r})")
    frame2 = _demo_frame(page2, "about.html")
    _control(page1).get_by_role("button", name="Present").click()
    _control(page2).get_by_text("Following").wait_for()
    frame2.evaluate("history.pushState(null, '', 'tour.html')")
    other = _person(page1, self=False)
    go = other.get_by_role("button", name="Go there")
    go.wait_for()
    assert "on another page" in (other.get_attribute("title") or "")
    assert _person(page1, self=True).locator(".cobrowse-initials").inner_text().strip()
    go.click()  # user 1 takes the room to user 2's page
    _demo_frame(page1, "tour.html")
    go.wait_for(state="detached")  # together again
    assert _person(page2, self=False).get_by_role("button", name="Go there").count() == 0
    _control(page1).get_by_role("button", name="Stop presenting").click()
    _control(page2).get_by_role("button", name="Present").wait_for()
    kernel_eval(page1, "cb.reload()")  # user 2's page is the tour's address over the about page
    h1 = "() => document.querySelector('h1').textContent"
    _wait_for(lambda: _demo_frame(page2, "tour.html"), page2, h1, "A tour of co-browsing")


def test_a_selection_shows_on_the_other_users_page_in_their_colour(
    users: tuple[Page, Page],
) -> None:
    page1, page2 = users
    frame1 = _demo_frame(page1, "tour.html")
    title = frame1.locator("#title")
    title.scroll_into_view_if_needed()
    # From the middle of the first character to that of the last, where the glyphs are.
    ends = title.evaluate(
        """(el) => {
            const text = el.firstChild;
            const at = (i) => { const r = document.createRange(); r.setStart(text, i);
                                r.setEnd(text, i + 1); const b = r.getBoundingClientRect();
                                return [b.left + b.width / 2, b.top + b.height / 2]; };
            return [at(0), at(text.data.trimEnd().length - 1)];
        }"""
    )
    frame_box = page1.locator("iframe.cobrowse-frame").first.bounding_box()
    assert frame_box is not None
    (x0, y0), (x1, y1) = ((frame_box["x"] + x, frame_box["y"] + y) for x, y in ends)
    page1.mouse.move(x0, y0)
    page1.mouse.down()
    page1.mouse.move(x1, y1, steps=4)
    page1.mouse.up()
    chosen = frame1.evaluate("() => getSelection().toString()")
    assert chosen
    frame2 = _demo_frame(page2, "tour.html")
    frame2.wait_for_function(
        "window.cobrowseOverlayRoot?.querySelector('.selection:not([hidden]) div')"
    )
    label = "window.cobrowseOverlayRoot.querySelector('.selection span').textContent"
    me = _person(page1, self=True).locator(".cobrowse-person-name").inner_text()
    assert frame2.evaluate(label) == me
    frame1.locator("body").click(position={"x": 5, "y": 5})  # the selection is gone: so is its mark
    frame2.wait_for_function("!window.cobrowseOverlayRoot.querySelector('.selection')")


def test_a_follower_sees_the_page_at_the_presenters_width_scaled_to_fit(
    users: tuple[Page, Page],
) -> None:
    """User 1's window is wider: in the presenter's view user 2's page lays out at user 1's
    width, scaled down to fit user 2's cell."""
    page1, page2 = users
    _control(page1).get_by_role("button", name="Present").click()
    _control(page2).get_by_role("button", name="Presenter's view").click()
    width1 = _demo_frame(page1, "tour.html").evaluate("innerWidth")
    frame2 = _demo_frame(page2, "tour.html")
    frame2.wait_for_function(f"innerWidth === {width1}")
    iframe2 = page2.locator("iframe.cobrowse-frame").first
    shown = iframe2.bounding_box()
    stage = page2.locator(".cobrowse-stage").first.bounding_box()
    assert shown is not None and stage is not None
    assert shown["width"] <= stage["width"] + 1 < width1  # scaled down, all of it in the cell
    assert shown["height"] == pytest.approx(stage["height"], abs=1)
    _control(page2).get_by_role("button", name="Own view").click()
    frame2.wait_for_function(f"innerWidth !== {width1}")
    _control(page1).get_by_role("button", name="Stop presenting").click()
    _control(page2).get_by_role("button", name="Present").wait_for()


def test_a_note_pinned_by_one_user_shows_on_the_others_page_until_its_author_removes_it(
    users: tuple[Page, Page],
) -> None:
    page1, page2 = users
    page1.get_by_role("button", name=re.compile("^Pin a note")).first.click()
    _demo_frame(page1, "tour.html").locator("#title").click()
    page1.locator(".cobrowse-note-text").first.fill("Start reading here")
    page1.get_by_role("button", name="Pin", exact=True).first.click()
    frame2 = _demo_frame(page2, "tour.html")
    frame2.wait_for_function("window.cobrowseOverlayRoot?.querySelector('.note span')")
    me = _person(page1, self=True).locator(".cobrowse-person-name").inner_text()
    text = "window.cobrowseOverlayRoot.querySelector('.note span').textContent"
    assert frame2.evaluate(text) == f"{me}: Start reading here"
    pinned, title = frame2.evaluate(
        """() => [window.cobrowseOverlayRoot.querySelector('.note').getBoundingClientRect(),
                  document.querySelector('#title').getBoundingClientRect()]
                 .map((r) => ({ x: r.left, y: r.top, w: r.width, h: r.height }))"""
    )
    assert title["x"] <= pinned["x"] <= title["x"] + title["w"]  # on the element clicked
    assert title["y"] <= pinned["y"] <= title["y"] + title["h"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page2.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "note-user2.png"))
    remove = re.compile("^Remove the notes")
    assert page2.get_by_role("button", name=remove).first.is_hidden()  # not theirs
    page1.get_by_role("button", name=remove).first.click()
    frame2.wait_for_function("!window.cobrowseOverlayRoot.querySelector('.note')")


STROKE = "window.cobrowseOverlayRoot?.querySelector('.stroke polyline')"


def test_scroll_to_from_python_brings_the_element_to_the_top_of_every_page(
    users: tuple[Page, Page],
) -> None:
    page1, _ = users
    kernel_eval(page1, "cb.scroll_to('#history')")
    for selector in ("#history", "#title"):  # the title: where the tests after expect the page
        kernel_eval(page1, f"cb.scroll_to({selector!r})")
        top = f"() => Math.round(document.querySelector({selector!r}).getBoundingClientRect().top)"
        for page in users:
            _wait_for(lambda page=page: _demo_frame(page, "tour.html"), page, top, 0)


def test_a_step_from_the_notebook_shows_in_every_widget_until_hidden_or_replaced(
    users: tuple[Page, Page],
) -> None:
    page1, page2 = users
    kernel_eval(page1, "cb.step('Step 1: the proxy', 'Read the first section.')")
    steps = [page.locator(".cobrowse-step").first for page in users]
    for step in steps:
        step.get_by_text("Step 1: the proxy").wait_for()
        assert step.locator(".cobrowse-step-text").inner_text() == "Read the first section."
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page2.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "step-user2.png"))
    steps[1].get_by_role("button", name="Hide this step").click()
    steps[1].wait_for(state="hidden")
    assert steps[0].is_visible()  # hidden for user 2 only
    kernel_eval(page1, "cb.step('Step 2', '<b>plain text</b>')")
    steps[1].get_by_text("<b>plain text</b>").wait_for()  # shown again, never as HTML
    kernel_eval(page1, "cb.step(None)")  # the tutorial is over
    for step in steps:
        step.wait_for(state="hidden")


def test_a_highlight_from_python_outlines_the_element_on_everyones_page(
    users: tuple[Page, Page],
) -> None:
    """``cb.highlight(selector, note)`` in user 1's kernel outlines the element on user 2's page
    with user 1's name and the note; ``cb.clear_highlights()`` takes it away."""
    page1, page2 = users
    me = _person(page1, self=True).locator(".cobrowse-person-name").inner_text()
    key = kernel_eval(page1, "cb.highlight('#title', note='Start here')")
    assert re.fullmatch(r"'[0-9a-f]{18}'", key), key
    mark = """() => {
        const mark = window.cobrowseOverlayRoot?.querySelector('.highlight');
        if (!mark || mark.hidden) return null;
        const [a, b] = [mark, document.querySelector('#title')]
            .map((e) => e.getBoundingClientRect());
        const near = Math.abs(a.left + 2 - b.left) < 2 && Math.abs(a.top + 2 - b.top) < 2;
        return [mark.textContent, near];
    }"""
    _wait_for(lambda: _demo_frame(page2, "tour.html"), page2, mark, [f"{me}: Start here", True])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page2.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "highlight-user2.png"))
    assert "not a CSS selector" in kernel_eval(page1, "cb.highlight('#title[')")
    assert kernel_eval(page1, "cb.clear_highlights()") == "1"
    _wait_for(lambda: _demo_frame(page2, "tour.html"), page2, mark, None)


def test_a_stroke_drawn_by_the_presenter_shows_in_their_colour_until_they_clear_it(
    users: tuple[Page, Page],
) -> None:
    """User 1 presents and drags across the title with drawing on: user 2 sees the stroke in
    user 1's colour, starting on the title, and (a follower) cannot clear it; user 1 clears it."""
    page1, page2 = users
    _control(page1).get_by_role("button", name="Present").click()
    _control(page2).get_by_role("button", name="Request control").wait_for()
    draw = re.compile("^Draw on the page")
    page1.get_by_role("button", name=draw).first.click()
    title = _demo_frame(page1, "tour.html").locator("#title").bounding_box()
    assert title is not None
    x, y = title["x"] + 10, title["y"] + title["height"] / 2
    page1.mouse.move(x, y)
    page1.mouse.down()
    for i in range(1, 25):  # a zigzag to the right
        page1.mouse.move(x + i * 10, y + (12 if i % 2 else -12))
    page1.mouse.up()
    page1.get_by_role("button", name=draw).first.click()  # drawing off: the page takes clicks
    frame2 = _demo_frame(page2, "tour.html")
    frame2.wait_for_function(f"{STROKE}?.getAttribute('points')")
    colour = _person(page1, self=True).evaluate(
        "(e) => getComputedStyle(e).getPropertyValue('--person').trim()"
    )
    drawn, box = frame2.evaluate(
        f"""() => [{STROKE}, document.querySelector('#title')].map((e) => {{
              const r = e.getBoundingClientRect();
              return {{ x: r.left, y: r.top, w: r.width, h: r.height }};
            }})"""
    )
    stroke = frame2.evaluate(f"getComputedStyle({STROKE}).stroke")
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    assert stroke == f"rgb({red}, {green}, {blue})"
    assert box["x"] <= drawn["x"] <= box["x"] + 20  # it starts where it started on user 1's page
    assert drawn["y"] < box["y"] + box["h"] and drawn["y"] + drawn["h"] > box["y"]
    assert drawn["w"] > 100 and points_of(frame2) > 4  # the zigzag, simplified, not a line
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page2.locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "stroke-user2.png"))
    remove = re.compile("^Remove the notes")
    assert page2.get_by_role("button", name=remove).first.is_hidden()  # a follower's: not theirs
    page1.get_by_role("button", name=remove).first.click()
    frame2.wait_for_function(f"!{STROKE}")
    _control(page1).get_by_role("button", name="Stop presenting").click()
    _control(page2).get_by_role("button", name="Present").wait_for()


def points_of(frame: Frame) -> int:
    return frame.evaluate(f"{STROKE}.getAttribute('points').split(' ').length")


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


FORM_VALUE = "(sel) => document.querySelector(sel).value"
# A text field's value and caret, or an editable region's text and where its selection ends.
TEXT_AND_CARET = """(sel) => {
    const field = document.querySelector(sel);
    if (!field.isContentEditable) return [field.value, field.selectionStart];
    const range = document.createRange();
    range.setStart(field, 0);
    range.setEnd(getSelection().focusNode, getSelection().focusOffset);
    return [field.innerText, range.toString().length];
}"""
NAME = "() => document.querySelector('#name').value"


def _stored_fields(store: Path, room: str) -> dict[str, object]:
    """The form fields of a room's page as its stored document holds them."""
    doc = Doc()
    with contextlib.suppress(sqlite3.OperationalError), sqlite3.connect(store) as db:
        for (update,) in db.execute("SELECT yupdate FROM yupdates WHERE path = ?", (room,)):
            doc.apply_update(update)
    return _schema.page_fields(doc, _schema.current_url(doc))


@pytest.mark.parametrize("field", ["#answer", "#notes"])  # a textarea, an editable region
def test_two_users_typing_in_one_field_merge_and_keep_their_carets(
    users: tuple[Page, Page], field: str
) -> None:
    page1, page2 = users
    kernel_eval(page1, 'cb.goto(DEMO_URL + "form.html")')
    frames = [_demo_frame(page, "form.html") for page in users]
    # Each page's text fields get their shared text as it loads; wait until both views have
    # told the kernel about them, so that typing starts on one shared text.
    poll(lambda: f"'{field}': ''" in kernel_eval(page2, "cb.fields"), page2, 20_000)
    for frame in frames:
        frame.click(field)
    for one, two in zip("alpha!", "omega?", strict=True):
        frames[0].locator(field).press(one)
        frames[1].locator(field).press(two)

    def merged() -> bool:
        values = [frame.evaluate(TEXT_AND_CARET, field)[0] for frame in frames]
        return values[0] == values[1] and len(values[0]) == 12

    poll(merged, page1, 15_000)
    (text, caret1), (_, caret2) = (frame.evaluate(TEXT_AND_CARET, field) for frame in frames)
    for word in ("alpha!", "omega?"):  # each user's letters, in the order typed
        letters = iter(text)
        assert all(letter in letters for letter in word), text
    assert text[caret1 - 1] == "!" and text[caret2 - 1] == "?", (text, caret1, caret2)
    assert kernel_eval(page1, f"cb.fields['{field}']") == repr(text)


def test_private_fields_never_leave_the_page(users: tuple[Page, Page], store: Path) -> None:
    """A password and a card number typed by user 1 appear in no websocket frame of either
    browser (room and kernel), not in the kernel, not in the stored room; user 2 sees a mask."""
    page1, page2 = users
    kernel_eval(page1, 'cb.goto(DEMO_URL + "form.html")')
    frame1, frame2 = (_demo_frame(page, "form.html") for page in users)
    secrets = {"#password": "Tr0ub4dor&3-secret", "#card": "4111111111111111"}
    for selector, secret in secrets.items():
        frame1.click(selector)
        frame1.locator(selector).press_sequentially(secret)
    frame1.click("#name")
    frame1.locator("#name").press_sequentially("done")  # the marker: after the secrets
    _wait_for(
        lambda: _demo_frame(page2, "form.html"),
        page2,
        "() => document.querySelector('#name').value",
        "done",
    )
    mask = "() => document.querySelector('#card').placeholder.startsWith('\u2022')"
    _wait_for(lambda: _demo_frame(page2, "form.html"), page2, mask, True)
    assert frame2.evaluate(FORM_VALUE, "#password") == ""
    fields = kernel_eval(page1, "cb.fields")
    assert "'#password': None" in fields and "'#card': None" in fields
    poll(lambda: _stored_fields(store, "quickstart").get("#name") == "done", page1, 20_000)
    stored = b"".join(path.read_bytes() for path in store.parent.iterdir())  # with any journal
    for user in (1, 2):
        assert FRAMES[user], "no websocket frames were recorded"
    for secret in secrets.values():
        needle = secret.encode()
        assert needle not in stored
        for user in (1, 2):
            assert not any(needle in frame for frame in FRAMES[user]), (user, secret)
        assert secret not in fields
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page2.locator(".cobrowse-frame").first.scroll_into_view_if_needed()
    page2.screenshot(path=str(ARTIFACTS / "form-user2.png"))
    _back_to_the_tour(users)


def test_a_notebooks_privacy_rules_hold_for_everyone_in_the_room(
    users: tuple[Page, Page], lab: Lab, browser: Browser
) -> None:
    """User 1's notebook makes a field private; user 3, in a notebook of their own that says
    nothing about privacy, types in it: it stays on user 3's page."""
    page1, _ = users
    kernel_eval(page1, 'cb.goto(DEMO_URL + "form.html")')
    kernel_eval(page1, 'cb.private = ["#answer"]; cb.private')
    write_notebook(
        lab.root / "student.ipynb",
        "from cobrowse_widget import DEMO_URL, CoBrowser\n"
        'CoBrowser(DEMO_URL + "form.html", room="quickstart", height=300)',
    )
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    student = context.new_page()
    try:
        lab.open(student, "user3", "student.ipynb")
        run_all_cells(student)
        frame = _demo_frame(student, "form.html")
        frame.click("#answer")
        frame.locator("#answer").press_sequentially("Utrecht")
        frame.click("#name")
        frame.locator("#name").press_sequentially("-then")  # the marker, after the private one
        _wait_for(
            lambda: _demo_frame(page1, "form.html"),
            page1,
            "() => document.querySelector('#name').value.endsWith('-then')",
            True,
        )
        one = _demo_frame(page1, "form.html")
        assert one.evaluate(FORM_VALUE, "#answer") != "Utrecht"
        assert "'#answer': None" in kernel_eval(page1, "cb.fields")
    finally:
        context.close()
        kernel_eval(page1, "cb.private = []; cb.private")
        _back_to_the_tour(users)


def test_typing_while_cut_off_is_kept_and_converges_when_the_room_is_back(
    users: tuple[Page, Page],
) -> None:
    """User 2's room socket is cut mid-typing and kept from coming back: what both type
    meanwhile stays on their pages, and once user 2 is back both pages hold both. A reload of
    user 2's view then shows the room's fields again."""
    page1, page2 = users
    kernel_eval(page1, 'cb.goto(DEMO_URL + "form.html")')
    frame1, frame2 = (_demo_frame(page, "form.html") for page in users)
    frame2.click("#name")
    page2.keyboard.press("Control+A")
    page2.keyboard.press("Backspace")  # what an earlier test typed
    frame2.locator("#name").press_sequentially("before ")
    _wait_for(lambda: _demo_frame(page1, "form.html"), page1, NAME, "before ")
    frame2.locator("#name").press_sequentially("cut")
    CUT.cut()
    frame2.locator("#name").press_sequentially(" off")
    frame1.click("#newsletter")
    page2.locator(".cobrowse-status").first.wait_for(timeout=10_000)  # "reconnecting"
    assert frame2.evaluate(FORM_VALUE, "#name").endswith("cut off")
    CUT.blocked = False
    _wait_for(lambda: _demo_frame(page1, "form.html"), page1, NAME, frame2.evaluate(NAME))
    checked = "() => document.querySelector('#newsletter').checked"
    _wait_for(lambda: _demo_frame(page2, "form.html"), page2, checked, True, 30_000)
    typed = frame2.evaluate(NAME)
    assert typed.startswith("before ") and "cut off" in typed
    for page in users:  # user 2 is back in everyone's list
        people = page.locator(".cobrowse-people").first.locator(".cobrowse-person")
        poll(lambda people=people: people.count() == 2, page, 10_000)
    page2.get_by_role("button", name="Reload this view").first.click()
    _wait_for(lambda: _demo_frame(page2, "form.html"), page2, NAME, typed)
    _wait_for(lambda: _demo_frame(page2, "form.html"), page2, checked, True)
    _back_to_the_tour(users)


def test_fields_in_a_frame_of_the_page_are_shared(users: tuple[Page, Page]) -> None:
    """The demo form embeds a same-site page with a form: what user 1 types and ticks there
    shows in user 2's copy of the frame, and Python reads it among the page's fields. User 1
    goes there by the page's own link, user 2's view is taken there by the room."""
    page1, page2 = users
    kernel_eval(page1, "cb.goto(DEMO_URL)")
    _demo_frame(page1, "").click("nav a[href='form.html']")
    inner1, inner2 = (_demo_frame(page, "feedback.html") for page in users)
    poll(lambda: "#comment'" in kernel_eval(page2, "cb.fields"), page2, 20_000)
    inner1.locator("#comment").press_sequentially("lovely")
    inner1.click("#again")
    comment = "() => document.querySelector('#comment').value"
    _wait_for(lambda: _demo_frame(page2, "feedback.html"), page2, comment, "lovely")
    again = "() => document.querySelector('#again').checked"
    _wait_for(lambda: _demo_frame(page2, "feedback.html"), page2, again, True)
    fields = kernel_eval(
        page1, "sorted((k.split()[-1], v) for k, v in cb.fields.items() if k.startswith('frame 0'))"
    )
    assert fields == "[('#again', True), ('#comment', 'lovely')]"
    assert inner2.evaluate(comment) == "lovely"
    # User 1's pointer over the frame shows over user 2's copy of it, at the same place.
    box = page1.frame_locator("iframe.cobrowse-frame").first.locator("#feedback").bounding_box()
    assert box is not None
    page1.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    page1.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5, steps=3)
    over = """() => {
        const mark = window.cobrowseOverlayRoot?.querySelector('.cobrowse-pointer');
        const box = document.querySelector('#feedback').getBoundingClientRect();
        if (!mark) return null;
        const at = mark.getBoundingClientRect(); // the name, 14 and 18 px from the tip
        return [(at.left - 14 - box.left) / box.width, (at.top - 18 - box.top) / box.height];
    }"""

    def placed() -> bool:
        at = _demo_frame(page2, "form.html").evaluate(over)
        return at is not None and abs(at[0] - 0.7) < 0.05 and abs(at[1] - 0.5) < 0.1

    poll(placed, page2, 10_000)
    kernel_eval(page1, 'cb.goto(DEMO_URL + "tour.html")')  # where the tests after expect the room
    for page in users:
        _demo_frame(page, "tour.html")


def test_python_fills_and_clicks_in_its_own_page_and_everyone_sees_it(
    users: tuple[Page, Page],
) -> None:
    """``cb.fill`` and ``cb.click`` act in one page of the caller's widget, as its user: the
    room shares the edit and follows the link; ``wait_for(selector=)`` asks a page, and
    ``on("click")`` hears another user's click."""
    page1, page2 = users
    kernel_eval(page1, 'cb.goto(DEMO_URL + "form.html")')
    form2 = _demo_frame(page2, "form.html")
    poll(lambda: "'#name':" in kernel_eval(page1, "cb.fields"), page1, 20_000)  # the page's fields
    filled = "await cb.fill('#name', 'Ada'); await cb.fill('#newsletter', True)"
    filled += "; await cb.fill('#language', 'python'); cb.fields['#name']"
    assert kernel_eval(page1, filled) == "'Ada'"
    shown = "() => ['#name', '#newsletter', '#language'].map((s) => document.querySelector(s))"
    shown += ".map((field) => String(field.type === 'checkbox' ? field.checked : field.value))"
    poll(lambda: form2.evaluate(shown) == ["Ada", "true", "python"], page2, 10_000)
    missing = kernel_eval(page1, "await cb.click('#nothing', timeout=5)")
    assert missing == f"ERROR: no element matches #nothing on https://{DEMO}/form.html", missing
    assert kernel_eval(page1, "await cb.wait_for(selector='#signup', timeout=5)") is None
    heard = "heard = []; cb.on('click', lambda who, element: heard.append(element['id']))"
    kernel_eval(page1, heard)
    form2.click("#title")  # user 2's own click, heard by user 1's kernel
    poll(lambda: kernel_eval(page1, "heard") == "['title']", page1, 10_000)
    # A link clicked from Python takes the room there: both pages show the tour.
    kernel_eval(page1, "await cb.click('nav a[href=\"tour.html\"]')")
    for page in users:
        _demo_frame(page, "tour.html")
    assert kernel_eval(page1, "cb.url") == repr(f"https://{DEMO}/tour.html")


def test_in_practice_mode_each_user_fills_in_their_own_form_and_python_reads_both(
    users: tuple[Page, Page],
) -> None:
    """``cb.mode = "individual"``: each view loads the page again under a session of its own;
    what each user types stays on their page, and the teacher's kernel reads both answers."""
    page1 = users[0]
    kernel_eval(page1, 'cb.goto(DEMO_URL + "form.html")')
    for page in users:
        _demo_frame(page, "form.html")

    def prefixes() -> list[str]:
        sources = [page.locator(".cobrowse-frame").first.get_attribute("src") for page in users]
        return [str(src).split("/https/")[0] for src in sources]

    shared = prefixes()
    assert shared[0] == shared[1]
    assert kernel_eval(page1, 'cb.mode = "individual"; cb.mode') == "'individual'"
    poll(lambda: len({shared[0], *prefixes()}) == 3, page1, 20_000)  # a session each
    forms = [_demo_frame(page, "form.html") for page in users]
    for form, text in zip(forms, ("alpha", "omega"), strict=True):
        form.locator("#answer").press_sequentially(text)
    # By username (here the server's anonymous ids): the kernel's user wrote alpha.
    answers = (
        "sorted((u == cb._user, f.get('#answer')) for u, f in cb.fields_by_participant.items())"
    )
    poll(
        lambda: kernel_eval(page1, answers) == "[(False, 'omega'), (True, 'alpha')]", page1, 15_000
    )
    value = "() => document.querySelector('#answer').value"
    assert [form.evaluate(value) for form in forms] == ["alpha", "omega"]
    for page in users:  # each widget says so
        _control(page).get_by_text("Practice: your answers are your own").wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    users[1].locator(".cobrowse").first.screenshot(path=str(ARTIFACTS / "practice-user2.png"))
    table = "sorted(cb.fields_by_participant.to_dataframe()['#answer'])"
    assert kernel_eval(page1, table) == "['alpha', 'omega']"
    assert kernel_eval(page1, "cb.fields['#answer']") == "'alpha'"  # the kernel's user's own
    kernel_eval(page1, 'cb.mode = "shared"')
    poll(lambda: prefixes() == shared, page1, 20_000)  # the room's session again
    kernel_eval(page1, 'cb.goto(DEMO_URL + "tour.html")')  # where the tests after expect the room
    for page in users:
        _demo_frame(page, "tour.html")


def _back_to_the_tour(users: tuple[Page, Page]) -> None:
    """Back from the form to the tour, where the tests after expect the room."""
    assert kernel_eval(users[0], "cb.back()") == "True"
    for page in users:
        _demo_frame(page, "tour.html")


def test_a_reload_reloads_the_page_for_everyone(users: tuple[Page, Page]) -> None:
    """The widget's reload button, and ``cb.reload()``, load the room's page again in every
    participant's view."""
    page1, page2 = users
    for reload in (
        lambda: page1.get_by_role("button", name="Reload this view").first.click(),
        lambda: kernel_eval(page1, "cb.reload()"),
    ):
        _demo_frame(page2, "tour.html").evaluate("() => { window.marked = true; }")
        reload()
        marked = "() => window.marked === true"
        _wait_for(lambda: _demo_frame(page2, "tour.html"), page2, marked, False)


def _control(page: Page) -> Locator:
    return page.locator(".cobrowse-control").first


def test_a_presenter_leads_hands_over_control_and_takes_it_back(users: tuple[Page, Page]) -> None:
    """User 1 presents: user 2 follows and cannot navigate; user 2 asks for control, user 1
    gives it, user 2 leads the room; user 1 takes it back and stops presenting."""
    page1, page2 = users
    address2 = page2.locator(".cobrowse-address").first
    _control(page1).get_by_role("button", name="Present").click()
    _control(page1).get_by_text("You are presenting").wait_for()
    _control(page2).get_by_text("Following").wait_for()
    assert address2.evaluate("(input) => input.readOnly")
    # Everyone's list says who presents and who follows.
    for page in users:
        _person(page, self=False).locator(".cobrowse-person-role").wait_for()
        roles = page.locator(".cobrowse-people").first.evaluate(
            "(list) => Array.from(list.children, (li) => [li.dataset.self, li.dataset.role])"
        )
        one_is_me = page is page1
        assert sorted(roles) == sorted(
            [
                ["true" if one_is_me else "false", "presenting"],
                ["false" if one_is_me else "true", "following"],
            ]
        ), roles

    _control(page2).get_by_role("button", name="Request control").click()
    grant = _control(page1).get_by_role("button", name=re.compile("^Give .* the lead$"))
    grant.wait_for()
    for page in users:
        people = page.locator(".cobrowse-people").first.locator(".cobrowse-person")
        assert people.count() == 2, people.all_inner_texts()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(users, 1):
        page.locator(".cobrowse-toolbar").first.screenshot(
            path=str(ARTIFACTS / f"presenting-user{number}.png")
        )
    grant.click()
    _control(page2).get_by_role("button", name="Hand back").wait_for()
    assert not address2.evaluate("(input) => input.readOnly")
    go_to_address(page2, DEMO_ABOUT)
    _demo_frame(page1, "about.html")

    _control(page1).get_by_role("button", name="Take back").click()
    _control(page2).get_by_text("Following").wait_for()
    assert address2.evaluate("(input) => input.readOnly")
    assert kernel_eval(page1, "cb.back()") == "True"
    for page in users:
        _demo_frame(page, "tour.html")
    _control(page1).get_by_role("button", name="Stop presenting").click()
    _control(page2).get_by_role("button", name="Present").wait_for()
    assert not address2.evaluate("(input) => input.readOnly")


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

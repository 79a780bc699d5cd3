"""The co-browsing agent in a sandboxed iframe, driven through a stand-in widget page."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Frame, Page

from .agent_messages import expose_overlay, messages, wait_for_message
from .conftest import PROXIED_SITE
from .wheel import wheel_to_rest

pytestmark = pytest.mark.browser

UPSTREAM = "https://example.org/docs/page.html"
MISSING = " (pointing at something not on your page)"


# Where the frame is scrolled to, as the agent reports it (ScrollAnchor.fraction).
FRACTION = "scrollY / (document.scrollingElement.scrollHeight - innerHeight)"


def scroll_reported(page: Page, frame: Frame, dy: int) -> None:
    """Scrolls the frame under the mouse by ``dy`` with the wheel, and waits until it rests and
    the agent's last report, its throttle's trailing one, describes that position (to the four
    places an anchor's fractions have)."""
    wheel_to_rest(page, frame, dy)
    page.wait_for_function(
        """(at) => {
            const last = window.received.filter((m) => m.type === 'scroll').at(-1);
            return last !== undefined && Math.abs(last.anchor.fraction - at) <= 5e-5;
        }""",
        arg=frame.evaluate(FRACTION),
    )


def only_the_users_scroll_is_reported(page: Page, frame: Frame) -> None:
    """After a scroll the agent made (the room's anchor), the user scrolls further down: the report
    of that is the marker. An echo of the agent's own scroll, sent before it on the same port,
    would describe the position the anchor put the page at."""
    applied = frame.evaluate(FRACTION)
    page.mouse.move(200, 200)
    page.mouse.wheel(0, 200)
    wait_for_message(page, "scroll")
    reported = [m["anchor"]["fraction"] for m in messages(page, "scroll")]
    assert all(fraction > applied + 1e-9 for fraction in reported), (applied, reported)


def pointer_labels(frame: Frame) -> list[str]:
    return frame.evaluate(
        """() => [...window.cobrowseOverlayRoot.querySelectorAll('.cobrowse-pointer')]
                .map((label) => label.textContent)"""
    )


def test_hello_and_nobody_else_connects(open_page: Callable[..., tuple[Page, Frame]]) -> None:
    page, frame = open_page()
    # Markers for what must not happen: a message the widget's page posts after its connect, seen
    # by the page's own listener; and the agent's report of a pointer move, after its hello.
    page.evaluate(
        "document.getElementById('frame').contentWindow.postMessage({ cobrowse: 'mark' }, '*')"
    )
    frame.wait_for_function("seenFromParent.some(([kind]) => kind === 'mark')")
    page.mouse.move(200, 200)
    wait_for_message(page, "pointer")
    received = page.evaluate("window.received")
    assert received[0] == {
        "type": "hello",
        "url": UPSTREAM,
        "title": "Agent test page",
        "result": None,
        "site": "",  # the test page's tag names none
    }
    assert len(messages(page, "hello")) == 1
    # The parent's decoys (no port, wrong message) and the page's own connect were ignored.
    assert page.evaluate("window.decoyReceived") == []
    assert frame.evaluate("window.hijacked") is None
    (nested,) = frame.child_frames
    assert nested.evaluate("window.hijacked") is None
    # The page saw the decoys but never the widget's port.
    seen = frame.evaluate("window.seenFromParent")
    assert ["connect", 0] in seen
    assert ["connect", 1] not in seen


def test_inert_when_opened_top_level(browser: Browser, site: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}/page.html")
    assert page.evaluate("Symbol.for('cobrowse-agent') in window") is False
    # The client runtime runs in every proxied document, top-level too.
    assert page.evaluate("Symbol.for('cobrowse-runtime') in window") is True
    context.close()


def test_scroll_anchor_lands_on_same_element_in_other_viewport(
    open_page: Callable[..., tuple[Page, Frame]],
) -> None:
    page_a, frame_a = open_page(800, 600)
    page_b, frame_b = open_page(520, 420)

    page_a.mouse.move(400, 300)
    scroll_reported(page_a, frame_a, 1500)
    anchor = messages(page_a, "scroll")[-1]["anchor"]
    assert anchor["locator"]["id"].startswith("p")
    assert 0 < anchor["fraction"] < 1
    assert 0 <= anchor["ratio"] <= 1

    page_b.evaluate("(anchor) => sendToAgent({ type: 'scroll-to', anchor })", anchor)
    frame_b.wait_for_function("scrollY > 0")
    box = frame_b.evaluate(
        "(id) => { const r = document.getElementById(id).getBoundingClientRect();"
        " return { top: r.top, height: r.height }; }",
        anchor["locator"]["id"],
    )
    # The same element is at the top of the viewport, the same share of it scrolled past.
    assert box["top"] <= 1 < box["top"] + box["height"]
    assert abs(-box["top"] - anchor["ratio"] * box["height"]) <= 1.5

    # The programmatic scroll is not echoed back, but the next user scroll is reported.
    only_the_users_scroll_is_reported(page_b, frame_b)


def test_scroll_to_falls_back_to_fraction(open_page: Callable[..., tuple[Page, Frame]]) -> None:
    page, frame = open_page()
    anchor = {
        "locator": {"path": [["main", 0], ["p", 500]], "text": "gone"},
        "ratio": 0.5,
        "fraction": 0.5,
    }
    page.evaluate("(anchor) => sendToAgent({ type: 'scroll-to', anchor })", anchor)
    frame.wait_for_function("scrollY > 0")
    fraction = frame.evaluate("scrollY / (document.documentElement.scrollHeight - innerHeight)")
    assert abs(fraction - 0.5) < 0.01
    only_the_users_scroll_is_reported(page, frame)


def test_pointer_moves_are_reported(open_page: Callable[..., tuple[Page, Frame]]) -> None:
    page, frame = open_page()
    link = frame.evaluate(
        "() => { const a = document.querySelector('#p6 a'); a.scrollIntoView({ block: 'center' });"
        " const r = a.getBoundingClientRect();"
        " return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; }"
    )
    page.mouse.move(link["x"], link["y"] + 24)  # the iframe sits under the 24px toolbar
    wait_for_message(page, "pointer")
    pointer = messages(page, "pointer")[-1]["pointer"]
    # The proxied link is described by its upstream URL.
    assert pointer["locator"]["attrs"]["href"] == "https://example.org/docs/next.html"
    assert pointer["locator"]["text"] == "a proxied link"
    assert 0.3 < pointer["rx"] < 0.7
    assert 0.3 < pointer["ry"] < 0.7
    assert 0 < pointer["fx"] < 1
    assert 0 < pointer["fy"] < 1

    # Leaving the document. Chromium sends no boundary events into a sandboxed (out-of-process)
    # iframe when synthetic input leaves it, so dispatch the pointerout it would get.
    count = len(messages(page, "pointer"))
    frame.evaluate(
        "document.querySelector('#p6 a').dispatchEvent("
        "new PointerEvent('pointerout', { bubbles: true, relatedTarget: null }))"
    )
    wait_for_message(page, "pointer", count + 1)
    assert messages(page, "pointer")[-1]["pointer"] is None


def test_remote_pointers_are_drawn(open_page: Callable[..., tuple[Page, Frame]]) -> None:
    page_a, frame_a = open_page(800, 600)
    page_b, frame_b = open_page(500, 500)
    expose_overlay(page_b, frame_b)
    target = frame_a.evaluate(
        "() => { const p = document.getElementById('p3'); p.scrollIntoView({ block: 'center' });"
        " const r = p.getBoundingClientRect();"
        " return { x: r.left + r.width / 4, y: r.top + r.height / 2 }; }"
    )
    page_a.mouse.move(target["x"], target["y"] + 24)
    wait_for_message(page_a, "pointer")
    pointer = messages(page_a, "pointer")[-1]["pointer"]
    assert pointer["locator"]["id"] == "p3"

    evil = "<img src=x onerror=alert(1)>"
    lost = {
        "locator": {"id": "nowhere", "path": [["p", 900]], "text": "not here"},
        "rx": 0.5,
        "ry": 0.5,
        "fx": 0.5,
        "fy": 0.25,
    }
    pointers = [
        {"id": 1, "name": "Ann", "color": "#00f", "pointer": pointer},
        {"id": 2, "name": evil, "color": "red; background: url(x)", "pointer": lost},
        {"id": 3, "name": "Broken", "color": "#123456", "pointer": {"rx": "x"}},
    ]
    page_b.evaluate("(pointers) => sendToAgent({ type: 'pointers', pointers })", pointers)
    frame_b.wait_for_function(
        "window.cobrowseOverlayRoot?.querySelectorAll('.cobrowse-pointer').length === 2"
    )
    # p3 is below B's smaller viewport: Ann waits at its bottom edge, with an arrow.
    ann_label, lost_label = pointer_labels(frame_b)
    assert ann_label == "Ann \u2193" and lost_label.startswith(evil + MISSING)
    edge = frame_b.evaluate(
        """() => { const ann = window.cobrowseOverlayRoot.querySelector('.cursor');
                   const r = ann.getBoundingClientRect();
                   return { cls: ann.className, top: r.top, bottom: innerHeight }; }"""
    )
    assert "offscreen" in edge["cls"] and "below" in edge["cls"]
    assert 0 < edge["bottom"] - edge["top"] <= 8
    frame_b.evaluate("document.getElementById('p3').scrollIntoView({ block: 'center' })")
    frame_b.wait_for_function(  # placed again on the next frame, at p3 now in view
        "window.cobrowseOverlayRoot.querySelector('.cobrowse-pointer').textContent === 'Ann'"
    )
    state = frame_b.evaluate(
        """() => {
          const host = document.getElementById('cobrowse-overlay');
          const [ann, lost] = window.cobrowseOverlayRoot.querySelectorAll('.cursor');
          const arrow = ann.getBoundingClientRect();
          const p3 = document.getElementById('p3').getBoundingClientRect();
          return {
            images: document.querySelectorAll('img').length
              + window.cobrowseOverlayRoot.querySelectorAll('img').length,
            pointerEvents: getComputedStyle(host).pointerEvents,
            hit: document.elementFromPoint(arrow.left + 3, arrow.top + 4).id,
            dx: arrow.left - (p3.left + p3.width / 4),
            dy: arrow.top - (p3.top + p3.height / 2),
            lostColor: lost.style.getPropertyValue('--color'),
            lostClass: lost.className,
            labelFont: getComputedStyle(ann.querySelector('.cobrowse-pointer')).fontSize,
          };
        }"""
    )
    assert state["images"] == 0
    assert state["pointerEvents"] == "none"
    assert state["hit"] == "p3"  # the overlay never takes the pointer
    assert abs(state["dx"]) <= 1 and abs(state["dy"]) <= 1
    assert state["lostColor"] == "#e8590c"  # invalid colours fall back to the default
    assert "missing" in state["lostClass"]
    assert state["labelFont"] == "12px"  # page CSS (span { font-size: 40px }) stays out

    # The set is replaced, not merged.
    page_b.evaluate(
        "(pointer) => sendToAgent({ type: 'pointers', pointers: [{ id: 1, name: 'Ann', color: "
        "'#00f', pointer }] })",
        pointer,
    )
    frame_b.wait_for_function(
        "window.cobrowseOverlayRoot.querySelectorAll('.cobrowse-pointer').length === 1"
    )


def test_locator_round_trip(browser: Browser, site: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/locator.html")
    page.wait_for_function("window.locator")
    result = page.evaluate(
        """() => {
          const { describe, resolve } = window.locator;
          const misses = [];
          const elements = [document.body, ...document.body.querySelectorAll('*')];
          for (const element of elements) {
            const locator = JSON.parse(JSON.stringify(describe(element)));
            if (resolve(locator, document) !== element) misses.push(element.outerHTML.slice(0, 80));
          }
          const dup = describe(document.querySelectorAll('#dup')[1]);
          const spaced = describe(document.querySelectorAll('section p')[5]);
          return { count: elements.length, misses, dup, spaced,
                   title: describe(document.getElementById('title')),
                   query: describe(document.querySelector('input[name=q]')),
                   search: describe(document.querySelector('button')) };
        }"""
    )
    assert result["count"] > 40
    assert result["misses"] == []
    assert "id" not in result["dup"]  # duplicated ids are not identity
    assert result["spaced"]["text"] == "Lots of whitespace in here"
    assert result["title"] == {
        "id": "title",
        "path": [["main", 0], ["h1", 0]],
        "text": "Locator cases",
    }
    assert result["query"]["attrs"] == {"name": "q"}
    assert result["search"]["attrs"] == {"aria-label": "Search"}


def test_locator_survives_page_changes(browser: Browser, site: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/locator.html")
    page.wait_for_function("window.locator")
    result = page.evaluate(
        """() => {
          const { describe, resolve, upstreamMapper } = window.locator;
          const pick = {
            title: document.getElementById('title'),
            guide: document.querySelector('nav li:nth-child(2) a'),
            moved: document.getElementById('moved'),
            query: document.querySelector('input[name=q]'),
            beta: document.querySelectorAll('td')[2],
            fragile: document.querySelector('.fragile'),
            doomed: document.querySelector('.doomed'),
          };
          // Another participant's proxy session: a different token in the proxied URLs.
          const mine = upstreamMapper('/cobrowse/proxy/tok/', location.href);
          const theirs = upstreamMapper('/cobrowse/proxy/other/', location.href);
          const locators = Object.fromEntries(Object.entries(pick).map(
            ([key, element]) => [key, describe(element, mine)]));
          // Content inserted above everything, ids lost, text changed, an element removed.
          const banner = document.createElement('div');
          banner.textContent = 'Cookie banner';
          document.body.prepend(banner);
          const section = document.createElement('section');
          section.append(document.createElement('p'));
          document.getElementById('main').prepend(section);
          document.getElementById('moved').removeAttribute('id');
          pick.guide.setAttribute('href', '/cobrowse/proxy/other/https/example.org/guide/');
          pick.fragile.textContent = 'Completely different words';
          pick.doomed.remove();
          const found = {};
          for (const [key, locator] of Object.entries(locators)) {
            found[key] = resolve(locator, document, theirs) === pick[key];
          }
          return { found, guide: locators.guide.attrs.href,
                   nothing: resolve({ path: [['p', 0]], text: 'Text that will disappear' },
                                    document) };
        }"""
    )
    assert result["guide"] == "https://example.org/guide/"
    assert result["found"] == {
        "title": True,
        "guide": True,
        "moved": True,
        "query": True,
        "beta": True,
        "fragile": False,
        "doomed": False,
    }
    assert result["nothing"] is None


def test_a_proxied_page_framing_the_agent_cannot_connect(browser: Browser, site: str) -> None:
    """A proxied page (opaque origin) that frames another proxied page and posts connect, as the
    widget would, gets nothing: the agent only answers the Jupyter page's own origin."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site}{PROXIED_SITE}parent.html?src=page.html")
    page.frame_locator("#frame").locator("body").wait_for()
    element = page.query_selector("#frame")
    frame = element.content_frame() if element else None
    assert frame is not None
    # The agent's listener runs first and hides a connect it takes from the page's own listener:
    # the page seeing the parent's connect, port and all, is the marker that the agent declined.
    frame.wait_for_function(
        "seenFromParent.some(([kind, ports]) => kind === 'connect' && ports === 1)", timeout=5000
    )
    assert page.evaluate("self.origin") == "null"
    assert page.evaluate("window.received") == []
    context.close()

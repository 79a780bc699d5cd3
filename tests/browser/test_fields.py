"""Form fields in the agent: the user's edits reported, the room's values applied so that the
page and its framework notice, private fields kept on the page. Driven through the stand-in
widget (agent_pages/parent.html), which plays the widget's side of the port."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Frame, Page

from .agent_messages import expose_overlay, messages, wait_for_message

pytestmark = pytest.mark.browser

OpenPage = Callable[..., tuple[Page, Frame]]
PRIVACY = {"type": "privacy", "selectors": [".notebook-private"], "shared": [], "all": False}
SECRETS = {
    "#password": "hunter2-password",
    "#card": "4111111111111111",
    "#ssn": "078-05-1120",
    "#pin": "pin-24680",
}


def connect(page: Page, privacy: dict[str, Any] = PRIVACY) -> list[dict[str, Any]]:
    """Send the privacy rules as the widget does after hello; the agent's inventory."""
    page.evaluate("(m) => sendToAgent(m)", privacy)
    wait_for_message(page, "fields")
    return messages(page, "fields")[-1]["fields"]


def send_fields(page: Page, fields: list[dict[str, Any]]) -> None:
    page.evaluate("(fields) => sendToAgent({ type: 'fields', fields })", fields)


def test_nothing_is_reported_before_the_privacy_rules_arrive(open_page: OpenPage) -> None:
    page, frame = open_page(src="forms.html")
    frame.fill("#name", "early")
    frame.fill("#pin", "1234")
    inventory = connect(page)
    assert messages(page, "field") == []
    assert {"key": "#name", "kind": "text", "value": "early"} in inventory
    assert {"key": "#pin", "kind": "private", "value": None} in inventory  # the notebook's rule


def test_the_inventory_names_every_field_and_no_private_value(open_page: OpenPage) -> None:
    page, _ = open_page(src="forms.html")
    inventory = {field["key"]: field for field in connect(page)}
    assert inventory["textarea notes 0"]["kind"] == "text"
    assert inventory["#agree"] == {"key": "#agree", "kind": "check", "value": False}
    assert inventory["radio size"] == {"key": "radio size", "kind": "value", "value": ""}
    assert inventory["#city"]["kind"] == "value" and inventory["#langs"]["value"] == []
    assert inventory["#level"]["value"] == "5"
    for key in ("#password", "#card", "#ssn", "#pin"):
        assert inventory[key] == {"key": key, "kind": "private", "value": None}
    assert "#token" not in inventory and "hidden-token-value" not in str(inventory)


def test_typing_is_reported_as_edits_and_secrets_never(open_page: OpenPage) -> None:
    page, frame = open_page(src="forms.html")
    connect(page)
    frame.click("#name")
    frame.locator("#name").press_sequentially("Ada")
    for selector, secret in SECRETS.items():
        frame.click(selector)
        frame.locator(selector).press_sequentially(secret)
    frame.check("#agree")
    frame.check("input[value=m]")
    # A user's clicks (select_option would set the value by script: an untrusted event).
    frame.click("#langs option[value=py]")
    frame.click("#langs option[value=rs]", modifiers=["Control"])
    frame.locator("#extra, [name=extra]").press_sequentially("x")  # the marker: last edit
    page.wait_for_function("received.some((m) => m.key === 'input extra 0')")
    edits = messages(page, "field")
    names = [e for e in edits if e["key"] == "#name"]
    assert [(e["base"], e["value"], e["seq"]) for e in names] == [
        ("", "A", 1),
        ("A", "Ad", 2),
        ("Ad", "Ada", 3),
    ]
    assert {"type": "field", "key": "#agree", "kind": "check", "value": True} in edits
    assert {"type": "field", "key": "radio size", "kind": "value", "value": "m"} in edits
    assert {"type": "field", "key": "#langs", "kind": "multi", "value": ["py", "rs"]} in edits
    everything = str(page.evaluate("received"))
    for selector, secret in SECRETS.items():
        assert secret not in everything and secret[:4] not in everything
        assert {"type": "field", "key": selector, "kind": "private", "value": None} in edits


def test_the_rooms_values_are_applied_and_announced(open_page: OpenPage) -> None:
    page, frame = open_page(src="forms.html")
    connect(page)
    send_fields(
        page,
        [
            {"key": "#name", "kind": "text", "value": "Grace"},
            {"key": "#agree", "kind": "check", "value": True},
            {"key": "radio size", "kind": "value", "value": "s"},
            {"key": "#city", "kind": "value", "value": "oslo"},
            {"key": "#langs", "kind": "multi", "value": ["js"]},
            {"key": "#level", "kind": "value", "value": "8"},
            {"key": "#password", "kind": "text", "value": "injected"},  # private: left alone
            {"key": "#card", "kind": "private", "value": None},  # someone typed theirs
            {"key": "#agree", "kind": "text", "value": "wrong kind"},  # ignored
        ],
    )
    frame.wait_for_function("document.querySelector('#level').value === '8'")
    values = frame.evaluate(
        """() => ({
            name: document.querySelector('#name').value,
            agree: document.querySelector('#agree').checked,
            size: document.querySelector('input[value=s]').checked,
            city: document.querySelector('#city').value,
            langs: [...document.querySelector('#langs').selectedOptions].map((o) => o.value),
            password: document.querySelector('#password').value,
            card: document.querySelector('#card').placeholder,
        })"""
    )
    assert values == {
        "name": "Grace",
        "agree": True,
        "size": True,
        "city": "oslo",
        "langs": ["js"],
        "password": "",
        "card": "\u2022\u2022\u2022\u2022 (private)",
    }
    events = frame.evaluate("events")
    for expected in ("input:name", "change:name", "click:agree", "change:city", "input:level"):
        assert expected in events
    assert messages(page, "field") == []  # applying the room's values is not an edit


def test_a_remote_edit_keeps_the_local_caret_and_pending_edits(open_page: OpenPage) -> None:
    """The user types at the end while the room's text gains a word at the start: the caret
    stays after what the user typed, and an edit the widget has not yet acknowledged is
    rebased onto the room's text, not lost."""
    page, frame = open_page(src="forms.html")
    connect(page)
    frame.click("#name")
    frame.locator("#name").press_sequentially("world")
    page.wait_for_function("received.filter((m) => m.key === '#name').length === 5")
    # The room acknowledged the first four edits and has someone's "hello " before them.
    send_fields(page, [{"key": "#name", "kind": "text", "value": "hello worl", "ack": 4}])
    frame.wait_for_function("document.querySelector('#name').value === 'hello world'")
    assert frame.evaluate("document.querySelector('#name').selectionStart") == len("hello world")
    frame.locator("#name").press("!")
    page.wait_for_function("received.filter((m) => m.key === '#name').length === 6")
    last = messages(page, "field")[-1]
    assert (last["base"], last["value"]) == ("hello world", "hello world!")


@pytest.mark.parametrize("app", ["react", "vue", "svelte"])
def test_frameworks_take_the_rooms_values_into_their_state(
    open_page: OpenPage, frameworks: Any, app: str
) -> None:
    page, frame = open_page(src=f"{app}-form.html")
    frame.wait_for_selector("#state")
    connect(page)
    send_fields(
        page,
        [
            {"key": "#name", "kind": "text", "value": "ada"},
            {"key": "#agree", "kind": "check", "value": True},
            {"key": "#city", "kind": "value", "value": "paris"},
        ],
    )
    name = "ADA" if app == "react" else "ada"  # React's onChange upper-cases what it is given
    expected = f'{{"name":"{name}","agree":true,"city":"paris"}}'
    frame.wait_for_function(
        "(expected) => document.querySelector('#state').textContent === expected", arg=expected
    )


def test_details_and_media_follow_the_room(open_page: OpenPage) -> None:
    page, frame = open_page(src="forms.html")
    connect(page)
    frame.click("#more summary")
    frame.wait_for_function("document.querySelector('#audio, #clip').readyState >= 1")
    frame.click("#play")
    page.wait_for_function("received.some((m) => m.kind === 'media' && !m.value.paused)")
    edits = messages(page, "field")
    assert {"type": "field", "key": "#more", "kind": "open", "value": {"open": True}} in edits
    played = next(e for e in edits if e["kind"] == "media")
    assert played["key"] == "#clip" and played["value"]["rate"] == 1

    other, other_frame = open_page(src="forms.html")  # another participant, who has not acted
    other.click("#bar")  # ... on the page, only on the widget's page: media may play in the frame
    connect(other)
    media = {"paused": False, "time": 2.5, "rate": 1.5}
    send_fields(
        other,
        [
            {"key": "#more", "kind": "open", "value": {"open": True}},
            {"key": "#clip", "kind": "media", "value": media},
            {"key": "#clip", "kind": "media", "value": {"paused": False, "time": -1, "rate": 1}},
        ],
    )
    other_frame.wait_for_function("document.querySelector('#more').open")
    other_frame.wait_for_function(
        """() => { const clip = document.querySelector('#clip');
                   return !clip.paused && clip.playbackRate === 1.5 && clip.currentTime >= 2.5; }"""
    )
    assert messages(other, "field") == []  # what the room did is not reported back


def test_clicks_show_as_ripples_and_only_tabs_are_replayed(open_page: OpenPage) -> None:
    page, frame = open_page(src="tabs.html")
    frame.click("#tab-b")
    frame.click("#buy")
    wait_for_message(page, "click", 2)
    tab_click, buy_click = (m["pointer"] for m in messages(page, "click"))
    assert tab_click["locator"]["id"] == "tab-b" and buy_click["locator"]["id"] == "buy"

    other, other_frame = open_page(src="tabs.html")
    expose_overlay(other, other_frame)

    def pointers(pointer: dict[str, Any], click: int, replay: bool = True) -> None:
        ann = {"id": 1, "name": "Ann", "color": "#0000ff", "pointer": pointer, "click": click}
        ann["replay"] = replay  # whether Ann leads: a reader's or a follower's click is not
        other.evaluate("(p) => sendToAgent({ type: 'pointers', pointers: [p] })", ann)

    pointers(tab_click, 1)  # a click made before this page saw Ann: not shown, not replayed
    other_frame.wait_for_function("window.cobrowseOverlayRoot?.querySelector('.cursor')")
    other_frame.evaluate(RIPPLES)
    assert other_frame.evaluate("document.querySelector('#tab-b').ariaSelected") == "false"
    pointers(tab_click, 2, replay=False)  # a ripple, but Ann does not lead: no tab switch
    other_frame.wait_for_function("window.ripples === 1")
    assert other_frame.evaluate("document.querySelector('#tab-b').ariaSelected") == "false"
    pointers(tab_click, 3)
    other_frame.wait_for_function("window.ripples === 2")
    assert other_frame.evaluate("document.querySelector('#tab-b').ariaSelected") == "true"
    pointers(buy_click, 4)
    other_frame.wait_for_function("window.ripples === 3")  # replayed, if at all, by now
    assert other_frame.evaluate("window.bought") == 0


# Counts the ripples the overlay draws (each is removed after its animation).
RIPPLES = """() => {
    window.ripples = 0;
    new MutationObserver((changes) => {
        for (const change of changes) {
            for (const node of change.addedNodes) if (node.className === 'ripple') ripples++;
        }
    }).observe(window.cobrowseOverlayRoot, { childList: true });
}"""


def test_others_focus_is_outlined_with_their_name(open_page: OpenPage) -> None:
    page, frame = open_page(src="forms.html")
    frame.click("#name")
    wait_for_message(page, "focus")
    locator = messages(page, "focus")[-1]["locator"]
    assert locator["id"] == "name"

    other, other_frame = open_page(src="forms.html")
    expose_overlay(other, other_frame)
    mark = {"id": 1, "name": "Ann", "color": "#0000ff", "focus": locator}
    other.evaluate("(m) => sendToAgent({ type: 'focus', marks: [m] })", mark)
    other_frame.wait_for_function(
        "window.cobrowseOverlayRoot?.querySelector('.focus:not([hidden])')"
    )
    box, field = other_frame.evaluate(
        """() => [window.cobrowseOverlayRoot.querySelector('.focus').getBoundingClientRect(),
                  document.querySelector('#name').getBoundingClientRect()]
                 .map((r) => ({ x: r.left, y: r.top, w: r.width }))"""
    )
    assert abs(box["x"] - (field["x"] - 2)) <= 1 and abs(box["y"] - (field["y"] - 2)) <= 1
    assert box["w"] == pytest.approx(field["w"] + 4, abs=1)
    label = "window.cobrowseOverlayRoot.querySelector('.focus span').textContent"
    assert other_frame.evaluate(label) == "Ann"
    other.evaluate("() => sendToAgent({ type: 'focus', marks: [] })")
    other_frame.wait_for_function("!window.cobrowseOverlayRoot.querySelector('.focus')")


def test_what_someone_types_in_an_editable_region_is_not_in_their_pointer_or_focus(
    open_page: OpenPage,
) -> None:
    page, frame = open_page(src="forms.html")
    frame.click("#notes")
    frame.locator("#notes").press_sequentially(" secret-plan")
    box = frame.locator("#notes").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 10, box["y"] + 24 + 10)  # the frame is below a 24 px toolbar
    page.mouse.move(box["x"] + 20, box["y"] + 24 + 12)
    wait_for_message(page, "pointer")
    over = [m["pointer"]["locator"] for m in messages(page, "pointer") if m["pointer"]]
    assert any(locator.get("id") == "notes" for locator in over)
    assert "secret-plan" not in str(page.evaluate("received"))


def test_only_the_users_own_focus_is_reported(open_page: OpenPage) -> None:
    page, frame = open_page(src="forms.html")
    connect(page)
    # A page script fakes focus moving to the card field, and leaving the page.
    frame.evaluate(
        """() => {
            const card = document.querySelector('#card');
            card.dispatchEvent(new FocusEvent('focusin', { bubbles: true }));
            card.dispatchEvent(new FocusEvent('focusout', { bubbles: true }));
        }"""
    )
    frame.click("#name")  # the marker: the user's own focus
    page.wait_for_function("received.some((m) => m.type === 'focus' && m.locator)")
    focus = [m["locator"] for m in messages(page, "focus")]
    assert [locator.get("id") for locator in focus] == ["name"], focus


def test_a_selection_is_reported_by_its_hand_and_drawn_over_the_same_text(
    open_page: OpenPage,
) -> None:
    page, frame = open_page(src="forms.html")
    connect(page)
    frame.click("#name")
    frame.locator("#name").press_sequentially("Ada")
    frame.locator("#name").select_text()  # text in a field is the participant's own
    text = frame.locator("#intro")
    box = text.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 120, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function("received.some((m) => m.type === 'selection' && m.selection)")
    sent = [m["selection"] for m in messages(page, "selection")]
    assert all(s is None for s in sent[:-1]), sent  # none while in the field
    selection = sent[-1]
    assert selection["start"]["locator"]["id"] == "intro" == selection["end"]["locator"]["id"]
    chosen = frame.evaluate("() => getSelection().toString()")
    assert selection["end"]["offset"] - selection["start"]["offset"] == len(chosen) > 3
    assert "Ada" not in str(sent)

    other, other_frame = open_page(src="forms.html")
    expose_overlay(other, other_frame)
    mark = {"id": 1, "name": "Ann", "color": "#00aa00", "selection": selection}
    other.evaluate("(m) => sendToAgent({ type: 'selections', marks: [m] })", mark)
    other_frame.wait_for_function(
        "window.cobrowseOverlayRoot?.querySelector('.selection:not([hidden]) div')"
    )
    drawn, words = other_frame.evaluate(
        """(chosen) => {
            const boxes = window.cobrowseOverlayRoot.querySelectorAll('.selection div');
            const text = document.querySelector('#intro').firstChild;
            const start = text.data.indexOf(chosen);
            const range = document.createRange();
            range.setStart(text, start);
            range.setEnd(text, start + chosen.length);
            const r = range.getBoundingClientRect();
            const b = boxes[0].getBoundingClientRect();
            return [{ x: b.left, w: b.width, y: b.top }, { x: r.left, w: r.width, y: r.top }];
        }""",
        chosen,
    )
    assert drawn == pytest.approx(words, abs=1)  # over the same words
    label = "window.cobrowseOverlayRoot.querySelector('.selection span').textContent"
    assert other_frame.evaluate(label) == "Ann"
    other.evaluate("() => sendToAgent({ type: 'selections', marks: [] })")
    other_frame.wait_for_function("!window.cobrowseOverlayRoot.querySelector('.selection')")


def test_fields_a_page_adds_later_are_announced_and_get_the_rooms_values(
    open_page: OpenPage,
) -> None:
    page, frame = open_page(src="forms.html")
    connect(page)
    count = len(messages(page, "fields"))
    frame.evaluate(
        """() => {
            const late = document.createElement('input');
            late.id = 'late';
            document.body.append(late);
            const hidden = document.createElement('input');  // read-only: nothing to share
            hidden.setAttribute('readonly', '');
            hidden.id = 'catcher';
            document.body.append(hidden);
        }"""
    )
    wait_for_message(page, "fields", count + 1)
    keys = [field["key"] for field in messages(page, "fields")[-1]["fields"]]
    assert "#late" in keys and "#catcher" not in keys
    send_fields(page, [{"key": "#late", "kind": "text", "value": "from the room", "ack": 0}])
    frame.wait_for_function("document.querySelector('#late').value === 'from the room'")
    # A framework renders the field anew (a new element, the same key): the new one gets the
    # room's next value, not the element the agent found before.
    frame.evaluate(
        "document.querySelector('#late').replaceWith(Object.assign("
        "document.createElement('input'), { id: 'late' }))"
    )
    send_fields(page, [{"key": "#late", "kind": "text", "value": "again", "ack": 0}])
    frame.wait_for_function("document.querySelector('#late').value === 'again'")


def test_a_radio_group_with_a_generated_name_is_known_by_where_it_is(open_page: OpenPage) -> None:
    page, frame = open_page(src="forms.html")
    frame.evaluate(
        """() => {
            const group = document.createElement('div');
            for (const value of ['a', 'b']) {
                const radio = document.createElement('input');
                radio.type = 'radio';
                radio.name = 'react-aria-:r7:';  // a new name on every load
                radio.value = value;
                group.append(radio);
            }
            document.body.append(group);
        }"""
    )
    inventory = connect(page)
    radios = [field["key"] for field in inventory if field["key"].startswith("radio ")]
    assert sorted(radios) == ["radio path div:1/input:0", "radio size"], radios


def test_fields_inside_web_components_are_listed_and_take_the_rooms_values(
    open_page: OpenPage,
) -> None:
    page, frame = open_page(src="shadow-form.html")
    inventory = {field["key"]: field for field in connect(page)}
    assert inventory["#inner"]["kind"] == "text" and inventory["#deep"]["kind"] == "check"
    send_fields(
        page,
        [
            {"key": "#inner", "kind": "text", "value": "from the room", "ack": 0},
            {"key": "#deep", "kind": "check", "value": True},
        ],
    )
    inner = "document.querySelector('my-field').shadowRoot"
    frame.wait_for_function(f"{inner}.querySelector('#inner').value === 'from the room'")
    frame.wait_for_function(
        f"{inner}.querySelector('my-nested').shadowRoot.querySelector('#deep').checked"
    )
    # Fields added later inside a shadow root, and a web component added with its own.
    count = len(messages(page, "fields"))
    frame.evaluate(
        f"""() => {{
            {inner}.append(Object.assign(document.createElement('input'), {{ id: 'later' }}));
            const widget = document.createElement('span');
            widget.attachShadow({{ mode: 'open' }}).innerHTML = '<textarea id="own"></textarea>';
            document.body.append(widget);
        }}"""
    )
    wait_for_message(page, "fields", count + 1)
    keys = {field["key"] for field in messages(page, "fields")[-1]["fields"]}
    assert {"#later", "#own"} <= keys


def test_editable_regions_are_shared_as_plain_text(open_page: OpenPage) -> None:
    """A `contenteditable` region is a text field: its text (a line break for each <br> and
    between blocks) is listed and reported as edits; a private one is not."""
    page, frame = open_page(src="editable.html")
    inventory = {field["key"]: field for field in connect(page)}
    assert inventory["#plain"] == {"key": "#plain", "kind": "text", "value": "Draft"}
    assert inventory["#rich"]["value"] == "One two\nthree fixed"
    assert inventory["#secret"] == {"key": "#secret", "kind": "private", "value": None}
    frame.click("#plain")
    page.keyboard.press("End")
    page.keyboard.type("s")
    page.keyboard.press("Enter")
    page.keyboard.type("x")
    frame.click("#secret")
    page.keyboard.type("-hidden")
    page.wait_for_function("received.filter((m) => m.key === '#plain').length >= 3")
    plain = [(m["base"], m["value"]) for m in messages(page, "field") if m["key"] == "#plain"]
    assert plain[0] == ("Draft", "Drafts")
    assert plain[-1][1] == "Drafts\nx"
    assert "hidden" not in str(page.evaluate("received"))


def test_the_rooms_text_enters_an_editable_region_as_text_never_markup(
    open_page: OpenPage,
) -> None:
    page, frame = open_page(src="editable.html")
    connect(page)
    markup = "<img src=x onerror=alert(1)><b>bold</b>"
    send_fields(
        page,
        [
            {"key": "#plain", "kind": "text", "value": f"Hello\n{markup}"},
            {"key": "#rich", "kind": "text", "value": "One two!\nthree fixed"},
            {"key": "#secret", "kind": "text", "value": "injected"},
        ],
    )
    frame.wait_for_function("document.querySelector('#rich').textContent.includes('two!')")
    plain = frame.evaluate(
        "[...document.querySelector('#plain').childNodes].map((n) => n.nodeName + ':' "
        "+ (n.nodeValue ?? ''))"
    )
    assert plain == ["#text:Hello", "BR:", f"#text:{markup}"]
    # A change inside one text node edits that node: the region's markup stays.
    assert frame.evaluate("document.querySelector('#rich b').textContent") == "two!"
    assert frame.evaluate("document.querySelector('#rich span').textContent") == "fixed"
    assert frame.evaluate("document.querySelector('#secret').textContent") == "mine"
    assert "input:plain" in frame.evaluate("events")
    assert messages(page, "field") == []  # applying the room's text is not an edit
    inventory = {field["key"]: field for field in connect(page)}
    assert inventory["#plain"]["value"] == f"Hello\n{markup}"  # reads back as it was given


def test_a_remote_edit_keeps_the_caret_in_an_editable_region(open_page: OpenPage) -> None:
    page, frame = open_page(src="editable.html")
    connect(page)
    frame.click("#lines")
    page.keyboard.type("world")
    page.wait_for_function("received.filter((m) => m.key === '#lines').length === 5")
    # Someone's first line, before what this user typed: a rewrite of the region.
    send_fields(page, [{"key": "#lines", "kind": "text", "value": "hello\nworld", "ack": 5}])
    frame.wait_for_function("document.querySelector('#lines').textContent.startsWith('hello')")
    page.keyboard.type("!")
    page.wait_for_function("received.filter((m) => m.key === '#lines').length === 6")
    last = messages(page, "field")[-1]
    assert (last["base"], last["value"]) == ("hello\nworld", "hello\nworld!")


def test_a_frame_of_the_page_gets_its_own_link_and_its_scripts_never_a_port(
    open_page: OpenPage,
) -> None:
    """The agent in a frame of the page asks the widget's window for a link and shares its
    fields over it; the page (whose origin is opaque) cannot connect to it, and neither the
    page's nor the frame's scripts ever hold a port to the widget."""
    page, frame = open_page(src="framed.html")
    page.wait_for_function("frameReceived.filter((m) => m.type === 'hello').length >= 2")
    hello = page.evaluate("frameReceived.find((m) => m.type === 'hello')")
    assert hello["url"] == "https://example.org/framed-inner.html"
    assert hello["site"] == "https://example.org"
    page.evaluate(f"framePort.postMessage({json.dumps(PRIVACY)})")
    page.wait_for_function("frameReceived.some((m) => m.type === 'fields')")
    inner = next(f for f in page.frames if f.url.endswith("framed-inner.html"))
    inner.locator("#comment").press_sequentially("hi")
    page.wait_for_function("frameReceived.some((m) => m.type === 'field' && m.value === 'hi')")
    assert inner.evaluate("portsSeen") == 0
    assert frame.evaluate("pageHeard") == []
    # The page's own agent is not disturbed: it still talks to the widget alone.
    assert [m["url"] for m in messages(page, "hello")] == ["https://example.org/framed.html"]

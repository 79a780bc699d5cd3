"""Form fields in real Python apps (Dash, Streamlit from PyPI), loaded through the real proxy in
real Chromium: a remote participant's value, sent by the stand-in widget as the room's `fields`,
reaches the app's server (Dash's callback output, Streamlit's rerun), and the user's own typing
is reported as `field` edits."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from ..sites.python_apps import App, start_dash, start_streamlit, stopping
from .agent_messages import messages, open_stand_in, wait_for_message
from .conftest import AGENT_PAGES
from .lab import Lab, running_lab

pytestmark = pytest.mark.browser

HOST = "127.0.0.2"  # not Jupyter's 127.0.0.1: cookies are not isolated by port
PRIVACY = {"type": "privacy", "selectors": [], "shared": [], "all": False}
TIMEOUT_MS = 10_000
OpenApp = Callable[[str], tuple[Page, Frame]]


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, App]]:
    """Both apps, launched: they start while Jupyter does."""
    tmp = tmp_path_factory.mktemp("python-apps")
    apps = {"dash": start_dash(HOST, tmp), "streamlit": start_streamlit(HOST, tmp)}
    with stopping(*apps.values()):
        yield apps


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, launched: dict[str, App]) -> Iterator[Lab]:
    """A Jupyter server whose static files include the stand-in widget (agent_pages/parent.html),
    so that it is served from Jupyter's origin, as the widget is: the agent takes a connect
    only from its own origin."""
    tmp = tmp_path_factory.mktemp("lab")
    static = tmp / "static"
    static.mkdir()
    shutil.copy(AGENT_PAGES / "parent.html", static / "parent.html")
    with running_lab(tmp, [], [HOST], f"--ServerApp.extra_static_paths={static}") as server:
        yield server


@pytest.fixture(scope="module")
def apps(launched: dict[str, App], lab: Lab) -> dict[str, App]:
    """Both apps, answering."""
    for app in launched.values():
        app.wait()
    return launched


@pytest.fixture
def open_app(browser: Browser, lab: Lab) -> Iterator[OpenApp]:
    """Opens an app's page through the proxy in the stand-in widget, as a participant of a room
    of its own, and waits for the agent's hello."""
    contexts = []

    def open_app(url: str) -> tuple[Page, Frame]:
        context = browser.new_context(viewport={"width": 1000, "height": 800})
        contexts.append(context)
        answer = context.request.post(
            f"{lab.url}/cobrowse/api/session",
            data=json.dumps({"room": f"python-apps-{len(contexts)}"}),
            headers={"Authorization": f"token {lab.token}"},
        )
        assert answer.ok, answer.text()
        src = answer.json()["prefix"] + url.replace("://", "/", 1)
        page = context.new_page()
        return page, open_stand_in(page, f"{lab.url}/static/parent.html?src={src}", 15_000)

    yield open_app
    for context in contexts:
        context.close()


def connect(page: Page) -> dict[str, dict[str, Any]]:
    """Send the privacy rules as the widget does after hello; the agent's inventory by key."""
    page.evaluate("(m) => sendToAgent(m)", PRIVACY)
    wait_for_message(page, "fields")
    return {field["key"]: field for field in messages(page, "fields")[-1]["fields"]}


def send_fields(page: Page, fields: list[dict[str, Any]]) -> None:
    page.evaluate("(fields) => sendToAgent({ type: 'fields', fields })", fields)


def dash_state(frame: Frame) -> dict[str, Any]:
    """What Dash's callback last wrote: the values its server received."""
    return json.loads(frame.inner_text("#server-state"))


def wait_for_dash_state(frame: Frame, expected: dict[str, Any]) -> None:
    """Wait until Dash's callback output shows ``expected``; else fail showing what it shows."""
    try:
        frame.wait_for_function(
            "(expected) => document.querySelector('#server-state').textContent === expected",
            arg=json.dumps(expected, sort_keys=True),
            timeout=TIMEOUT_MS,
        )
    except PlaywrightTimeoutError:
        assert dash_state(frame) == expected


def open_dash(open_app: OpenApp, apps: dict[str, App]) -> tuple[Page, Frame, dict[str, Any]]:
    """The Dash app in the stand-in widget, rendered and connected; its inventory by key."""
    page, frame = open_app(apps["dash"].url)
    frame.wait_for_function("document.querySelector('#server-state')?.textContent")
    frame.wait_for_selector("input.dash-range-slider-input")  # a chunk of its own, loaded last
    return page, frame, connect(page)


DASH_START = {"name": "", "note": "", "agree": [], "city": "rome", "level": 5}


def test_dash_takes_the_rooms_values_into_its_server_state(
    open_app: OpenApp, apps: dict[str, App]
) -> None:
    page, frame, fields = open_dash(open_app, apps)
    assert dash_state(frame) == DASH_START
    # dcc.Slider's number box has neither id nor name: it is keyed by its path.
    (level,) = (key for key, field in fields.items() if field["value"] == "5")
    assert fields["#name"]["kind"] == fields["#note"]["kind"] == "text"
    assert fields["input agree 0"]["kind"] == "check" and fields[level]["kind"] == "value"
    send_fields(
        page,
        [
            {"key": "#name", "kind": "text", "value": "ada"},  # Dash sends it on each input
            {"key": "#note", "kind": "text", "value": "hi"},  # debounced: on Enter or leaving
            {"key": "input agree 0", "kind": "check", "value": True},
            {"key": level, "kind": "value", "value": "8"},  # the slider takes it on leaving
        ],
    )
    expected = {**DASH_START, "name": "ada", "note": "hi", "agree": ["yes"], "level": 8}
    wait_for_dash_state(frame, expected)
    assert messages(page, "field") == []  # applying the room's values is not an edit


def test_dash_reports_the_users_typing(open_app: OpenApp, apps: dict[str, App]) -> None:
    page, frame, _ = open_dash(open_app, apps)
    frame.click("#name")
    frame.locator("#name").press_sequentially("Bo")
    frame.click("input[name=agree]")
    wait_for_dash_state(frame, {**DASH_START, "name": "Bo", "agree": ["yes"]})
    page.wait_for_function("received.some((m) => m.key === 'input agree 0')")
    edits = messages(page, "field")
    names = [(e["base"], e["value"], e["seq"]) for e in edits if e["key"] == "#name"]
    assert names == [("", "B", 1), ("B", "Bo", 2)]
    assert {"type": "field", "key": "input agree 0", "kind": "check", "value": True} in edits


def streamlit_state(frame: Frame) -> dict[str, Any]:
    """What the last rerun wrote: the values the script received."""
    text = frame.evaluate(STREAMLIT_STATE)
    return json.loads(text.removeprefix("server-state "))


STREAMLIT_STATE = """() => [...document.querySelectorAll('[data-testid=stMarkdownContainer] p')]
    .map((p) => p.textContent).find((text) => text.startsWith('server-state ')) ?? ''"""
STREAMLIT_START = {"name": "", "agree": False, "city": "rome", "count": 1}


def wait_for_streamlit_state(frame: Frame, expected: dict[str, Any]) -> None:
    """Wait until a rerun writes ``expected``; else fail showing what the last one wrote."""
    try:
        frame.wait_for_function(
            f"(expected) => ({STREAMLIT_STATE})() === expected",
            arg="server-state " + json.dumps(expected, sort_keys=True),
            timeout=TIMEOUT_MS,
        )
    except PlaywrightTimeoutError:
        assert streamlit_state(frame) == expected


def open_streamlit(open_app: OpenApp, apps: dict[str, App]) -> tuple[Page, Frame, dict[str, str]]:
    """The Streamlit app in the stand-in widget, rendered and connected; its fields' keys by
    name (Streamlit's ids are generated, so the agent keys them by path)."""
    page, frame = open_app(apps["streamlit"].url)
    wait_for_streamlit_state(frame, STREAMLIT_START)  # the script ran
    frame.wait_for_function("document.querySelectorAll('input').length === 4")  # widgets shown
    fields = list(connect(page).values())
    assert [(f["kind"], f["value"]) for f in fields] == [
        ("text", ""),
        ("check", False),
        ("text", "rome"),  # the select box's combobox input
        ("value", "1"),
    ]
    names = ["name", "agree", "city", "count"]
    return page, frame, {name: f["key"] for name, f in zip(names, fields, strict=True)}


def test_streamlit_reruns_with_the_rooms_values(open_app: OpenApp, apps: dict[str, App]) -> None:
    page, frame, keys = open_streamlit(open_app, apps)
    send_fields(
        page,
        [
            # Streamlit's text and number inputs send their value on Enter or when left, not
            # on each input: a field the participant is not in is left as after an edit.
            {"key": keys["name"], "kind": "text", "value": "ada"},
            {"key": keys["agree"], "kind": "check", "value": True},
            {"key": keys["count"], "kind": "value", "value": "7"},
        ],
    )
    wait_for_streamlit_state(frame, {**STREAMLIT_START, "name": "ada", "agree": True, "count": 7})
    assert messages(page, "field") == []


def test_a_streamlit_select_box_is_chosen_from_its_list_not_typed(
    open_app: OpenApp, apps: dict[str, App]
) -> None:
    """st.selectbox is a react-aria combobox: its text only filters the list, and a value is
    chosen by picking an option, which no field value can do (the agent replays no clicks but
    on tabs). The room's text for it opens nothing that stays open: left, it shows its choice."""
    page, frame, keys = open_streamlit(open_app, apps)
    send_fields(
        page,
        [
            {"key": keys["city"], "kind": "text", "value": "paris"},
            {"key": keys["agree"], "kind": "check", "value": True},  # the marker: a rerun
        ],
    )
    wait_for_streamlit_state(frame, {**STREAMLIT_START, "agree": True})
    combobox = frame.locator("input[role=combobox]")
    assert combobox.input_value() == "rome"
    assert combobox.get_attribute("aria-expanded") == "false"
    assert frame.locator("[role=listbox]").count() == 0


def test_streamlit_reports_the_users_typing(open_app: OpenApp, apps: dict[str, App]) -> None:
    page, frame, keys = open_streamlit(open_app, apps)
    field = frame.locator("[data-testid=stTextInputField]")
    field.click()
    field.press_sequentially("Bo")
    field.press("Enter")  # the user's own commit
    wait_for_streamlit_state(frame, {**STREAMLIT_START, "name": "Bo"})
    wait_for_message(page, "field", 2)
    edits = [(e["base"], e["value"], e["seq"]) for e in messages(page, "field")]
    assert edits == [("", "B", 1), ("B", "Bo", 2)]
    assert {e["key"] for e in messages(page, "field")} == {keys["name"]}


def test_a_value_from_the_room_leaves_only_fields_the_user_is_not_in(
    open_page: Callable[..., tuple[Page, Frame]],
) -> None:
    """The rule the apps above rely on, on the agent's plain test page: a field the user is not
    in gets blur and focusout after its input and change, toward the element the user is in
    (so the agent does not report their focus as gone); the field they are in gets neither,
    keeps the focus, and the user's next keystroke is theirs."""
    page, frame = open_page(src="forms.html")
    connect(page)
    frame.evaluate(RECORD_LEAVING)
    frame.click("#name")
    wait_for_message(page, "focus")
    send_fields(
        page,
        [
            {"key": "#name", "kind": "text", "value": "Grace"},
            {"key": "textarea notes 0", "kind": "text", "value": "hello"},
            {"key": "#agree", "kind": "check", "value": True},
        ],
    )
    frame.wait_for_function("document.querySelector('#agree').checked")
    assert frame.evaluate("leaving") == [
        "blur:notes:name",
        "focusout:notes:name",
        "blur:agree:name",
        "focusout:agree:name",
    ]
    assert frame.evaluate("document.activeElement.id") == "name"
    frame.locator("#name").press("End")
    frame.locator("#name").press("!")
    page.wait_for_function("received.some((m) => m.key === '#name')")  # a later message
    assert messages(page, "field")[-1]["value"] == "Grace!"
    assert all(m["locator"] is not None for m in messages(page, "focus"))


# Records blur and focusout with the element left and where focus went (capture: blur does not
# bubble).
RECORD_LEAVING = """() => {
    window.leaving = [];
    for (const type of ["blur", "focusout"]) {
        document.addEventListener(type, (e) => {
            const name = (node) => node?.id || node?.name || node?.localName;
            leaving.push(`${type}:${name(e.target)}:${name(e.relatedTarget)}`);
        }, true);
    }
}"""

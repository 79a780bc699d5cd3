"""What Python asks one page to do (cb.fill, cb.click, cb.wait_for(selector=)), in the agent:
performed as the page's user would, reported as their own edit or click, answered with an error
code when it cannot be. Driven through the stand-in widget (agent_pages/parent.html)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Frame, Page

from .agent_messages import messages
from .test_fields import connect

pytestmark = pytest.mark.browser

OpenPage = Callable[..., tuple[Page, Frame]]


def act(page: Page, action: str, selector: str, value: Any = None) -> str | None:
    """Send the agent a page action as the widget does; its answer's error (None: done)."""
    key = secrets.token_hex(16)
    command = {"type": "command", "id": key, "action": action, "selector": selector}
    page.evaluate("(m) => sendToAgent(m)", {**command, "value": value})
    answered = "(id) => received.some((m) => m.type === 'done' && m.id === id)"
    page.wait_for_function(answered, arg=key)
    [done] = [m for m in messages(page, "done") if m["id"] == key]
    return done["error"]


def test_fill_sets_each_kind_of_field_as_the_user_would_and_reports_their_edit(
    open_page: OpenPage,
) -> None:
    page, frame = open_page(src="forms.html")
    connect(page)
    assert act(page, "fill", "#name", "Ada") is None
    assert act(page, "fill", "#agree", True) is None
    assert act(page, "fill", "input[name=size]", "m") is None  # a radio group, by its value
    assert act(page, "fill", "#city", "oslo") is None
    assert act(page, "fill", "#langs", ["py", "rs"]) is None
    assert act(page, "fill", "#level", "7") is None
    assert act(page, "fill", "#more", True) is None  # a <details>: opened
    assert act(page, "fill", "#password", "hunter2-password") is None
    shown = frame.evaluate(
        """() => [document.querySelector("#name").value, agree.checked,
                  document.querySelector('[value=m]').checked, city.value,
                  [...langs.selectedOptions].map((o) => o.value), level.value,
                  more.open, password.value]"""
    )
    assert shown == ["Ada", True, True, "oslo", ["py", "rs"], "7", True, "hunter2-password"]
    edits = {m["key"]: m for m in messages(page, "field")}
    assert {k: edits[k]["value"] for k in ("#name", "#agree", "radio size", "#city", "#langs")} == {
        "#name": "Ada",
        "#agree": True,
        "radio size": "m",
        "#city": "oslo",
        "#langs": ["py", "rs"],
    }
    assert edits["#name"]["base"] == "" and edits["#more"]["value"] == {"open": True}
    assert edits["#password"] == {"type": "field", "key": "#password", "kind": "private"} | {
        "value": None
    }
    assert "hunter2" not in str(messages(page, "field"))
    # The page's own listeners saw what a user's edit fires.
    events = frame.evaluate("window.events")
    assert {"input:name", "change:name", "click:agree", "change:city"} <= set(events)


def test_fill_refuses_what_the_field_cannot_take(open_page: OpenPage) -> None:
    page, frame = open_page(src="forms.html")
    connect(page)
    assert act(page, "fill", "#nothing", "x") == "missing"
    assert act(page, "fill", "#intro", "x") == "not-a-field"
    assert act(page, "fill", "#play", "x") == "not-a-field"  # a button
    assert act(page, "fill", "#agree", "yes") == "wrong-value"
    assert act(page, "fill", "#name", True) == "wrong-value"
    assert act(page, "fill", "#level", "high") == "wrong-value"  # a range takes numbers
    assert act(page, "fill", "#city", "rome") == "no-option"
    assert act(page, "fill", "#langs", ["py", "cobol"]) == "no-option"
    assert act(page, "fill", "input[name=size]", "xl") == "no-option"
    assert frame.evaluate("[city.value, langs.selectedOptions.length, agree.checked]") == [
        "",
        0,
        False,
    ]


def test_click_clicks_once_here_and_is_shown_as_the_users_click(open_page: OpenPage) -> None:
    page, frame = open_page(src="tabs.html")
    assert act(page, "click", "#buy") is None
    assert frame.evaluate("window.bought") == 1
    [click] = messages(page, "click")
    assert click["pointer"]["locator"]["id"] == "buy"
    assert (click["pointer"]["rx"], click["pointer"]["ry"]) == (0.5, 0.5)
    assert act(page, "click", "#tab-b") is None
    assert frame.evaluate("document.querySelector('#tab-b').ariaSelected") == "true"
    assert act(page, "click", "#gone") == "missing"
    assert act(page, "find", "#panel") is None
    assert act(page, "find", "#gone") == "missing"


def test_a_framework_takes_a_filled_value_into_its_state(
    open_page: OpenPage, frameworks: Any
) -> None:
    page, frame = open_page(src="react-form.html")
    frame.wait_for_selector("#state")
    connect(page)
    assert act(page, "fill", "#name", "ada") is None
    assert act(page, "fill", "#city", "paris") is None
    frame.wait_for_function(
        """() => document.querySelector('#state').textContent ===
                 '{"name":"ADA","agree":false,"city":"paris"}'"""
    )


def test_a_malformed_command_is_dropped_by_the_agent(open_page: OpenPage) -> None:
    page, frame = open_page(src="tabs.html")
    bad = [
        {"type": "command", "id": "short", "action": "click", "selector": "#buy"},
        {"type": "command", "id": "a" * 32, "action": "eval", "selector": "#buy"},
        {"type": "command", "id": "a" * 32, "action": "click", "selector": "x" * 513},
        {"type": "command", "id": "a" * 32, "action": "fill", "selector": "#buy", "value": {}},
    ]
    for message in bad:
        page.evaluate("(m) => sendToAgent(m)", message)
    assert act(page, "find", "#buy") is None  # the agent answers what comes after
    assert len(messages(page, "done")) == 1 and frame.evaluate("window.bought") == 0

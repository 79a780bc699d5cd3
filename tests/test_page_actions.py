"""What only a page can do, asked from Python (``cb.fill``, ``cb.click``,
``cb.wait_for(selector=)``): which view an action goes to, what the kernel holds until one shows
the page, and how a page's answer (or none) reaches the caller. The pages themselves are driven
in tests/browser (test_agent.py, test_lab.py); here the views are the comm messages they send."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from pycrdt import Awareness, Doc, Map

from cobrowse_widget import DEMO_URL, CoBrowser
from cobrowse_widget._page_actions import MAX_VIEWS, MAX_WAITING
from cobrowse_widget._shared import MAX_CHOICES, MAX_FIELD_TEXT

from .test_teaching import _presence, _room_change
from .test_widget import _from_front_end

OTHER = "https://other.example/"


def _widget() -> tuple[CoBrowser, list[dict[str, Any]]]:
    """A widget whose messages to its views are kept, in order."""
    cb = CoBrowser(DEMO_URL)
    sent: list[dict[str, Any]] = []
    cb.send = lambda content, buffers=None: sent.append(content)
    return cb, sent


def _shows(cb: CoBrowser, view: int, url: str) -> None:
    _from_front_end(cb, {"kind": "page", "view": view, "url": url})


def _answer(cb: CoBrowser, key: str, error: str | None = None) -> None:
    _from_front_end(cb, {"kind": "done", "id": key, "error": error})


def _commands(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [message for message in sent if message.get("kind") == "command"]


def test_an_action_goes_to_one_view_that_shows_the_rooms_page_and_its_answer_ends_it() -> None:
    cb, sent = _widget()
    _shows(cb, 9, DEMO_URL + "#top")  # scrolled to an anchor: the same page
    _shows(cb, 4, DEMO_URL)
    _shows(cb, 2, OTHER)  # another page: not this one
    _shows(cb, 1, DEMO_URL)
    _shows(cb, 1, "")  # loading another page: not this one either

    async def run() -> None:
        action = cb.click("#go")
        [command] = _commands(sent)
        assert command["view"] == 4 and command["action"] == "click"
        assert command["selector"] == "#go" and command["value"] is None
        assert repr(action) == "<click '#go': pending>"
        _answer(cb, "0" * 32)  # an answer to nothing asked changes nothing
        assert not action.future.done()
        _answer(cb, command["id"])
        await action
        assert repr(action) == "<click '#go': done>"

    asyncio.run(run())


def test_an_action_waits_for_a_view_of_the_page_and_times_out_saying_so() -> None:
    cb, sent = _widget()
    _shows(cb, 5, OTHER)

    async def run() -> None:
        action = cb.fill("#name", "Ada")
        assert _commands(sent) == []  # no view shows the room's page yet
        _shows(cb, 7, DEMO_URL)
        [command] = _commands(sent)
        assert (command["view"], command["action"], command["value"]) == (7, "fill", "Ada")
        _answer(cb, command["id"])
        await action
        with pytest.raises(TimeoutError, match=r"no page of this widget answered in 0\.1 s"):
            await cb.fill("#name", "Ada", timeout=0.1)  # sent to view 7, which never answers
        _shows(cb, 7, OTHER)
        with pytest.raises(TimeoutError, match=r"no view shows the page in 0\.1 s"):
            await cb.click("#go", timeout=0.1)
        sent.clear()
        _shows(cb, 7, DEMO_URL)  # too late: the click Python gave up on is never made
        assert _commands(sent) == []

    asyncio.run(run())


@pytest.mark.parametrize(
    ("code", "error", "words"),
    [
        ("missing", LookupError, f"no element matches #go on {DEMO_URL}"),
        ("not-a-field", ValueError, "is not a form field"),
        ("wrong-value", ValueError, "does not take"),
        ("no-option", ValueError, "has no option"),
        ("view-only", PermissionError, "only follows"),
        ("left", RuntimeError, "went away"),
        ("<b>made up</b>", RuntimeError, "went away"),  # a code the kernel does not know
    ],
)
def test_a_pages_error_code_is_raised_as_its_exception(
    code: str, error: type[Exception], words: str
) -> None:
    cb, sent = _widget()
    _shows(cb, 1, DEMO_URL)

    async def run() -> None:
        action = cb.fill("#go", "x")
        # The page answers while the caller awaits (nothing is warned then).
        asyncio.get_running_loop().call_soon(_answer, cb, _commands(sent)[0]["id"], code)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(error, match=words):
                await action

    asyncio.run(run())


def test_an_action_nobody_awaits_still_happens_and_its_failure_is_warned() -> None:
    cb, sent = _widget()
    _shows(cb, 1, DEMO_URL)

    async def run() -> None:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            cb.click("#gone")
            _answer(cb, _commands(sent)[0]["id"], "missing")
            cb.click("#late", timeout=0.05)  # sent, never answered: warned at its deadline
            await asyncio.sleep(0.2)
        assert [str(w.message) for w in seen] == [
            f"no element matches #gone on {DEMO_URL}",
            "click #late: no page of this widget answered in 0.05 s (display the widget, and "
            "wait until its page has loaded)",
        ]

    asyncio.run(run())


def test_arguments_are_checked_in_python_and_presenters_act_alone() -> None:
    cb, sent = _widget()
    with pytest.raises(ValueError, match="selector"):
        cb.click("#a[")
    with pytest.raises(TypeError, match="True/False or a list"):
        cb.fill("#a", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at most"):
        cb.fill("#a", "x" * (MAX_FIELD_TEXT + 1))
    with pytest.raises(ValueError, match="at most"):
        cb.fill("#a", ["x"] * (MAX_CHOICES + 1))
    with pytest.raises(ValueError, match="timeout"):
        cb.click("#a", timeout=0)
    assert _commands(sent) == []
    presenting = {"mode": "presenter", "presenter": "ann", "owner": "ann"}
    _room_change(cb, lambda room: room.get("control", type=Map).update(presenting))
    with pytest.raises(PermissionError, match="ann is presenting"):
        cb.click("#a")
    with pytest.raises(PermissionError, match="ann is presenting"):
        cb.fill("#a", True)


def test_what_the_kernel_keeps_of_views_and_actions_is_bounded() -> None:
    cb, _ = _widget()
    for view in range(MAX_VIEWS + 10):
        _shows(cb, view, OTHER)
    assert len(cb._actions._views) == MAX_VIEWS
    _from_front_end(cb, {"kind": "page", "view": "1", "url": DEMO_URL})  # not a view's
    _from_front_end(cb, {"kind": "page", "view": 1, "url": "x" * 9000})  # no URL's length
    assert len(cb._actions._views) == MAX_VIEWS

    async def run() -> None:
        waiting = [cb.click("#a", timeout=5) for _ in range(MAX_WAITING)]
        with pytest.raises(RuntimeError, match="waiting already"):
            cb.click("#a")
        for action in waiting:
            action.deadline = 0  # as if their time had passed
        with pytest.warns(UserWarning, match="no view shows the page"):
            cb.click("#a")  # the expired ones made room (and were warned, being unawaited)

    asyncio.run(run())


def test_wait_for_a_selector_asks_a_view_until_the_element_is_there() -> None:
    cb, sent = _widget()
    answers = iter(["missing", "missing", None])

    async def run() -> None:
        loop = asyncio.get_running_loop()

        def view(content: dict[str, Any], buffers: object = None) -> None:
            sent.append(content)
            if content.get("kind") == "command":
                assert content["action"] == "find" and content["selector"] == "#thanks"
                loop.call_soon(_answer, cb, content["id"], next(answers))

        cb.send = view
        _shows(cb, 3, DEMO_URL)
        await cb.wait_for(selector="#thanks", timeout=5)
        assert len(_commands(sent)) == 3
        _shows(cb, 3, "")
        with pytest.raises(TimeoutError, match="no view of this widget shows it"):
            await cb.wait_for(selector="#thanks", timeout=0.2)

    asyncio.run(run())


def test_clicks_in_the_rooms_presence_reach_click_observers() -> None:
    cb, _ = _widget()
    heard: list[tuple[str, dict[str, str]]] = []
    cb.on("click", lambda who, element: heard.append((who, element)))
    ann = Awareness(Doc())
    user = {"username": "ann", "name": "Ann"}
    button = {"locator": {"path": [["main", 0], ["button", 2]], "id": "send", "text": "Send"}}
    cb._replica.receive_presence(_presence(ann, {"user": user, "pointer": None}))
    cb._replica.receive_presence(_presence(ann, {"user": user, "click": 1, "pointer": button}))
    cb._replica.receive_presence(_presence(ann, {"user": user, "click": 1, "pointer": None}))
    odd = {"locator": {"path": "x", "id": 5}}  # a modified client's locator: read as nothing
    cb._replica.receive_presence(_presence(ann, {"user": user, "click": 2, "pointer": odd}))
    assert heard == [
        ("ann", {"tag": "button", "id": "send", "text": "Send"}),
        ("ann", {"tag": "", "id": "", "text": ""}),
    ]

"""The Python API a teacher's notebook uses beside navigation: observers of the room
(``cb.on``) and waiting for it (``cb.wait_for``), against the kernel's replica as the room's
changes reach it from a view."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from pycrdt import Awareness, Doc, Map, Text, create_awareness_message, create_update_message

from cobrowse_widget import DEMO_URL, CoBrowser, _schema
from jupyter_ext.rooms import NotAllowed, Room

from .test_control import ANN, BOB, Participant
from .test_widget import _from_front_end

LESSON = "https://lesson.example/1"


def _room_change(cb: CoBrowser, edit) -> None:
    """Make ``edit`` on a copy of the kernel's room and deliver it as a view passes it on."""
    room: Doc = Doc()
    room.apply_update(cb._replica.doc.get_update())
    before = room.get_state()
    edit(room)
    _from_front_end(cb, {"kind": "sync"}, [create_update_message(room.get_update(before))])


def _fill(key: str, text: str):
    def edit(room: Doc) -> None:
        name = f"{_schema.page_id(_schema.current_url(room))} {key}"
        room.get("fields", type=Map)[name] = Text(text)

    return edit


def test_observers_hear_navigations_and_field_changes_from_the_room_and_from_python(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    heard: list[tuple[object, ...]] = []
    cb.on("navigate", lambda url: heard.append(("navigate", url)))
    cb.on("field", lambda key, value: heard.append(("field", key, value)))
    cb.on("field", lambda key, value: 1 / 0)  # a broken callback: printed, the rest goes on
    _room_change(cb, lambda room: _schema.navigate(room, LESSON))
    _room_change(cb, _fill("#answer", "42"))
    cb.goto(DEMO_URL)
    assert heard == [
        ("navigate", LESSON),
        ("field", "#answer", "42"),
        ("navigate", DEMO_URL),
    ]
    assert "ZeroDivisionError" in capsys.readouterr().err
    with pytest.raises(ValueError, match="events are"):
        cb.on("hover", print)


def test_wait_for_returns_once_the_room_gets_there_and_times_out_saying_where_it_is() -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    later = threading.Timer(0.2, lambda: _room_change(cb, lambda r: _schema.navigate(r, LESSON)))
    later.start()
    asyncio.run(cb.wait_for(LESSON, timeout=5))
    threading.Timer(0.2, lambda: _room_change(cb, _fill("#answer", "42"))).start()
    asyncio.run(cb.wait_for(field="#answer", timeout=5))  # filled in at all
    asyncio.run(cb.wait_for(LESSON, field="#answer", value="42", timeout=1))
    with pytest.raises(TimeoutError, match=r"0.2 s: the room shows https://lesson.example/1 and"):
        asyncio.run(cb.wait_for(field="#answer", value="41", timeout=0.2))
    with pytest.raises(ValueError, match="needs a url"):
        asyncio.run(cb.wait_for())


def test_a_highlight_waits_for_a_view_to_say_who_writes_it_and_where_the_room_is() -> None:
    """In a named room whose state no view has brought yet, with no author known, a highlight
    is held; once a view has said both, it lands on the room's page, by that user."""
    cb = CoBrowser(DEMO_URL, room="class")
    cb.send = lambda content, buffers=None: None
    key = cb.highlight("#title", note="Start here")
    assert len(cb._replica.doc.get("notes", type=Map)) == 0
    room: Doc = Doc()
    _schema.navigate(room, LESSON)
    _from_front_end(cb, {"kind": "sync"}, [create_update_message(room.get_update())])
    _from_front_end(cb, {"kind": "room", "synced": True})
    assert len(cb._replica.doc.get("notes", type=Map)) == 0  # whose is it?
    _from_front_end(cb, {"kind": "link", "pass": "p" * 43, "user": "ann"})
    note = cb._replica.doc.get("notes", type=Map)[key]
    assert note == {
        "page": _schema.page_id(LESSON),
        "selector": "#title",
        "text": "Start here",
        "author": "ann",
    }
    with pytest.raises(ValueError, match="not a CSS selector"):
        cb.highlight("#title[")
    assert cb.clear_highlights() == 1
    assert len(cb._replica.doc.get("notes", type=Map)) == 0


def test_scroll_to_writes_an_anchor_naming_the_selector_and_follows_the_presenter_rule() -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    cb.scroll_to("#rooms")
    with cb._replica.locked() as doc:
        scroll = doc.get("scroll", type=Map)
        assert scroll["url"] == DEMO_URL and scroll["by"] == doc.client_id
        assert json.loads(scroll["anchor"]) == {
            "locator": None,
            "ratio": 0,
            "fraction": 0,
            "selector": "#rooms",
        }
    with pytest.raises(ValueError, match="not a CSS selector"):
        cb.scroll_to("#rooms[")
    _room_change(
        cb,
        lambda room: room.get("control", type=Map).update(
            {"mode": "presenter", "presenter": "bob", "owner": "bob"}
        ),
    )
    with pytest.raises(PermissionError, match="bob is presenting"):
        cb.scroll_to("#rooms")


def test_follow_me_starts_presenting_then_summons_and_refuses_while_another_presents() -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    with pytest.raises(RuntimeError, match="who you are"):
        cb.follow_me()
    _from_front_end(cb, {"kind": "link", "pass": "p" * 43, "user": "ann"})
    cb.follow_me()
    control = cb._replica.doc.get("control", type=Map)
    assert control.to_py() == {"mode": "presenter", "presenter": "ann", "owner": "ann"}
    cb.follow_me()  # presenting already: everyone back
    assert control["summons"] == 1
    _room_change(cb, lambda room: room.get("control", type=Map).update({"presenter": "bob"}))
    with pytest.raises(PermissionError, match="bob is presenting"):
        cb.follow_me()


def _presence(awareness: Awareness, state: dict | None) -> bytes:
    """An awareness message for one participant's state (None: they left), as the room sends
    it on the kernel's socket."""
    if state is None:
        awareness.remove_awareness_states([awareness.client_id], "test")
    else:
        awareness.set_local_state(state)
    return create_awareness_message(awareness.encode_awareness_update([awareness.client_id]))


def test_participants_come_from_the_rooms_presence_with_roles_and_join_and_leave() -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    came: list[tuple[str, str]] = []
    cb.on("join", lambda name: came.append(("join", name)))
    cb.on("leave", lambda name: came.append(("leave", name)))
    ann, bob, rex = (Awareness(Doc()) for _ in range(3))
    user = {"username": "ann", "name": "Ann", "color": "#123456"}
    cb._replica.receive_presence(_presence(ann, {"user": user, "url": LESSON}))
    cb._replica.receive_presence(
        _presence(bob, {"user": {"username": "bob", "name": "Bob"}, "following": True})
    )
    reader = {"username": "rex", "name": "Rex", "reader": True}
    cb._replica.receive_presence(_presence(rex, {"user": reader}))
    cb._replica.receive_presence(b"\x01\x05junk")  # a bad message changes nothing
    roles = [(p["username"], p["role"], p["page"], p["following"]) for p in cb.participants]
    assert roles == [
        ("ann", "participant", LESSON, False),
        ("bob", "participant", "", False),
        ("rex", "reader", "", False),
    ]
    _room_change(
        cb,
        lambda room: room.get("control", type=Map).update(
            {"mode": "presenter", "presenter": "ann", "owner": "ann"}
        ),
    )
    roles = [(p["username"], p["role"], p["following"]) for p in cb.participants]
    assert roles == [
        ("ann", "presenter", False),
        ("bob", "follower", True),
        ("rex", "reader", False),
    ]
    cb._replica.receive_presence(_presence(bob, None))
    assert [p["username"] for p in cb.participants] == ["ann", "rex"]
    assert came == [("join", "ann"), ("join", "bob"), ("join", "rex"), ("leave", "bob")]


def test_a_step_is_shown_by_number_title_and_text_and_may_bring_the_room_to_its_page() -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    cb.step("Find the form", "Open it from the menu.", url=LESSON)
    cb.step("Fill it in")
    step = cb._replica.doc.get("step", type=Map).to_py()
    assert step == {"n": 2, "title": "Fill it in", "text": ""}
    assert cb.url == LESSON
    for title, text in (("", ""), ("t" * 201, ""), ("ok", "x" * 2001)):
        with pytest.raises(ValueError, match="a step has a title"):
            cb.step(title, text)
    cb.step(None)  # no step: the views hide it
    step = cb._replica.doc.get("step", type=Map).to_py()
    assert step == {"n": 3, "title": "", "text": ""}


def test_the_hub_lets_only_the_presenter_set_a_step_while_presenting() -> None:
    room = Room("class")
    ann, bob = Participant(room, ANN), Participant(room, BOB)
    bob.change(lambda doc: _schema.set_step(doc, "Free mode", "anyone"))
    ann.change(
        lambda doc: doc.get("control", type=Map).update(
            {"mode": "presenter", "presenter": "ann", "owner": "ann"}
        )
    )
    with pytest.raises(NotAllowed, match="set steps"):
        bob.change(lambda doc: _schema.set_step(doc, "Mine now", ""))
    ann.change(lambda doc: _schema.set_step(doc, "Step 2", "as presented"))
    assert room.doc.get("step", type=Map)["title"] == "Step 2"


def test_what_python_writes_before_a_view_brought_the_room_waits_and_lands_in_order() -> None:
    cb = CoBrowser(DEMO_URL, room="class")
    cb.send = lambda content, buffers=None: None
    cb.step("Step 1", "Read it.", url=LESSON)
    cb.scroll_to("#part-2")
    assert cb.url == LESSON and cb.history == []  # said, not yet written
    room: Doc = Doc()
    _schema.navigate(room, "https://lesson.example/0")
    _from_front_end(cb, {"kind": "sync"}, [create_update_message(room.get_update())])
    _from_front_end(cb, {"kind": "room", "synced": True})
    with cb._replica.locked() as doc:
        assert _schema.history(doc) == ["https://lesson.example/0", LESSON]
        assert doc.get("step", type=Map)["title"] == "Step 1"
        scroll = doc.get("scroll", type=Map)
        assert scroll["url"] == LESSON and json.loads(scroll["anchor"])["selector"] == "#part-2"


def test_practice_mode_gives_each_participant_their_own_fields_and_python_reads_all() -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    assert cb.mode == "shared"
    with pytest.raises(ValueError, match='"shared" or "individual"'):
        cb.mode = "solo"  # type: ignore[assignment]
    cb.mode = "individual"
    assert cb.mode == "individual"
    cb._user = "teacher"

    def answer(owner: str, key: str, value: object):
        def edit(room: Doc) -> None:
            page = _schema.page_id(_schema.current_url(room))
            name = f"{_schema.owner_prefix(owner)}{page} {key}"
            room.get("answers", type=Map)[name] = Text(value) if isinstance(value, str) else value

        return edit

    _room_change(cb, answer("ann", "#answer", "a proxy"))
    _room_change(cb, answer("bob", "#answer", "it rewrites"))
    _room_change(cb, answer("bob", "#agree", True))
    _room_change(cb, answer("teacher", "#answer", "the key"))
    _room_change(cb, _fill("#answer", "shared before"))
    assert cb.fields == {"#answer": "the key"}  # the kernel's user's own
    answers = cb.fields_by_participant
    assert answers == {
        "ann": {"#answer": "a proxy"},
        "bob": {"#answer": "it rewrites", "#agree": True},
        "teacher": {"#answer": "the key"},
    }
    frame = answers.to_dataframe()
    assert list(frame.index) == ["ann", "bob", "teacher"] and frame.index.name == "username"
    assert frame.loc["bob", "#answer"] == "it rewrites" and frame.loc["bob", "#agree"] is True
    cb.mode = "shared"
    assert cb.fields == {"#answer": "shared before"}


def test_only_the_presenter_switches_practice_mode() -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    presenting = {"mode": "presenter", "presenter": "ann", "owner": "ann"}
    _room_change(cb, lambda room: room.get("control", type=Map).update(presenting))
    with pytest.raises(PermissionError, match="ann is presenting"):
        cb.mode = "individual"


def test_practising_wait_for_a_field_waits_for_anyones_own() -> None:
    cb = CoBrowser(DEMO_URL)
    cb.send = lambda content, buffers=None: None
    cb.mode = "individual"
    _room_change(cb, _fill("#answer", "shared"))  # the room's shared field does not count

    def answer(owner: str, text: str):
        def edit(room: Doc) -> None:
            page = _schema.page_id(_schema.current_url(room))
            room.get("answers", type=Map)[f"{owner} {page} #answer"] = Text(text)

        return edit

    with pytest.raises(TimeoutError, match="#answer is None"):
        asyncio.run(cb.wait_for(field="#answer", timeout=0.1))
    _room_change(cb, answer("ann", ""))
    _room_change(cb, answer("bob", "42"))
    asyncio.run(cb.wait_for(field="#answer", timeout=1))
    asyncio.run(cb.wait_for(field="#answer", value="42", timeout=1))
    with pytest.raises(TimeoutError, match=r"#answer is \['', '42'\]"):
        asyncio.run(cb.wait_for(field="#answer", value="41", timeout=0.1))

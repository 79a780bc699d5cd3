"""Roles and control, enforced by the room hub: in presenter mode only the presenter moves the
room; the owner hands the lead on and takes it back; anyone asks for control for themselves
only; a refused update never reaches the room or anyone in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text, create_update_message

from cobrowse_widget import _schema
from jupyter_ext.rooms import Control, NotAllowed, Room, _answers, read_control
from jupyter_ext.rooms._control import allowed_change
from jupyter_ext.rooms._notes import MAX_NOTE_TEXT, MAX_NOTES, MAX_STROKE_POINTS, MAX_STROKE_SPAN

from ._room_client import Sink

ANN, BOB, EVE = (
    {"username": name, "name": name.title(), "color": "#123456"} for name in ("ann", "bob", "eve")
)


class Participant:
    """One participant's copy of the room, kept in sync with the room by hand."""

    def __init__(self, room: Room, user: dict[str, str]) -> None:
        self.room, self.peer, self.doc = room, Sink(), Doc()
        self.doc.apply_update(room.doc.get_update())
        room.join(self.peer, user)

    def change(self, edit: Callable[[Doc[Any]], None]) -> None:
        """Make ``edit`` on a copy of the room's current document and send it to the room."""
        self.doc = Doc()
        self.doc.apply_update(self.room.doc.get_update())
        updates: list[bytes] = []
        self.doc.observe(lambda event: updates.append(event.update))
        edit(self.doc)
        for update in updates:
            self.room.receive(self.peer, create_update_message(update))


def set_control(**fields: str) -> Callable[[Doc[Any]], None]:
    def edit(doc: Doc[Any]) -> None:
        control = doc.get("control", type=Map)
        with doc.transaction():
            for key, value in fields.items():
                control[key] = value

    return edit


def ask(name: str) -> Callable[[Doc[Any]], None]:
    return lambda doc: doc.get("requests", type=Map).__setitem__(name, 1.0)


@pytest.fixture
def room() -> tuple[Room, Participant, Participant, Participant]:
    room = Room("class")
    ann, bob, eve = (Participant(room, user) for user in (ANN, BOB, EVE))
    ann.change(lambda doc: _schema.navigate(doc, "https://example.org/start"))
    return room, ann, bob, eve


def test_in_free_mode_everyone_drives_and_anyone_may_start_presenting(room) -> None:
    room, ann, bob, _ = room
    bob.change(lambda doc: _schema.navigate(doc, "https://example.org/bob"))
    with pytest.raises(NotAllowed):  # not on someone else's behalf
        bob.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    assert read_control(room.doc) == Control("presenter", "ann", "ann")


def test_in_presenter_mode_only_the_presenter_moves_the_room(room) -> None:
    room, ann, bob, _ = room
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    sent = len(ann.peer.sent)
    for edit in (
        lambda doc: _schema.navigate(doc, "https://evil.example/"),
        lambda doc: doc.get("scroll", type=Map).__setitem__("anchor", "{}"),
        lambda doc: doc.get("history", type=Array).append("https://evil.example/"),
        set_control(presenter="bob"),
        set_control(mode="free"),
    ):
        with pytest.raises(NotAllowed):
            bob.change(edit)
    assert _schema.current_url(room.doc) == "https://example.org/start"
    assert len(ann.peer.sent) == sent  # nothing refused reached anyone
    bob.change(lambda doc: doc.get("fields", type=Map).__setitem__("p #x", True))  # forms: all
    ann.change(lambda doc: _schema.navigate(doc, "https://example.org/lesson-2"))
    assert _schema.current_url(room.doc) == "https://example.org/lesson-2"


def test_control_is_asked_for_granted_handed_back_and_taken_back(room) -> None:
    room, ann, bob, eve = room
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    bob.change(ask("bob"))
    with pytest.raises(NotAllowed):
        eve.change(ask("bob"))  # only for oneself
    ann.change(set_control(presenter="bob"))  # granted
    bob.change(lambda doc: _schema.navigate(doc, "https://example.org/bob-leads"))
    with pytest.raises(NotAllowed):
        ann.change(lambda doc: _schema.navigate(doc, "https://example.org/ann"))  # not leading
    with pytest.raises(NotAllowed):
        bob.change(set_control(presenter="eve"))  # only the owner grants
    bob.change(set_control(presenter="ann"))  # handed back
    ann.change(set_control(presenter="bob"))
    ann.change(set_control(presenter="ann"))  # taken back, whenever the owner wants
    ann.change(set_control(mode="free"))
    eve.change(lambda doc: _schema.navigate(doc, "https://example.org/free-again"))
    assert _schema.current_url(room.doc) == "https://example.org/free-again"


@pytest.mark.parametrize(
    ("user", "before", "after", "allowed"),
    [
        ("ann", Control(), Control("presenter", "ann", "ann"), True),
        ("ann", Control(), Control("presenter", "bob", "ann"), False),
        ("ann", Control(), Control("lecture", "ann", "ann"), False),
        ("bob", Control("presenter", "ann", "ann"), Control(), False),
        ("ann", Control("presenter", "bob", "ann"), Control("presenter", "ann", "ann"), True),
        ("ann", Control("presenter", "ann", "ann"), Control("presenter", "eve", "eve"), False),
        ("bob", Control("presenter", "bob", "ann"), Control("presenter", "ann", "ann"), True),
    ],
)
def test_who_may_change_who_leads(user, before, after, allowed) -> None:
    assert allowed_change(user, before, after) is allowed


def pin(note_id: str, author: str, text: str = "look here") -> Callable[[Doc[Any]], None]:
    note = {"page": "p", "at": {"locator": None, "rx": 0, "ry": 0, "fx": 0, "fy": 0}}
    return lambda doc: doc.get("notes", type=Map).__setitem__(
        note_id, {**note, "text": text, "author": author}
    )


def draw(
    stroke_id: str, author: str, path: list[Any] | None = None, **extra: Any
) -> Callable[[Doc[Any]], None]:
    """A stroke as the widget writes one: the element under its start, its width, the path."""
    stroke = {"page": "p", "at": {"locator": None, "rx": 0.5, "ry": 0.5, "fx": 0.1, "fy": 0.2}}
    stroke |= {"width": 300, "path": [0, 0, 5, 3, 40, -12] if path is None else path}
    return lambda doc: doc.get("notes", type=Map).__setitem__(
        stroke_id, {**stroke, "author": author, **extra}
    )


def unpin(note_id: str) -> Callable[[Doc[Any]], None]:
    return lambda doc: doc.get("notes", type=Map).pop(note_id)


def test_notes_are_written_by_their_author_and_removed_by_them_or_who_leads(room) -> None:
    room, ann, bob, eve = room
    ann.change(pin("a1", "ann"))
    bob.change(pin("b1", "bob"))
    bob.change(pin("b2", "bob"))
    for edit in (pin("x", "ann"), pin("a1", "bob", "changed"), unpin("a1")):
        with pytest.raises(NotAllowed, match="note"):
            bob.change(edit)  # as Ann, over Ann's note, or taking it away
    bob.change(pin("b1", "bob", "edited"))
    bob.change(unpin("b1"))
    with pytest.raises(NotAllowed):  # in free mode nobody removes another's note
        ann.change(unpin("b2"))
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    ann.change(unpin("b2"))  # the presenter may
    notes = room.doc.get("notes", type=Map)
    assert dict(notes)["a1"]["text"] == "look here" and set(notes.keys()) == {"a1"}
    with pytest.raises(NotAllowed):  # a follower still writes only their own
        eve.change(pin("e1", "ann"))
    eve.change(pin("e1", "eve"))


def test_a_room_keeps_a_bounded_number_of_notes(room) -> None:
    room, ann, _, _ = room

    def many(doc: Doc[Any]) -> None:
        with doc.transaction():
            for i in range(MAX_NOTES + 1):
                pin(f"n{i}", "ann")(doc)

    with pytest.raises(NotAllowed, match="at most"):
        ann.change(many)
    assert len(room.doc.get("notes", type=Map)) == 0


def test_strokes_follow_the_notes_rule_for_who_writes_and_removes_them(room) -> None:
    room, ann, bob, _ = room
    ann.change(draw("a1", "ann"))
    bob.change(draw("b1", "bob"))
    for edit in (draw("x", "ann"), draw("a1", "bob", [0, 0, 1, 1]), unpin("a1")):
        with pytest.raises(NotAllowed, match="note"):
            bob.change(edit)
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    with pytest.raises(NotAllowed, match="note"):  # a follower does not clear the presenter's
        bob.change(unpin("a1"))
    ann.change(unpin("b1"))  # who leads clears anyone's
    assert set(room.doc.get("notes", type=Map).keys()) == {"a1"}


@pytest.mark.parametrize(
    "edit",
    [
        draw("big", "ann", [0, 0] * (MAX_STROKE_POINTS + 1)),
        draw("far", "ann", [0, 0, MAX_STROKE_SPAN + 1, 0]),
        draw("odd", "ann", [0, 0, 1]),
        draw("one", "ann", []),
        draw("text", "ann", [0, 0, "1", 2]),
        draw("frac", "ann", [0, 0, 1.5, 2]),
        draw("nan", "ann", [0, 0, float("nan"), 2]),
        draw("flag", "ann", [0, 0, True, 2]),
        draw("list", "ann", "0,0,1,1"),
        draw("wide", "ann", width=MAX_STROKE_SPAN + 1),
        draw("nowidth", "ann", width=None),
        draw("huge", "ann", junk="x" * 1_000_000),  # a megabyte beside a valid stroke
        pin("long", "ann", "x" * (MAX_NOTE_TEXT + 1)),
    ],
)
def test_a_note_or_stroke_past_the_bounds_is_refused(room, edit) -> None:
    room, ann, _, _ = room
    with pytest.raises(NotAllowed, match="bounds"):
        ann.change(edit)
    assert len(room.doc.get("notes", type=Map)) == 0


def test_a_stroke_at_the_bounds_is_kept(room) -> None:
    room, ann, _, _ = room
    path = [MAX_STROKE_SPAN, -MAX_STROKE_SPAN] * MAX_STROKE_POINTS
    ann.change(draw("full", "ann", path, width=MAX_STROKE_SPAN))
    assert room.doc.get("notes", type=Map)["full"]["path"] == path


def test_each_participant_sets_only_their_own_privacy_rules(room) -> None:
    room, ann, bob, _ = room
    rules = {"private": [".answer"], "all": False, "shared": []}
    ann.change(lambda doc: doc.get("privacy", type=Map).__setitem__("ann", rules))
    for edit in (
        lambda doc: doc.get("privacy", type=Map).__setitem__("ann", {**rules, "private": []}),
        lambda doc: doc.get("privacy", type=Map).pop("ann"),
    ):
        with pytest.raises(NotAllowed, match="privacy"):
            bob.change(edit)  # Bob would loosen Ann's rules
    bob.change(lambda doc: doc.get("privacy", type=Map).__setitem__("bob", rules))
    assert set(room.doc.get("privacy", type=Map).keys()) == {"ann", "bob"}


@pytest.mark.parametrize(
    "rules",
    [
        {"private": ["p"] * 65, "all": False, "shared": []},
        {"private": ["p" * 513], "all": False, "shared": []},
        {"private": [], "all": "yes", "shared": []},
        {"private": [], "all": False, "shared": [7]},
        {"private": [], "all": False},
        {"private": [], "all": False, "shared": [], "junk": "x" * 100_000},
        "everything",
    ],
)
def test_privacy_rules_past_their_bounds_are_refused(room, rules: object) -> None:
    """A modified client's rules would reach every view (an over-long selector there makes
    every field private for everyone): the hub keeps them to what Python allows."""
    room, ann, _, _ = room
    with pytest.raises(NotAllowed, match="privacy rules are lists"):
        ann.change(lambda doc: doc.get("privacy", type=Map).__setitem__("ann", rules))
    bounds = {"private": ["p" * 512] * 64, "all": True, "shared": ["s"] * 64}
    ann.change(lambda doc: doc.get("privacy", type=Map).__setitem__("ann", bounds))
    ann.change(lambda doc: doc.get("privacy", type=Map).pop("ann"))  # and take them away


def test_a_change_of_control_is_checked_however_it_comes(room) -> None:
    """The guard reads the room's control again only when an update touched it: a deletion
    alone, or a change inside a transaction that mostly types, after a run of typing, is seen."""
    room, ann, bob, _ = room
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    with pytest.raises(NotAllowed):
        bob.change(lambda doc: doc.get("control", type=Map).pop("presenter"))
    for i in range(3):  # typing: nothing read, nothing changed
        bob.change(lambda doc, i=i: doc.get("fields", type=Map).__setitem__(f"p #{i}", "x"))

    def type_and_take_the_lead(doc: Doc[Any]) -> None:
        with doc.transaction():
            doc.get("fields", type=Map)["p #x"] = "typed"
            set_control(presenter="bob")(doc)

    with pytest.raises(NotAllowed):
        bob.change(type_and_take_the_lead)
    assert read_control(room.doc) == Control("presenter", "ann", "ann")
    ann.change(set_control(presenter="bob"))  # what the guard holds follows accepted changes
    bob.change(lambda doc: _schema.navigate(doc, "https://example.org/bob-leads"))
    with pytest.raises(NotAllowed):
        ann.change(lambda doc: _schema.navigate(doc, "https://example.org/ann"))


def test_an_update_the_shadow_fails_on_leaves_it_as_the_room_is(room, monkeypatch) -> None:
    """Whatever part of an update the guard's copy took before failing, the room did not
    take: the copy starts again from the room's, control included."""
    room, ann, bob, _ = room
    guard = room.guard

    def take_then_fail(update: bytes) -> None:
        shadow.apply_update(update)
        raise ValueError("bad update")

    shadow = guard._shadow
    monkeypatch.setattr(guard, "_shadow", type("Failing", (), {"apply_update": take_then_fail}))
    with pytest.raises(ValueError):
        bob.change(set_control(mode="presenter", presenter="bob", owner="bob"))
    assert read_control(guard._shadow) == read_control(room.doc)
    assert not read_control(room.doc).presenting
    bob.change(lambda doc: _schema.navigate(doc, "https://example.org/bob"))  # free mode still
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))


def test_an_update_that_builds_on_changes_the_room_lacks_is_refused(room) -> None:
    """Part of such an update would wait in the room and be integrated by someone else's later
    update, and so be checked as theirs: Eve's "presenter: eve", placed after the change the
    owner is about to make, would land with the owner's hand-over. It never enters the room."""
    room, ann, _, eve = room
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    owner = Doc(client_id=4242)  # the owner's copy, as Eve can predict its next change
    owner.apply_update(room.doc.get_update())
    owner.get("control", type=Map)["presenter"] = "bob"
    forged = Doc()
    forged.apply_update(owner.get_update())
    before = forged.get_state()
    forged.get("control", type=Map)["presenter"] = "eve"
    with pytest.raises(NotAllowed, match="builds on changes"):
        room.receive(eve.peer, create_update_message(forged.get_update(before)))
    # A gap in one's own clock: the later half alone is refused, both in order are taken.
    mine = Doc()
    mine.apply_update(room.doc.get_update())
    start = mine.get_state()
    mine.get("fields", type=Map)["p #a"] = "1"
    middle = mine.get_state()
    first = mine.get_update(start)
    mine.get("fields", type=Map)["p #b"] = "2"
    with pytest.raises(NotAllowed, match="builds on changes"):
        room.receive(eve.peer, create_update_message(mine.get_update(middle)))
    room.receive(eve.peer, create_update_message(first))
    room.receive(eve.peer, create_update_message(mine.get_update(middle)))
    assert room.doc.get("fields", type=Map).to_py() == {"p #a": "1", "p #b": "2"}
    assert read_control(room.doc) == Control("presenter", "ann", "ann")


def _answer(owner: str, key: str, text: str) -> Callable[[Doc[Any]], None]:
    """Write ``owner``'s own field in practice mode, as the widget keys it."""

    def edit(doc: Doc[Any]) -> None:
        url = _schema.current_url(doc)
        name = f"{_schema.owner_prefix(owner)}{_schema.page_id(url)} {key}"
        answers = doc.get("answers", type=Map)
        if name in answers:
            typed = answers[name]
            typed += text  # typing on in a Text of one's own
        else:
            answers[name] = Text(text)

    return edit


def test_in_practice_mode_each_participant_writes_only_their_own_fields(room) -> None:
    room, ann, bob, _ = room
    ann.change(lambda doc: _schema.set_field_mode(doc, "individual"))
    ann.change(_answer("ann", "#answer", "a proxy"))
    bob.change(_answer("bob", "#answer", "rewrites"))
    bob.change(_answer("bob", "#answer", " URLs"))
    for forged in (_answer("ann", "#answer", " (bob was here)"), _answer("ann", "#new", "x")):
        with pytest.raises(NotAllowed, match="only write their own fields"):
            bob.change(forged)
    with pytest.raises(NotAllowed, match="only write their own fields"):
        bob.change(lambda doc: doc.get("answers", type=Map).clear())
    url = _schema.current_url(room.doc)
    assert _schema.answers(room.doc, url) == {
        "ann": {"#answer": "a proxy"},
        "bob": {"#answer": "rewrites URLs"},
    }


def test_a_participants_own_fields_are_bounded(room) -> None:
    room, ann, _, _ = room
    ann.change(_answer("ann", "#a", "x" * (_answers.MAX_CHARS - 100)))
    with pytest.raises(NotAllowed, match="at most"):
        ann.change(_answer("ann", "#b", "x" * 100))  # a new entry, its key and text past it
    with pytest.raises(NotAllowed, match="at most"):
        ann.change(_answer("ann", "#a", "x" * 100))  # typing on past it
    ann.change(_answer("ann", "#b", "x" * 20))


def test_in_presenter_mode_only_the_presenter_starts_or_ends_practice(room) -> None:
    room, ann, bob, _ = room
    ann.change(set_control(mode="presenter", presenter="ann", owner="ann"))
    with pytest.raises(NotAllowed, match="ann is presenting"):
        bob.change(lambda doc: _schema.set_field_mode(doc, "individual"))
    ann.change(lambda doc: _schema.set_field_mode(doc, "individual"))
    bob.change(_answer("bob", "#answer", "my own"))  # a follower fills in their own fields
    assert _schema.field_mode(room.doc) == "individual"

"""Highlights from Python: written by the kernel as notes with a selector, read by the widget's
schema, and held by the room hub to the note rule and bounds."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Map

from cobrowse_widget import _highlights, _schema
from cobrowse_widget._shared import MAX_NOTE_TEXT, MAX_NOTES, MAX_SELECTOR
from jupyter_ext.rooms import NotAllowed, Room

from .test_control import ANN, BOB, Participant

PAGE = "https://example.org/start"


def test_a_highlight_is_a_note_with_a_selector_on_the_rooms_page() -> None:
    doc: Doc = Doc()
    key = _highlights.add(doc, PAGE, "#title", "  Start here ", "ann")
    entry = doc.get("notes", type=Map)[key]
    assert entry == {
        "page": _schema.page_id(PAGE),
        "selector": "#title",
        "text": "Start here",
        "author": "ann",
    }
    _highlights.add(doc, PAGE, "main p", "", "bob")
    assert _highlights.remove(doc, "ann") == 1
    assert _highlights.remove(doc, "ann", everyone=True) == 1
    assert len(doc.get("notes", type=Map)) == 0


@pytest.mark.parametrize(
    ("selector", "note", "message"),
    [
        ("p[", "", "not a CSS selector"),
        ("a" * (MAX_SELECTOR + 1), "", "selector is 1-"),
        ("", "", "selector is 1-"),
        ("p", "x" * (MAX_NOTE_TEXT + 1), "at most"),
    ],
)
def test_a_highlight_that_no_page_could_show_is_refused_in_python(
    selector: str, note: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _highlights.add(Doc(), PAGE, selector, note, "ann")


def test_a_full_room_takes_no_more_highlights() -> None:
    doc: Doc = Doc()
    for _ in range(MAX_NOTES):
        _highlights.add(doc, PAGE, "p", "", "ann")
    with pytest.raises(ValueError, match="at most"):
        _highlights.add(doc, PAGE, "p", "", "ann")


def test_the_hub_holds_highlights_to_the_note_rule_and_bounds() -> None:
    room = Room("class")
    ann, bob = Participant(room, ANN), Participant(room, BOB)
    ann.change(lambda doc: _highlights.add(doc, PAGE, "#title", "mine", "ann"))
    with pytest.raises(NotAllowed, match="note"):
        bob.change(lambda doc: _highlights.add(doc, PAGE, "#title", "as ann", "ann"))
    with pytest.raises(NotAllowed, match="note"):
        bob.change(lambda doc: _highlights.remove(doc, "ann", everyone=True))

    def long_selector(doc: Doc) -> None:
        doc.get("notes", type=Map)["x"] = {
            "page": "p",
            "selector": "a" * (MAX_SELECTOR + 1),
            "text": "",
            "author": "bob",
        }

    with pytest.raises(NotAllowed, match="bounds"):
        bob.change(long_selector)
    ann.change(lambda doc: _highlights.remove(doc, "ann"))
    assert len(room.doc.get("notes", type=Map)) == 0

"""Highlights: an element of a page outlined for everyone, with a note, from Python.

They live in the room's ``notes`` map beside pinned notes and strokes (docs/protocol.md,
"Notes"), as ``{page, selector, text, author}``: the room hub's note rule holds for them (only
the author writes one; the author or whoever leads removes it), and every participant's page
outlines the first element the selector matches.
"""

from __future__ import annotations

import secrets
from typing import Any

from pycrdt import Doc, Map

from ._schema import check_selectors, page_id
from ._shared import MAX_NOTE_TEXT, MAX_NOTES

NOTES = "notes"


def check(selector: str, note: str) -> str:
    """The note as kept; ``ValueError`` for a selector no page can use or a note too long."""
    check_selectors([selector])
    note = note.strip()
    if len(note) > MAX_NOTE_TEXT:
        raise ValueError(f"a note is at most {MAX_NOTE_TEXT} characters, not {len(note)}")
    return note


def new_id() -> str:
    return secrets.token_hex(9)  # as the widget's note ids


def add(
    doc: Doc[Any], url: str, selector: str, note: str, author: str, key: str | None = None
) -> str:
    """Outline what ``selector`` matches on page ``url`` for everyone, with ``note``; the
    highlight's id (``key`` when given). ``ValueError`` as ``check`` says, or for a room that
    has all the notes it keeps."""
    note = check(selector, note)
    notes = doc.get(NOTES, type=Map)
    if len(notes) >= MAX_NOTES:
        raise ValueError(f"the room keeps at most {MAX_NOTES} notes, highlights and drawings")
    key = key or new_id()
    notes[key] = {"page": page_id(url), "selector": selector, "text": note, "author": author}
    return key


def remove(doc: Doc[Any], author: str, everyone: bool = False) -> int:
    """Remove ``author``'s highlights (or everyone's); how many went."""
    notes = doc.get(NOTES, type=Map)
    gone = [
        key
        for key, entry in notes.items()
        if isinstance(entry, dict)
        and isinstance(entry.get("selector"), str)
        and (everyone or entry.get("author") == author)
    ]
    with doc.transaction():
        for key in gone:
            del notes[key]
    return len(gone)

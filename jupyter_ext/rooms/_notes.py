"""What a room's notes may hold and who may change them (docs/protocol.md, "Notes").

The ``notes`` map holds pinned notes and drawn strokes alike: only the author writes one, the
author or whoever leads removes it; the room keeps a bounded number, each of bounded size (the
same numbers as js/src/protocol/limits.js, except the byte bound, which no note the widget
writes comes near).
"""

from __future__ import annotations

import json
from typing import Any

from cobrowse_widget._shared import MAX_NOTE_TEXT, MAX_NOTES, MAX_SELECTOR

__all__ = ["MAX_NOTES", "MAX_NOTE_TEXT", "fits", "may_change"]

MAX_STROKE_POINTS = 256  # points of one stroke
MAX_STROKE_SPAN = 10_000  # CSS pixels a stroke's point may lie from its start; its element's width
MAX_NOTE_BYTES = 32 * 1024  # one note or stroke, as compact JSON


def _author(value: object) -> object:
    return value.get("author") if isinstance(value, dict) else None


def may_change(user: str, leads: bool, change: dict[str, Any]) -> bool:
    """Whether ``user`` may make one change to the ``notes`` map (a pycrdt map event's entry):
    write a note of their own (a new one, or one they wrote), or remove one they wrote, or any
    when they lead."""
    old, new = change.get("oldValue"), change.get("newValue")
    if change.get("action") == "delete":
        return _author(old) == user or leads
    return _author(new) == user and (change.get("action") == "add" or _author(old) == user)


def _within(value: object, low: float, high: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high


def _is_path(path: object) -> bool:
    """A stroke's path: 1 to MAX_STROKE_POINTS points, flat ``[x0, y0, x1, y1, ...]``, whole
    numbers of pixels within MAX_STROKE_SPAN of the start."""
    if not isinstance(path, list) or not 2 <= len(path) <= 2 * MAX_STROKE_POINTS or len(path) % 2:
        return False
    span = MAX_STROKE_SPAN
    return all(_within(v, -span, span) and v == int(v) for v in path)  # NaN is not within


def fits(note: object) -> bool:
    """Whether a note as written keeps the room's bounds: its text, its stroke's path and
    width, its highlight's selector, and its whole size."""
    if not isinstance(note, dict):
        return False
    text = note.get("text")
    if text is not None and not (isinstance(text, str) and len(text) <= MAX_NOTE_TEXT):
        return False
    selector = note.get("selector")  # a highlight's
    if selector is not None and not (isinstance(selector, str) and len(selector) <= MAX_SELECTOR):
        return False
    if "path" in note and not (
        _is_path(note["path"]) and _within(note.get("width"), 1, MAX_STROKE_SPAN)
    ):
        return False
    try:
        encoded = json.dumps(note, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:  # NaN or infinity somewhere
        return False
    return len(encoded.encode()) <= MAX_NOTE_BYTES

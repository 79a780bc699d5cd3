"""What changed in the room between two looks at it, as ``cb.on`` reports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc

from . import _schema

EVENTS = ("navigate", "field")


@dataclass(frozen=True)
class Look:
    """The room's page and its shared form fields, at one moment."""

    url: str = ""
    fields: dict[str, _schema.FieldValue] = field(default_factory=dict)


def look(doc: Doc[Any]) -> Look:
    url = _schema.current_url(doc)
    return Look(url, _schema.page_fields(doc, url) if url else {})


def events(before: Look, after: Look) -> list[tuple[str, tuple[Any, ...]]]:
    """The events from ``before`` to ``after``: ``("navigate", (url,))`` when the page changed,
    else ``("field", (key, value))`` for each field whose value changed."""
    if after.url != before.url:
        return [("navigate", (after.url,))]
    missing = object()
    return [
        ("field", (key, value))
        for key, value in after.fields.items()
        if before.fields.get(key, missing) != value
    ]

"""Who is in the room and what changed between two looks at it, as ``cb.participants`` and
``cb.on`` report them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc

from . import _schema

EVENTS = ("navigate", "field", "join", "leave", "click")
MAX_TEXT = 200  # characters of a clicked element's text or id given to a callback


def participants(states: dict[int, dict[str, Any]], doc: Doc[Any]) -> list[dict[str, Any]]:
    """One entry per participant (their first view), by name: ``name``, ``username``, ``role``
    ("presenter", "follower", "participant" in free mode, or "reader"), ``page`` (the URL they
    show) and ``following`` (a follower who follows the presenter's scrolling)."""
    presenting = _schema.presenter(doc)
    people: dict[str, dict[str, Any]] = {}
    for state in states.values():
        user = state["user"]
        username = user.get("username")
        if not isinstance(username, str) or not username or username in people:
            continue
        if user.get("reader") is True:
            role = "reader"
        elif username == presenting:
            role = "presenter"
        else:
            role = "follower" if presenting else "participant"
        page = state.get("url")
        people[username] = {
            "name": str(user.get("name") or username),
            "username": username,
            "role": role,
            "page": page if isinstance(page, str) else "",
            "following": role == "follower" and state.get("following") is True,
        }
    return sorted(people.values(), key=lambda person: (person["name"], person["username"]))


@dataclass(frozen=True)
class Look:
    """The room's page, its shared form fields and who is in it, at one moment."""

    url: str = ""
    fields: dict[str, _schema.FieldValue] = field(default_factory=dict)
    people: frozenset[str] = frozenset()
    # client id -> (their clicks so far, username, what the latest was on)
    clicks: dict[int, tuple[int, str, dict[str, str]]] = field(default_factory=dict)


def look(doc: Doc[Any], states: dict[int, dict[str, Any]]) -> Look:
    url = _schema.current_url(doc)
    names = frozenset(person["username"] for person in participants(states, doc))
    return Look(url, _schema.page_fields(doc, url) if url else {}, names, _clicks(states))


def _clicks(states: dict[int, dict[str, Any]]) -> dict[int, tuple[int, str, dict[str, str]]]:
    """Each view's count of clicks (its presence counts them), with who and where."""
    found = {}
    for cid, state in states.items():
        count, username = state.get("click"), state["user"].get("username")
        if isinstance(count, (int, float)) and count > 0 and isinstance(username, str):
            found[cid] = (int(count), username, clicked(state.get("pointer")))
    return found


def clicked(pointer: object) -> dict[str, str]:
    """What a click's pointer was on, from its locator (docs/protocol.md, "Locator"): the
    element's ``tag``, ``id`` and ``text`` ("" when it has none)."""
    locator = pointer.get("locator") if isinstance(pointer, dict) else None
    if not isinstance(locator, dict):
        locator = {}
    path = locator.get("path")
    last = path[-1] if isinstance(path, list) and path else None
    tag = last[0] if isinstance(last, list) and last else None
    return {"tag": _text(tag), "id": _text(locator.get("id")), "text": _text(locator.get("text"))}


def _text(value: object) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def events(before: Look, after: Look) -> list[tuple[str, tuple[Any, ...]]]:
    """The events from ``before`` to ``after``: ``("join" | "leave", (username,))`` for each
    participant who came or went; ``("click", (username, element))`` for each view whose
    user clicked since; ``("navigate", (url,))`` when the page changed, else ``("field", (key,
    value))`` for each field whose value changed."""
    found: list[tuple[str, tuple[Any, ...]]] = [
        *(("join", (name,)) for name in sorted(after.people - before.people)),
        *(("leave", (name,)) for name in sorted(before.people - after.people)),
        *(
            ("click", (username, element))
            for cid, (count, username, element) in after.clicks.items()
            if count != before.clicks.get(cid, (0,))[0]
        ),
    ]
    if after.url != before.url:
        return [*found, ("navigate", (after.url,))]
    missing = object()
    return found + [
        ("field", (key, value))
        for key, value in after.fields.items()
        if before.fields.get(key, missing) != value
    ]

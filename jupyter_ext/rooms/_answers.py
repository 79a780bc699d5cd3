"""Each participant's own form fields in practice mode (docs/protocol.md, "Form fields"): the
``answers`` map keys them ``"{owner} {page id} {field key}"``, the owner being a username with
"%" and " " escaped. Only the owner writes theirs, and each owner's are bounded as the widget
bounds them (js/src/fields.js, ANSWER_BUDGET), so that a class's answers fit in one room."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pycrdt import Map, Text

from cobrowse_widget._schema import ANSWERS, owner_prefix
from cobrowse_widget._shared import ANSWER_BUDGET

__all__ = ["ANSWERS", "MAX_CHARS", "escape", "owners", "size"]

# The widget counts a value's characters as JavaScript does (UTF-16 units, JSON.stringify): a
# little room over its budget for a count made another way.
MAX_CHARS = ANSWER_BUDGET + 1024


def escape(username: str) -> str:
    """``username`` as the start of its own keys (without the space after it)."""
    return owner_prefix(username)[:-1]


def owners(events: Iterable[Any]) -> set[str]:
    """Whose keys a deep event of the ``answers`` map changed (escaped usernames)."""
    names: set[str] = set()
    for event in events:
        path = event.path
        if path:  # inside an entry (typing in a Text): the entry's key
            names.add(str(path[0]))
        else:
            names.update(event.keys)
    return {name.partition(" ")[0] for name in names}


def size(answers: Map[Any], owner: str) -> int:
    """The characters ``owner``'s own fields take, keys and values, as the widget counts them."""
    prefix = owner + " "
    total = 0
    for name, entry in answers.items():
        if name.startswith(prefix):
            total += len(name) + len(_text(entry))
    return total


def _text(entry: object) -> str:
    if isinstance(entry, Text):
        return str(entry)
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))

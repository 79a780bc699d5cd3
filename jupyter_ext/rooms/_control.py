"""Who may change what in a room: free mode (everyone drives) or presenter mode (one leads).

The room's mode and roles live in its document (docs/protocol.md, "Roles and control"), so
every participant sees them; the hub enforces them, so a modified client cannot take control:
before an update enters the room it is applied to a shadow copy of the document, and what it
touched is checked against the mode and the sender's role. A refused update never reaches the
room (its sender's copy has diverged and must start again from the room's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Array, Decoder, Doc, Map, get_update

from cobrowse_widget._shared import MAX_SELECTOR, MAX_SELECTORS

from . import _answers, _notes

CONTROL, REQUESTS, NOTES, PRIVACY = "control", "requests", "notes", "privacy"
# What only the presenter changes in presenter mode.
LED = ("page", "history", "scroll", "step", "mode")


class NotAllowed(ValueError):
    """An update the sender's role does not allow."""


@dataclass(frozen=True)
class Control:
    """The room's mode and roles: ``presenter`` leads, ``owner`` started presenting and may
    always take the lead back or end it."""

    mode: str = "free"
    presenter: str = ""
    owner: str = ""

    @property
    def presenting(self) -> bool:
        return self.mode == "presenter" and bool(self.presenter)


def read_control(doc: Doc[Any]) -> Control:
    """The room's control state (free mode when unset or unreadable)."""
    control = doc.get(CONTROL, type=Map)
    fields = {key: control.get(key) for key in ("mode", "presenter", "owner")}
    if not all(isinstance(value, (str, type(None))) for value in fields.values()):
        return Control()
    return Control(**{key: value or "" for key, value in fields.items()})


def allowed_change(user: str, before: Control, after: Control, lead: bool = True) -> bool:
    """Whether ``user`` may change the room's control from ``before`` to ``after`` (a user who
    may not ``lead`` never starts presenting, but may be handed the lead and hand it back)."""
    if after == before:
        return True
    if after.mode not in ("free", "presenter"):
        return False
    if not before.presenting:  # anyone who may lead may start presenting, as themselves
        return lead and after == Control("presenter", user, user)
    if user == before.owner:  # the owner hands the lead to anyone, takes it back, ends it
        return after.owner == user or after.mode == "free"
    if user == before.presenter:  # a presenter given the lead hands it back
        return after == Control("presenter", before.owner, before.owner)
    return False


class Guard:
    """Checks each update against the room's mode on a shadow copy of the room's document."""

    def __init__(self, doc: Doc[Any]) -> None:
        self.doc = doc
        self._shadow: Doc[Any] = Doc()
        self._touched: set[str] = set()
        self._requests: set[str] = set()
        self._notes: dict[str, dict[str, Any]] = {}  # note id -> its change, this update
        self._privacy: set[str] = set()  # whose privacy rules this update changed
        self._answers: set[str] = set()  # whose own fields (practice mode) this update changed
        self._control_touched = False  # whether this update changed the control map
        self._control = Control()  # the shadow's control, read again only when it changed
        self._subscriptions: list[Any] = []
        self._rebuild()

    def _rebuild(self) -> None:
        shadow: Doc[Any] = Doc()
        shadow.apply_update(self.doc.get_update())
        self._shadow = shadow
        self._control = read_control(shadow)
        touched = self._touched.add
        # pycrdt drops an observer whose subscription nobody keeps
        self._subscriptions = [
            shadow.get(CONTROL, type=Map).observe_deep(lambda _: self._touch_control()),
            *(
                shadow.get(name, type=Array if name == "history" else Map).observe_deep(
                    lambda *_, name=name: touched(name)
                )
                for name in LED
            ),
            shadow.get(REQUESTS, type=Map).observe(lambda event: self._requests.update(event.keys)),
            shadow.get(NOTES, type=Map).observe(lambda event: self._notes.update(event.keys)),
            shadow.get(PRIVACY, type=Map).observe(lambda event: self._privacy.update(event.keys)),
            shadow.get(_answers.ANSWERS, type=Map).observe_deep(
                lambda events: self._answers.update(_answers.owners(events))
            ),
        ]

    def _touch_control(self) -> None:
        self._control_touched = True

    def check(self, user: str, update: bytes, lead: bool = True) -> None:
        """Raise NotAllowed if ``user`` (who may start presenting when ``lead``) may not make
        ``update`` in the room as it is now; else the shadow has taken it (the caller applies
        it to the room)."""
        before = self._control
        self._touched.clear()
        self._requests.clear()
        self._notes.clear()
        self._privacy.clear()
        self._answers.clear()
        self._control_touched = False
        try:
            self._shadow.apply_update(update)
        except Exception:
            self._rebuild()  # whatever part of it the shadow took, the room will not
            raise
        # Only a change in the control map (an observed event, directly or by deletion) changes
        # what read_control gives: a keystroke reads nothing.
        after = read_control(self._shadow) if self._control_touched else before
        reason = _waiting(update, self._shadow) or self._refusal(user, before, after, lead)
        if reason is not None:
            self._rebuild()  # the shadow took what the room will not: start it again
            raise NotAllowed(reason)
        self._control = after

    def _refusal(self, user: str, before: Control, after: Control, lead: bool) -> str | None:
        if not allowed_change(user, before, after, lead):
            if not before.presenting and not lead:
                return "only a presenter may start presenting"
            return "only the presenter's owner may change who leads"
        leads = user in (before.presenter, before.owner) and before.presenting
        if before.presenting and self._touched and user != before.presenter:
            return f"{before.presenter} is presenting: only they navigate, scroll and set steps"
        if "mode" in self._touched and not lead and user != before.presenter:
            return "only a presenter, or who they gave the lead, may start or end practice"
        if self._requests - {user} and not leads:
            return "a participant may only ask for control for themselves"
        for change in self._notes.values():
            if not _notes.may_change(user, leads, change):
                return "a note may be written only by its author, removed by them or who leads"
            if change.get("action") != "delete" and not _notes.fits(change.get("newValue")):
                return "a note's text, stroke or size is past the room's bounds"
        if self._privacy - {user}:
            return "a participant may only set their own privacy rules"
        if self._privacy and not _is_rule_set(self._shadow.get(PRIVACY, type=Map).get(user)):
            return "privacy rules are lists of at most 64 selectors of 512 characters and a flag"
        if self._notes and len(self._shadow.get(NOTES, type=Map)) > _notes.MAX_NOTES:
            return f"a room keeps at most {_notes.MAX_NOTES} notes"
        if self._answers - {_answers.escape(user)}:
            return "a participant may only write their own fields"
        answers = self._shadow.get(_answers.ANSWERS, type=Map)
        if self._answers and _answers.size(answers, _answers.escape(user)) > _answers.MAX_CHARS:
            return f"a participant's own fields hold at most {_answers.MAX_CHARS} characters"
        return None


def _waiting(update: bytes, shadow: Doc[Any]) -> str | None:
    """Why ``update`` may not enter the room when part of it waits in the shadow for changes
    the room does not have (a gap in a client's clock, an item placed after one not yet made):
    integrated later, it would be checked against whoever's update completes it."""
    pending = get_update(update, shadow.get_state())
    if Decoder(pending).read_var_uint() == 0:  # no client has structs the shadow did not take
        return None
    return "an update that builds on changes the room does not have"


def _is_rule_set(rules: object) -> bool:
    """A participant's privacy rules as the widget publishes them (js/src/privacy.js), or none:
    ``{private: [selector], shared: [selector], all: bool}``, bounded as Python's are."""
    if rules is None:
        return True
    if not isinstance(rules, dict) or set(rules) != {"private", "shared", "all"}:
        return False
    lists = rules["private"], rules["shared"]
    return isinstance(rules["all"], bool) and all(
        isinstance(selectors, list)
        and len(selectors) <= MAX_SELECTORS
        and all(isinstance(s, str) and len(s) <= MAX_SELECTOR for s in selectors)
        for selectors in lists
    )

"""The shared Y.Doc layout (docs/protocol.md), read and written with pycrdt."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pycrdt import Array, Doc, Map, Text

from ._shared import MAX_SELECTOR, MAX_SELECTORS, MAX_STEP_TEXT, MAX_STEP_TITLE

PAGE = "page"
HISTORY = "history"
SCROLL = "scroll"
FIELDS = "fields"
CONTROL = "control"
STEP = "step"
MODE = "mode"
ANSWERS = "answers"  # each participant's own fields in practice mode
FieldMode = Literal["shared", "individual"]

# Bounds on what the doc holds (js/src/protocol/limits.js has the same numbers).
MAX_URL = 8192  # what common servers accept in a request line
MAX_HISTORY = 100  # entries kept; the oldest are dropped


def check_url(url: str) -> None:
    """Refuse a URL longer than any participant will share (``ValueError``)."""
    if len(url) > MAX_URL:
        raise ValueError(f"web addresses are limited to {MAX_URL} characters, not {len(url)}")


def check_selectors(selectors: list[str]) -> list[str]:
    """Refuse privacy selectors that a page could not use (``ValueError`` saying which)."""
    import soupsieve

    if len(selectors) > MAX_SELECTORS:
        raise ValueError(f"at most {MAX_SELECTORS} selectors, not {len(selectors)}")
    for selector in selectors:
        if not isinstance(selector, str) or not 0 < len(selector) <= MAX_SELECTOR:
            raise ValueError(f"a selector is 1-{MAX_SELECTOR} characters: {selector!r:.80}")
        try:
            soupsieve.compile(selector)
        except (soupsieve.SelectorSyntaxError, NotImplementedError) as exc:
            # NotImplementedError: pseudo-elements and the like, which match no element
            raise ValueError(f"not a CSS selector: {selector!r} ({exc.args[0]})") from None
    return selectors


def roots(doc: Doc[Any]) -> tuple[Map[Any], Array[Any], Map[Any]]:
    """Return the page map, history array and scroll map of ``doc``."""
    return doc.get(PAGE, type=Map), doc.get(HISTORY, type=Array), doc.get(SCROLL, type=Map)


def current_url(doc: Doc[Any]) -> str:
    """The URL everyone in the room shows, or "" before the first navigation."""
    page, _, _ = roots(doc)
    return str(page.get("url", ""))


def history(doc: Doc[Any]) -> list[str]:
    """Every URL visited in the room, oldest first."""
    _, hist, _ = roots(doc)
    return [str(url) for url in hist]


def navigate(doc: Doc[Any], url: str) -> None:
    """Go to ``url``: drop forward history, append it and make it current, in one transaction.

    The history keeps the latest ``MAX_HISTORY`` entries.
    """
    check_url(url)
    page, hist, _ = roots(doc)
    with doc.transaction():
        if page.get("result") is not None:
            page["result"] = None  # a kept form result belongs to the page it answered
        index = int(page.get("index", -1))
        if 0 <= index < len(hist) and hist[index] == url:
            if page.get("url") != url:
                page["url"] = url
            return
        del hist[index + 1 :]
        hist.append(url)
        if len(hist) > MAX_HISTORY:
            del hist[: len(hist) - MAX_HISTORY]
        page["index"] = len(hist) - 1
        page["url"] = url
        page["by"] = doc.client_id


def presenter(doc: Doc[Any]) -> str:
    """Who leads the room in presenter mode ("" in free mode; docs/protocol.md)."""
    control = doc.get(CONTROL, type=Map)
    presenter = control.get("presenter")
    if control.get("mode") != "presenter" or not isinstance(presenter, str):
        return ""
    return presenter


def scroll_to(doc: Doc[Any], selector: str) -> None:
    """Scroll everyone's copy of the room's page to the first element ``selector`` matches (at
    the top of their view): a scroll anchor naming the selector (docs/protocol.md)."""
    check_selectors([selector])
    anchor = {"locator": None, "ratio": 0, "fraction": 0, "selector": selector}
    _, _, scroll = roots(doc)
    with doc.transaction():
        scroll["url"] = current_url(doc)
        scroll["anchor"] = json.dumps(anchor, separators=(",", ":"))
        scroll["by"] = doc.client_id


def follow_me(doc: Doc[Any], user: str) -> None:
    """``user`` leads: they start presenting, or, presenting already, bring everyone who stopped
    following back to their page and place (js/src/control.js: present, summon)."""
    control = doc.get(CONTROL, type=Map)
    with doc.transaction():
        if presenter(doc) == user:
            control["summons"] = int(control.get("summons", 0)) + 1
        else:
            control.update({"mode": "presenter", "presenter": user, "owner": user})


def check_step(title: str | None, text: str = "") -> None:
    """Refuse a tutorial step no view would show whole (``ValueError``): a title of 1 to
    MAX_STEP_TITLE characters and a text of at most MAX_STEP_TEXT (None: no step)."""
    if title is not None and (not 0 < len(title) <= MAX_STEP_TITLE or len(text) > MAX_STEP_TEXT):
        raise ValueError(
            f"a step has a title of 1-{MAX_STEP_TITLE} characters and a text of at most "
            f"{MAX_STEP_TEXT}"
        )


def set_step(doc: Doc[Any], title: str | None, text: str = "") -> None:
    """Show a tutorial step in every view: ``title`` and ``text``, plain text (checked as
    ``check_step`` does), or none (``title`` None); ``n`` counts steps, so a view shows a new
    one even if it hid the last."""
    check_step(title, text)
    step = doc.get(STEP, type=Map)
    with doc.transaction():
        step["n"] = int(step.get("n", 0)) + 1
        step["title"] = title or ""
        step["text"] = text if title is not None else ""


def leaders(doc: Doc[Any]) -> set[str]:
    """Who leads the room in presenter mode: the presenter and the owner (none in free mode)."""
    control = doc.get(CONTROL, type=Map)
    names = {control.get("presenter"), control.get("owner")}
    if control.get("mode") != "presenter" or not presenter(doc):
        return set()
    return {name for name in names if isinstance(name, str) and name}


def reload(doc: Doc[Any]) -> None:
    """Reload the room's page for everyone (``page.reload`` counts reloads)."""
    page, _, _ = roots(doc)
    page["reload"] = int(page.get("reload", 0)) + 1


def go(doc: Doc[Any], delta: int) -> bool:
    """Move ``delta`` steps through the history (-1 is back); False when there is nowhere to go."""
    page, hist, _ = roots(doc)
    with doc.transaction():
        target = int(page.get("index", -1)) + delta
        if not 0 <= target < len(hist):
            return False
        page["index"] = target
        page["url"] = hist[target]
        if page.get("result") is not None:
            page["result"] = None
        return True


FieldValue = str | bool | list[str] | dict[str, Any] | None


def page_id(url: str) -> str:
    """The id of the page ``url`` shows, as the ``fields`` map keys it: the first 128 bits of the
    SHA-256 of the URL without its fragment, in hex."""
    return hashlib.sha256(url.split("#")[0].encode()).hexdigest()[:32]


def field_mode(doc: Doc[Any]) -> FieldMode:
    """ "individual" while the room practises (each participant's fields are their own), else
    "shared"."""
    return "individual" if doc.get(MODE, type=Map).get("fields") == "individual" else "shared"


def set_field_mode(doc: Doc[Any], mode: FieldMode) -> None:
    if mode not in ("shared", "individual"):
        raise ValueError(f'the mode is "shared" or "individual", not {mode!r}')
    doc.get(MODE, type=Map)["fields"] = mode


def owner_prefix(owner: str) -> str:
    """The start of the ``answers`` keys of ``owner``'s own fields: their username with "%" and
    " " escaped, and a space (js/src/fields.js, ``ownerPrefix``)."""
    return owner.replace("%", "%25").replace(" ", "%20") + " "


def page_fields(doc: Doc[Any], url: str, owner: str | None = None) -> dict[str, FieldValue]:
    """The form fields stored for page ``url`` (its fragment ignored), by field key: the room's
    shared ones, or ``owner``'s own (practice mode)."""
    if owner is None:
        return _fields(doc.get(FIELDS, type=Map), page_id(url) + " ")
    return _fields(doc.get(ANSWERS, type=Map), owner_prefix(owner) + page_id(url) + " ")


def answers(doc: Doc[Any], url: str) -> dict[str, dict[str, FieldValue]]:
    """Everyone's own fields on page ``url`` (practice mode), by username, then field key."""
    owners = {name.partition(" ")[0] for name in doc.get(ANSWERS, type=Map)}
    found = {}
    for escaped in sorted(owners):
        owner = escaped.replace("%20", " ").replace("%25", "%")
        fields = page_fields(doc, url, owner)
        if fields:
            found[owner] = fields
    return found


def _fields(fields: Map[Any], prefix: str) -> dict[str, FieldValue]:
    found: dict[str, FieldValue] = {}
    for name, entry in fields.items():
        if not name.startswith(prefix):
            continue
        key = name[len(prefix) :]
        if isinstance(entry, Text):
            found[key] = str(entry)
        elif _is_field_value(entry):
            found[key] = entry
    return found


def _is_field_value(entry: object) -> bool:
    if entry is None or isinstance(entry, (bool, str)):
        return True
    if isinstance(entry, dict):  # a <details>' {open}, a media element's {paused, time, rate}
        return isinstance(entry.get("open"), bool) or isinstance(entry.get("paused"), bool)
    return isinstance(entry, list) and all(isinstance(item, str) for item in entry)

"""The shared Y.Doc layout (docs/protocol.md), read and written with pycrdt."""

from __future__ import annotations

import re

from pycrdt import Array, Doc, Map

ROOM_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")  # what the widget and the server accept

PAGE = "page"
HISTORY = "history"
SCROLL = "scroll"


def roots(doc: Doc) -> tuple[Map, Array, Map]:
    """Return the page map, history array and scroll map of ``doc``."""
    return doc.get(PAGE, type=Map), doc.get(HISTORY, type=Array), doc.get(SCROLL, type=Map)


def current_url(doc: Doc) -> str:
    """The URL everyone in the room shows, or "" before the first navigation."""
    page, _, _ = roots(doc)
    return str(page.get("url", ""))


def history(doc: Doc) -> list[str]:
    """Every URL visited in the room, oldest first."""
    _, hist, _ = roots(doc)
    return [str(url) for url in hist]


def navigate(doc: Doc, url: str) -> None:
    """Go to ``url``: drop forward history, append it and make it current, in one transaction."""
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
        page["index"] = len(hist) - 1
        page["url"] = url
        page["by"] = doc.client_id


def go(doc: Doc, delta: int) -> bool:
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

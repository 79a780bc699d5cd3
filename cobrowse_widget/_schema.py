"""The shared Y.Doc layout (docs/protocol.md), read and written with pycrdt."""

from __future__ import annotations

from typing import Any

from pycrdt import Array, Doc, Map

PAGE = "page"
HISTORY = "history"
SCROLL = "scroll"

# Bounds on what the doc holds (js/src/protocol/limits.js has the same numbers).
MAX_URL = 8192  # what common servers accept in a request line
MAX_HISTORY = 100  # entries kept; the oldest are dropped


def check_url(url: str) -> None:
    """Refuse a URL longer than any participant will share (``ValueError``)."""
    if len(url) > MAX_URL:
        raise ValueError(f"web addresses are limited to {MAX_URL} characters, not {len(url)}")


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

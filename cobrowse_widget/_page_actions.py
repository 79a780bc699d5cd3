"""What only a page can do, asked from Python: ``cb.fill`` and ``cb.click`` (performed in one
page of this widget, as its user's own action) and finding an element (``cb.wait_for(selector=)``).

The kernel sends one of its views a command over the widget's comm (docs/protocol.md, "Kernel
messages"); that view's page's agent performs it and answers with an error code or none. Views
say which page they show, so each command goes to one view that shows the room's page: the one
with the lowest client id, so that two views of the widget never click the same button twice.
A command waits (up to its timeout) for such a view; an answer never comes from anywhere else.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import threading
import time
import warnings
from collections.abc import Callable, Generator
from typing import Any, Literal

from ._cell_output import current_request, output_to
from ._schema import check_selectors
from ._shared import MAX_CHOICES, MAX_FIELD_TEXT

Action = Literal["fill", "click", "find"]
FillValue = str | bool | list[str]
MAX_VIEWS = 64  # views of one widget the kernel keeps track of
MAX_WAITING = 32  # actions sent or held at once

# What a page answers when it could not, as the exception and the words Python raises.
ERRORS: dict[str, tuple[type[Exception], str]] = {
    "missing": (LookupError, "no element matches {selector} on {url}"),
    "not-a-field": (ValueError, "{selector} on {url} is not a form field that can be filled"),
    "wrong-value": (ValueError, "{selector} on {url} does not take {value!r}"),
    "no-option": (ValueError, "{selector} on {url} has no option {value!r}"),
    "view-only": (PermissionError, "this widget's page only follows: it cannot {action} there"),
    "left": (RuntimeError, "the page went away before it could {action} {selector}"),
}


def check_value(value: object) -> FillValue:
    """``value`` as ``cb.fill`` sends it: text, True/False (a checkbox, a ``<details>``), or a
    list of option values (a multiple select); ``TypeError``/``ValueError`` for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if len(value) > MAX_FIELD_TEXT:
            raise ValueError(f"a field's text is at most {MAX_FIELD_TEXT} characters")
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        if len(value) > MAX_CHOICES or any(len(item) > MAX_FIELD_TEXT for item in value):
            raise ValueError(f"at most {MAX_CHOICES} option values of bounded length")
        return list(value)
    raise TypeError(f"a field is filled with text, True/False or a list of texts, not {value!r}")


def page_of(url: str) -> str:
    """The page a URL shows: without its fragment (a view scrolled to an anchor shows it)."""
    return url.partition("#")[0]


class PageAction:
    """A fill, click or find sent to one page of the widget. ``await`` it for the page's
    answer: it raises what went wrong there (``LookupError`` when nothing matches the selector,
    ``ValueError``, ``PermissionError``), or ``TimeoutError`` when no page of this widget
    answered in time. Not awaited, it still happens, and a failure is warned in its cell."""

    def __init__(
        self, action: Action, selector: str, value: FillValue | None, url: str, timeout: float
    ):
        self.id = secrets.token_hex(16)
        self.action = action
        self.selector = selector
        self.value = value
        self.url = url
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.sent = False
        self.future: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._awaited = False
        self._cell = current_request()
        self.future.add_done_callback(self._warn_unawaited)

    def message(self, view: int) -> dict[str, Any]:
        return {
            "kind": "command",
            "id": self.id,
            "view": view,
            "action": self.action,
            "selector": self.selector,
            "value": self.value,
        }

    def fail(self, code: str) -> None:
        kind, words = ERRORS[code]
        text = words.format(
            selector=self.selector, url=self.url or "the page", value=self.value, action=self.action
        )
        if not self.future.done():
            self.future.set_exception(kind(text))

    def expire(self) -> None:
        if not self.future.done():
            where = "no page of this widget answered" if self.sent else "no view shows the page"
            self.future.set_exception(
                TimeoutError(
                    f"{self.action} {self.selector}: {where} in {self.timeout:g} s "
                    "(display the widget, and wait until its page has loaded)"
                )
            )

    def _warn_unawaited(self, future: concurrent.futures.Future[None]) -> None:
        error = future.exception()
        if error is not None and not self._awaited:
            with output_to(self._cell):
                warnings.warn(str(error), stacklevel=2)

    def __await__(self) -> Generator[Any, None, None]:
        self._awaited = True
        return self._wait().__await__()

    async def _wait(self) -> None:
        try:
            await asyncio.wait_for(
                asyncio.wrap_future(self.future), max(0.0, self.deadline - time.monotonic())
            )
        except (asyncio.TimeoutError, TimeoutError):
            self.expire()
            self.future.result()  # raises the TimeoutError expire() set

    def __repr__(self) -> str:
        state = "pending"
        if self.future.done():
            state = "done" if self.future.exception() is None else "failed"
        return f"<{self.action} {self.selector!r}: {state}>"


class PageActions:
    """The views of one widget (the page each shows) and the actions on their way to them.
    ``send(message)`` sends a comm message to the views; every method may run on any thread."""

    def __init__(self, send: Callable[[dict[str, Any]], None]):
        self._send = send
        self._lock = threading.Lock()
        self._views: dict[int, str] = {}  # client id -> the page it shows ("" while loading)
        self._waiting: dict[str, PageAction] = {}

    def start(
        self,
        action: Action,
        selector: str,
        url: str,
        *,
        value: FillValue | None = None,
        timeout: float = 10.0,
    ) -> PageAction:
        """Send ``action`` to a view that shows ``url`` (or hold it until one does)."""
        check_selectors([selector])
        if not timeout > 0:
            raise ValueError("timeout is a number of seconds above 0")
        with self._lock:
            self._expire()
            if len(self._waiting) >= MAX_WAITING:
                raise RuntimeError(f"{MAX_WAITING} page actions are waiting already")
            pending = PageAction(action, selector, value, url, timeout)
            self._waiting[pending.id] = pending
            self._dispatch()
        _expire_later(pending)
        return pending

    def view_shows(self, view: int, url: str) -> None:
        """A view says which page it shows now ("" while one loads, or when it is gone)."""
        with self._lock:
            self._views.pop(view, None)
            if url:
                self._views[view] = page_of(url)
                while len(self._views) > MAX_VIEWS:
                    del self._views[next(iter(self._views))]
            self._dispatch()

    def answered(self, key: str, error: str | None) -> None:
        """A view's answer to action ``key``: done, or failed with an error code."""
        with self._lock:
            pending = self._waiting.pop(key, None)
        if pending is None:
            return
        if error is None:
            pending.future.set_result(None)
        else:
            pending.fail(error if error in ERRORS else "left")

    def _dispatch(self) -> None:
        self._expire()  # an action whose time ran out is never done after all
        for pending in self._waiting.values():
            if pending.sent:
                continue
            views = [view for view, url in self._views.items() if url == page_of(pending.url)]
            if views:
                pending.sent = True
                self._send(pending.message(min(views)))

    def _expire(self) -> None:
        now = time.monotonic()
        for key, pending in list(self._waiting.items()):
            if pending.future.done() or now >= pending.deadline:
                del self._waiting[key]
                pending.expire()


def _expire_later(pending: PageAction) -> None:
    """Fail ``pending`` at its deadline even if nobody awaits it (in a kernel, whose cells run
    in an event loop); awaiting it does the same."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    loop.call_later(pending.timeout, pending.expire)

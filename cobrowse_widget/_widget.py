"""``CoBrowser``: the notebook widget."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import time
import traceback
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import ada_url
import anywidget
import traitlets
from pycrdt import Doc

from . import _events, _highlights, _schema
from ._cell_output import current_request, output_to
from ._page_actions import FillValue, PageAction, PageActions, check_value
from ._replica import Replica
from ._room_link import RoomLink
from ._shared import KERNEL_ROOMS, ROOM_NAME

STATIC = pathlib.Path(__file__).parent / "static"
MAX_HELD = 100  # navigations a named room's widget holds until a view brings the room's state
MAX_REASON = 1000  # characters of a view's failure reason that reach the warning
MAX_PASS = 256  # characters of a kernel pass (the server makes 43)
_server_warned = False  # a server that cannot co-browse is said once per kernel, not per view
WAIT_STEP = 0.05  # seconds between wait_for's looks at the room
FIND_TIMEOUT = 2.0  # seconds wait_for waits for one view's look for a selector
_ANY = object()  # wait_for's value when any filled-in value will do


class SyncContent(TypedDict):
    """The content of a y-sync comm message; the message itself is its first buffer."""

    kind: Literal["sync"]


@dataclass(frozen=True)
class SyncMessage:
    """A y-sync message between a view and the kernel's replica, either way (docs/protocol.md,
    "Kernel messages")."""

    data: bytes


@dataclass(frozen=True)
class ServerReport:
    """A view's word on its Jupyter server: ``ok`` False when it could not start co-browsing,
    with the ``reason`` (bounded to MAX_REASON characters)."""

    ok: bool
    reason: str


@dataclass(frozen=True)
class LinkOffer:
    """A view's pass for the kernel's own socket to the room (see ``_room_link``), and the
    username the server knows the view's user by."""

    credential: str
    user: str = ""


@dataclass(frozen=True)
class ViewPage:
    """A view shows ``url`` now ("" while a page loads, or when the view is gone)."""

    view: int
    url: str


@dataclass(frozen=True)
class ActionDone:
    """A view's answer to a page action: done, or an error code (see ``_page_actions``)."""

    id: str
    error: str | None


@dataclass(frozen=True)
class RoomReady:
    """A view has passed the room's state to the kernel: what the kernel held back for a named
    room may now be written on top of it."""


def parse_message(
    content: Any, buffers: list[Any]
) -> SyncMessage | ServerReport | RoomReady | LinkOffer | ViewPage | ActionDone | None:
    """The front-end's custom message as its kind's type; None for anything else. Views run in
    the user's browser, but the content is checked all the same: a wrong one is ignored."""
    if not isinstance(content, dict):
        return None
    kind = content.get("kind")
    if kind == "sync" and buffers:
        return SyncMessage(bytes(buffers[0]))
    if kind == "room" and content.get("synced") is True:
        return RoomReady()
    credential = content.get("pass")
    if kind == "link" and isinstance(credential, str) and 0 < len(credential) <= MAX_PASS:
        user = content.get("user")
        return LinkOffer(credential, user[:MAX_PASS] if isinstance(user, str) else "")
    if kind == "page":
        view, url = content.get("view"), content.get("url")
        if isinstance(view, int) and isinstance(url, str) and len(url) <= _schema.MAX_URL:
            return ViewPage(view, url)
    if kind == "done":
        key, error = content.get("id"), content.get("error")
        if isinstance(key, str) and (error is None or isinstance(error, str)):
            return ActionDone(key[:MAX_PASS], None if error is None else error[:MAX_PASS])
    if kind == "server":
        reason = content.get("reason")
        text = str(reason)[:MAX_REASON] if reason else ""
        return ServerReport(ok=content.get("ok") is not False, reason=text)
    return None


def normalize_url(url: str) -> str:
    """The canonical form of a typed web address, as the widget's address bar makes it (WHATWG
    URL Standard): ``example.org`` becomes ``https://example.org/``; a user name or password is
    dropped (the room would share it); other schemes and invalid addresses are refused."""
    url = url.strip()
    _schema.check_url(url)
    # A scheme is a name and a colon not followed by a digit (``localhost:8888`` is a host).
    scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)", url)
    if scheme is None:
        url = "https://" + url  # a bare host, maybe with a port and a path
    elif scheme[1].lower() not in ("http", "https"):
        raise ValueError(f"only http and https addresses can be co-browsed, not {url!r}")
    try:
        parsed = ada_url.URL(url)
    except ValueError as exc:
        raise ValueError(f"not a valid web address: {url!r}") from exc
    if parsed.protocol not in ("http:", "https:"):
        raise ValueError(f"only http and https addresses can be co-browsed, not {url!r}")
    parsed.username = parsed.password = ""
    _schema.check_url(parsed.href)
    return str(parsed.href)


class CoBrowser(anywidget.AnyWidget):
    """A small shared browser: everyone in ``room`` sees the same page.

    ``CoBrowser(url)`` opens ``url`` in a room of its own; pass ``room="name"`` to join a room
    that other notebooks use too. ``cb.url`` reads and sets the page everyone shows.
    """

    _esm = STATIC / "widget.js"
    _link: RoomLink | None = None  # the kernel's own socket to the room, once a view offers it
    _user = ""  # the username this kernel's views know their user by

    room = traitlets.Unicode(read_only=True, help="The room this widget's views join.").tag(
        sync=True
    )
    own_room = traitlets.Bool(
        read_only=True, help="True when the room is this widget's alone (no room was named)."
    ).tag(sync=True)
    start_url = traitlets.Unicode(read_only=True, help="Shown when the room has no page yet.").tag(
        sync=True
    )
    height = traitlets.Int(480, help="Height of the page area in pixels.").tag(sync=True)
    private = traitlets.List(
        traitlets.Unicode(),
        help="""CSS selectors of form fields whose values stay on each participant's page,
        besides passwords, card numbers, files, hidden inputs and ``data-cobrowse-private``.""",
    ).tag(sync=True)
    private_by_default = traitlets.Bool(
        False, help="Keep every form field private except those ``shared`` names."
    ).tag(sync=True)
    shared = traitlets.List(
        traitlets.Unicode(),
        help="CSS selectors of fields shared although ``private_by_default`` is set.",
    ).tag(sync=True)

    @traitlets.validate("private", "shared")
    def _check_selectors(self, proposal: dict[str, Any]) -> list[str]:
        return _schema.check_selectors(proposal["value"])

    def __init__(
        self,
        url: str,
        *,
        room: str | None = None,
        height: int = 480,
        private: list[str] | tuple[str, ...] = (),
        private_by_default: bool = False,
        shared: list[str] | tuple[str, ...] = (),
        **kwargs: Any,
    ):
        if room is not None and not ROOM_NAME.match(room):
            raise ValueError("room must be 1-128 letters, digits or _.:-")
        start_url = normalize_url(url)
        super().__init__(
            height=height,
            private=list(private),
            private_by_default=private_by_default,
            shared=list(shared),
            **kwargs,
        )
        self.set_trait("room", room or uuid.uuid4().hex)
        self.set_trait("own_room", room is None)
        self.set_trait("start_url", start_url)
        self._replica = Replica(self._send_update)
        # A named room's state reaches the kernel through its first view; what Python writes
        # before then (navigations, steps, scrolls) waits for it, in order, so it is written on
        # top of the room's page, not beside it.
        self._ready = room is None
        self._held: list[tuple[str | None, Callable[[Doc[Any]], None]]] = []  # (url, write)
        self._held_highlights: list[tuple[str, str, str]] = []  # id, selector, note
        self._cell = current_request()  # where this widget's warnings show (see _cell_output)
        self._callbacks: list[tuple[str, Callable[..., object]]] = []  # cb.on's
        self._seen = _events.Look()  # the room as the callbacks last saw it
        self._actions = PageActions(lambda message: self.send(message))  # fill, click, find
        if room is None:
            # A room of its own starts on its URL; a named room may already show a page.
            with self._replica.locked() as doc:
                _schema.navigate(doc, start_url)
        self.on_msg(self._on_custom_msg)

    @property
    def url(self) -> str:
        """The address everyone in the room shows (or will, once a view has brought the room's
        state: see ``goto``)."""
        with self._replica.locked() as doc:
            held = [url for url, _ in self._held if url is not None]
            return held[-1] if held else _schema.current_url(doc) or self.start_url

    @url.setter
    def url(self, value: str) -> None:
        self.goto(value)

    def goto(self, url: str) -> None:
        """Navigate everyone in the room to ``url``. In a named room, before any view of this
        widget has brought the room's state, the navigation is held and made then."""
        url = normalize_url(url)
        self._write(lambda doc: _schema.navigate(doc, url), url)

    def _write(self, write: Callable[[Doc[Any]], None], url: str | None = None) -> None:
        """Make ``write`` on the room's document, or hold it until a view has brought the
        room's state (``url``: where it takes the room, if it navigates)."""
        with self._replica.locked() as doc:
            self._check_lead(doc)
            if self._ready:
                write(doc)
            else:
                self._held = [*self._held, (url, write)][-MAX_HELD:]

    @property
    def fields(self) -> dict[str, _schema.FieldValue]:
        """The shared form fields of the room's page, by field key (``#id``, ``input name 0``,
        ``radio name``...): text, a checkbox's state, a chosen value or values; None for a
        private field someone typed in (its value never leaves their page); ``{"open": bool}``
        for a ``<details>``, ``{"paused", "time", "rate"}`` for a video or audio element. In
        practice mode, your own (``fields_by_participant`` has everyone's)."""
        with self._replica.locked() as doc:
            practising = _schema.field_mode(doc) == "individual"
            owner = self._user if practising else None
            return _schema.page_fields(doc, _schema.current_url(doc), owner)

    @property
    def mode(self) -> _schema.FieldMode:
        """``"shared"``: everyone fills in one form (the default). ``"individual"``: practice
        mode, where each participant's form fields are their own, and so are their cookies and
        form results, while the page and scrolling stay shared; ``fields_by_participant``
        reads everyone's answers. Set it to switch (while presenting, only the presenter can)."""
        with self._replica.locked() as doc:
            return _schema.field_mode(doc)

    @mode.setter
    def mode(self, value: _schema.FieldMode) -> None:
        _schema.set_field_mode(Doc(), value)  # checked now, though it may be written later
        self._write(lambda doc: _schema.set_field_mode(doc, value))

    @property
    def fields_by_participant(self) -> Answers:
        """Everyone's own form fields on the room's page, made in practice mode, by username
        then field key (as ``fields``); ``.to_dataframe()`` makes it a pandas DataFrame."""
        with self._replica.locked() as doc:
            return Answers(_schema.answers(doc, _schema.current_url(doc)))

    def follow_me(self) -> None:
        """Lead the room: start presenting (everyone else follows your page and scrolling), or,
        presenting already, bring back everyone who stopped following. ``PermissionError``
        while someone else presents; ``RuntimeError`` before a view has said who you are."""
        with self._replica.locked() as doc:
            if not self._user:
                raise RuntimeError("no view has said who you are yet: show the widget first")
            self._check_lead(doc)
            _schema.follow_me(doc, self._user)

    def step(
        self,
        title: str | None,
        text: str = "",
        *,
        url: str | None = None,
        highlight: str | None = None,
    ) -> None:
        """Show a tutorial step in every participant's widget, above the page: ``title`` and
        ``text`` (plain text), after taking the room to ``url`` and with ``highlight`` (a CSS
        selector) outlined there, when given. Each step replaces the last; ``step(None)`` ends
        them."""
        if url is not None:
            self.goto(url)
        _schema.check_step(title, text)  # now, though it may be written later
        self._write(lambda doc: _schema.set_step(doc, title, text))
        if highlight is not None:
            self.highlight(highlight)

    def scroll_to(self, selector: str) -> None:
        """Scroll everyone's page so the first element ``selector`` (CSS) matches is at the top
        of their view (those who follow the presenter, in presenter mode)."""
        _schema.check_selectors([selector])
        self._write(lambda doc: _schema.scroll_to(doc, selector))

    def fill(self, selector: str, value: FillValue, *, timeout: float = 10.0) -> PageAction:
        """Fill the form field ``selector`` (CSS) matches on the room's page with ``value``:
        text, True/False (a checkbox, a ``<details>``), an option's value (a select, a radio
        group) or a list of them (a multiple select). It happens in one page of this widget, as
        its user's own edit, which the room shares (a private field's value stays on that page).
        ``await`` the returned action for the page's answer (see ``PageAction``)."""
        return self._page_action("fill", selector, check_value(value), timeout)

    def click(self, selector: str, *, timeout: float = 10.0) -> PageAction:
        """Click the element ``selector`` (CSS) matches on the room's page, in one page of this
        widget, as its user would: a link takes the room there, a form is sent once, and
        others see where it was clicked (as for any click, their pages only switch a tab).
        ``await`` the returned action for the page's answer (see ``PageAction``)."""
        return self._page_action("click", selector, None, timeout)

    def _page_action(
        self,
        action: Literal["fill", "click"],
        selector: str,
        value: FillValue | None,
        timeout: float,
    ) -> PageAction:
        """Send ``action`` to a view of this widget that shows the room's page; in presenter
        mode only the presenter's kernel acts (``PermissionError`` for others')."""
        with self._replica.locked() as doc:
            self._check_lead(doc)
        return self._actions.start(action, selector, self.url, value=value, timeout=timeout)

    def highlight(self, selector: str, note: str = "") -> str:
        """Outline the first element ``selector`` (CSS) matches on the room's page, on every
        participant's page, labelled with your name and ``note``; returns its id. It stays on
        that page until ``clear_highlights()`` (or the toolbar's remove button). Before a view
        has told the kernel who you are and brought the room's state, it is held (as ``goto``
        is) and made then, on the room's page."""
        _highlights.check(selector, note)
        key = _highlights.new_id()
        with self._replica.locked():
            self._held_highlights = [*self._held_highlights, (key, selector, note)][-MAX_HELD:]
            self._make_held()
        return key

    def clear_highlights(self) -> int:
        """Remove your highlights from every page (everyone's while you lead); how many went."""
        with self._replica.locked() as doc:
            held, self._held_highlights = len(self._held_highlights), []
            everyone = bool(self._user) and self._user in _schema.leaders(doc)
            return held + _highlights.remove(doc, self._user, everyone)

    def _make_held(self) -> None:
        """Make the held highlights once the room's state is in and the author known."""
        with self._replica.locked() as doc:
            url = _schema.current_url(doc)
            if not (self._ready and self._user and url):
                return
            held, self._held_highlights = self._held_highlights, []
            for key, selector, note in held:
                _highlights.add(doc, url, selector, note, self._user, key)

    @property
    def participants(self) -> list[dict[str, Any]]:
        """Who is in the room (their name, username, role, the page they show and whether they
        follow the presenter), as the room tells the kernel on its own socket: empty until a
        view has opened that socket, or where the server gives kernels none."""
        with self._replica.locked() as doc:
            return _events.participants(self._replica.people(), doc)

    def on(self, event: str, callback: Callable[..., object]) -> None:
        """Call ``callback`` when the room changes: ``"navigate"`` with the new URL, ``"field"``
        with a field's key and value when someone changes it on the room's page, ``"join"`` and
        ``"leave"`` with a participant's username. Callbacks run on the thread that received the
        change; what they raise is printed, not raised."""
        if event not in _events.EVENTS:
            raise ValueError(f"events are {', '.join(map(repr, _events.EVENTS))}, not {event!r}")
        with self._replica.locked() as doc:
            if not self._callbacks:
                self._seen = _events.look(doc, self._replica.people())
                self._replica.watch(self._changed)
            self._callbacks.append((event, callback))

    def _changed(self) -> None:
        before = self._seen
        self._seen = _events.look(self._replica.doc, self._replica.people())
        for name, args in _events.events(before, self._seen):
            for event, callback in self._callbacks:
                if event == name:
                    try:
                        callback(*args)
                    except Exception:  # a notebook's callback must not stop the room's sync
                        traceback.print_exc()

    async def wait_for(
        self,
        url: str | None = None,
        *,
        field: str | None = None,
        value: object = _ANY,
        selector: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        """Wait until the room shows ``url``, and/or the room's page has ``field`` (a key of
        ``cb.fields``) filled in (or equal to ``value``; in practice mode, anyone's own field),
        and/or an element ``selector`` (CSS)
        matches on the room's page as one of this widget's views shows it; ``TimeoutError``
        after ``timeout`` seconds, saying what the room holds instead."""
        if url is None and field is None and selector is None:
            raise ValueError("wait_for needs a url, a field, a selector or some of them")
        if selector is not None:
            _schema.check_selectors([selector])
        wanted = None if url is None else normalize_url(url)
        deadline = time.monotonic() + timeout
        while True:
            with self._replica.locked() as doc:
                now = _events.look(doc, {})
                # Practising, each participant's own fields: anyone's will do.
                forms = [now.fields]
                if _schema.field_mode(doc) == "individual":
                    forms = list(_schema.answers(doc, now.url).values()) or [{}]
            values = [form.get(field) for form in forms] if field is not None else [None]
            found = values[0] if len(values) == 1 else values
            reached = (wanted is None or now.url == wanted) and (
                field is None or any(v == value if value is not _ANY else bool(v) for v in values)
            )
            missing = ""
            if reached and selector is not None:
                missing = await self._find(selector, now.url, deadline)
                reached = not missing
            if reached:
                return
            if time.monotonic() >= deadline:
                shown = f"the room shows {now.url or 'no page'}"
                if field is not None:
                    shown += f" and {field} is {found!r}"
                raise TimeoutError(f"not reached in {timeout:g} s: {shown}{missing}")
            await asyncio.sleep(WAIT_STEP)

    async def _find(self, selector: str, url: str, deadline: float) -> str:
        """ "" when an element ``selector`` matches on page ``url`` in a view of this widget,
        else why not (as the end of a sentence)."""
        left = min(FIND_TIMEOUT, max(WAIT_STEP, deadline - time.monotonic()))
        try:
            await self._actions.start("find", selector, url, timeout=left)
        except LookupError:
            return f", where nothing matches {selector}"
        except TimeoutError:
            return ", and no view of this widget shows it"
        return ""

    def _check_lead(self, doc: Any) -> None:
        """In presenter mode only the presenter moves the room (the server refuses others)."""
        presenter = _schema.presenter(doc)
        if presenter and presenter != self._user:
            raise PermissionError(f"{presenter} is presenting: only they can move the room")

    @property
    def history(self) -> list[str]:
        """The room's shared history, oldest first."""
        with self._replica.locked() as doc:
            return _schema.history(doc)

    def back(self) -> bool:
        """Go back one page for everyone; False at the start of the history."""
        with self._replica.locked() as doc:
            self._check_lead(doc)
            return _schema.go(doc, -1)

    def reload(self) -> None:
        """Reload the page for everyone in the room."""
        with self._replica.locked() as doc:
            self._check_lead(doc)
            _schema.reload(doc)

    def forward(self) -> bool:
        """Go forward one page for everyone; False at the end of the history."""
        with self._replica.locked() as doc:
            self._check_lead(doc)
            return _schema.go(doc, 1)

    def __repr__(self) -> str:
        room = "" if self.own_room else f", room={self.room!r}"
        return f"CoBrowser({self.start_url!r}{room})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # The cell that displays the widget shows its views, and so its warnings.
        self._cell = current_request() or self._cell
        return super()._repr_mimebundle_(**kwargs)

    def _send_sync(self, message: bytes) -> None:
        content: SyncContent = {"kind": "sync"}
        self.send(content, buffers=[message])

    def _send_update(self, message: bytes) -> None:
        """A change made here goes to the room on the kernel's own socket when it is up, else
        to the views, which pass it on."""
        if self._link is None or not self._link.send(message):
            self._send_sync(message)

    def _offer_link(self, credential: str, user: str) -> None:
        """A view's pass: open the kernel's own socket to the room if the server said where
        (and none is open), then tell the views whether they still need to relay. The kernel
        acts as the user whose pass it joined with (or the first view's, without a socket)."""
        base = os.environ.get(KERNEL_ROOMS, "")
        joining = bool(base) and (self._link is None or self._link.refused)
        if joining or not self._user:
            self._user = user
            self._make_held()
        if joining:
            if self._link is not None:
                self._link.close()
            self._link = RoomLink(base, self.room, credential, self._replica, self._link_state)
            self._link.start()
        self._link_state(self._link is not None and self._link.up)

    def _link_state(self, up: bool) -> None:
        if up:
            self._room_ready()  # the replica has the room's state: held navigations may go
        if self.comm is not None:
            self.send({"kind": "link", "up": up})

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
        super().close()

    def _on_custom_msg(self, _: Any, content: Any, buffers: list[Any]) -> None:
        message = parse_message(content, buffers)
        if isinstance(message, ServerReport) and not message.ok:
            _warn_server(message.reason, self._cell)
        elif isinstance(message, RoomReady):
            self._room_ready()
        elif isinstance(message, LinkOffer):
            self._offer_link(message.credential, message.user)
        elif isinstance(message, ViewPage):
            self._actions.view_shows(message.view, message.url)
        elif isinstance(message, ActionDone):
            self._actions.answered(message.id, message.error)
        elif isinstance(message, SyncMessage):
            for reply in self._replica.receive(message.data):
                self._send_sync(reply)

    def _room_ready(self) -> None:
        with self._replica.locked() as doc:
            self._ready = True
            held, self._held = self._held, []
            for _, write in held:
                write(doc)
            self._make_held()


class Answers(dict[str, dict[str, _schema.FieldValue]]):
    """Each participant's own form fields (practice mode): username -> field key -> value."""

    def to_dataframe(self) -> Any:
        """A pandas DataFrame: a row per participant (by username), a column per field key."""
        try:
            import pandas
        except ImportError as exc:
            raise ImportError("to_dataframe needs pandas: pip install pandas") from exc
        frame = pandas.DataFrame.from_dict(self, orient="index")
        frame.index.name = "username"
        return frame


def _warn_server(reason: str, cell: dict[str, Any] | None) -> None:
    """A view could not start co-browsing (most often: Jupyter runs without the server
    extension); say why from Python too, once per process, in the ``cell`` that shows it."""
    global _server_warned
    if _server_warned:
        return
    _server_warned = True
    text = reason or "no reason given"
    with output_to(cell):
        warnings.warn(f"CoBrowser could not start co-browsing: {text}", stacklevel=2)

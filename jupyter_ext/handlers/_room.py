"""``/cobrowse/api/rooms/<name>``: the room hub's websocket."""

from __future__ import annotations

import asyncio
import logging
import time
from asyncio import Future
from collections.abc import Awaitable
from functools import partial
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import ensure_async
from pycrdt import YMessageType, YSyncMessageType
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from cobrowse_widget._shared import ROOM_NAME

from ..rooms import KernelPasses, NotAllowed, Refused, Room, RoomHub, Throttle
from ._session import AUTH_RESOURCE, participant

POLICY_VIOLATION, UNSUPPORTED_DATA, TRY_AGAIN_LATER = 1008, 1003, 1013
NOT_ALLOWED = 4403  # an update the sender's role does not allow (docs/protocol.md)
PASS_HEADER = "X-Cobrowse-Pass"
SYNC_STEP1 = bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP1])


class RoomSocket(WebSocketHandler):
    """The Yjs sync and awareness protocols for one room, for a peer its handler has identified
    (``identity``, ``read_only``, ``lead``) before the socket opens.

    Incoming messages are paced per connection (the next one is read only when the last is
    handled, so a fast sender is slowed by TCP); a peer whose unsent messages pass the room's
    bound is dropped.
    """

    def initialize(self, rooms: RoomHub, passes: KernelPasses) -> None:
        self.rooms = rooms
        self.passes = passes
        self.limits = rooms.limits
        self.room: Room | None = None
        self.room_name = ""
        self.read_only = True
        self.lead = True  # may present (in the hub service: members of presenter groups only)
        self.identity: dict[str, str] = {}  # stamped on the peer's awareness
        self.presence = True  # others' live moves are sent to this peer
        self.queued = 0  # bytes handed to write_message and not yet flushed to the socket
        self.throttle = Throttle(self.limits.messages_per_second, self.limits.bytes_per_second)

    @property
    def max_message_size(self) -> int:
        return self.limits.max_doc_message

    @property
    def log(self) -> logging.Logger:
        return self.rooms.log

    async def join_with_pass(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Open the socket for a kernel's replica, which holds no user credential but the pass
        (header ``X-Cobrowse-Pass``) a view of its widget got from the session endpoint: it
        joins as that user, with that user's permission."""
        given = self.request.headers.get(PASS_HEADER, "")
        held = self.passes.check(given, name) if given else None
        if held is None:
            raise web.HTTPError(403, "no valid kernel pass for this room")
        self.identity, self.read_only, self.lead = held.user, not held.write, held.lead
        self.presence = False  # a replica, not a participant: who is here, but no live moves
        await WebSocketHandler.get(self, name, *args, **kwargs)

    async def open(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Join the room (restored from its store first if it is new here); tornado reads
        no message before this returns."""
        super().open(*args, **kwargs)
        self.room_name = name
        self.set_nodelay(True)  # pointer updates are tiny: do not wait for Nagle + delayed ACK
        room = await self.rooms.open(name)
        if self.ws_connection is None or self.ws_connection.is_closing():
            self.rooms.leave(room, self)  # gone while the room was restored
            return
        try:
            room.join(
                self,
                self.identity,
                read_only=self.read_only,
                presence=self.presence,
                lead=self.lead,
            )
        except Refused as exc:
            self.rooms.leave(room, self)  # lets an empty room linger and go
            self.close(TRY_AGAIN_LATER, str(exc))
            return
        self.room = room

    def on_message(self, message: str | bytes) -> Awaitable[None] | None:
        """Handle a message now, or after the pause its sender's pace calls for (tornado
        reads nothing more from this socket until then)."""
        if self.room is None or isinstance(message, str):
            return None
        cost = len(message)
        if message[:2] == SYNC_STEP1:  # a few bytes that the room answers with the document
            cost += self.room.doc_size
        delay = self.throttle.delay(cost, time.monotonic())
        if delay:
            return self._handle_later(delay, message)
        self._handle(message)  # no coroutine on the common path: it costs an event-loop turn
        return None

    async def _handle_later(self, delay: float, message: bytes) -> None:
        await asyncio.sleep(delay)
        self._handle(message)

    def _handle(self, message: bytes) -> None:
        if self.room is None:
            return
        try:
            self.room.receive(self, message)
        except NotAllowed as exc:  # its copy of the room has diverged: it must start again
            self.log.warning("cobrowse: not allowed in room %s: %s", self.room_name, exc)
            self.drop(NOT_ALLOWED, str(exc)[:120])
        except Refused as exc:
            self.log.warning("cobrowse: refused in room %s: %s", self.room_name, exc)
            self.drop(POLICY_VIOLATION, str(exc))
        except Exception as exc:  # pycrdt raises several kinds on malformed input
            self.log.warning("cobrowse: bad message in room %s: %s", self.room_name, exc)
            self.drop(UNSUPPORTED_DATA, "malformed message")

    def on_close(self) -> None:
        self.leave()

    def leave(self) -> None:
        if self.room is not None:
            room, self.room = self.room, None
            self.rooms.leave(room, self)

    def drop(self, code: int, reason: str) -> None:
        """Leave the room at once and close the connection."""
        self.leave()
        self.close(code, reason)

    def send(self, message: bytes) -> None:
        """Peer interface of the room hub."""
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        if self.queued + len(message) > self.limits.max_queued_bytes:
            self.log.warning("cobrowse: dropping a peer too far behind in room %s", self.room_name)
            self.drop(TRY_AGAIN_LATER, "too far behind")
            return
        try:
            written = self.write_message(message, binary=True)
        except WebSocketClosedError:
            self.leave()
            return
        self.queued += len(message)
        written.add_done_callback(partial(self._flushed, len(message)))

    def _flushed(self, size: int, future: Future[None]) -> None:
        """A write finished; a peer that went away mid-write is handled by on_close."""
        self.queued -= size
        if future.cancelled() or isinstance(
            future.exception(), (WebSocketClosedError, StreamClosedError)
        ):
            return
        future.result()


class RoomHandler(WebSocketMixin, RoomSocket, JupyterHandler):
    """``/cobrowse/api/rooms/<name>``: a room's socket for an authenticated Jupyter user."""

    auth_resource = AUTH_RESOURCE

    @ws_authenticated
    async def get(self, name: str, *args: Any, **kwargs: Any) -> None:
        user, authorizer = self.current_user, self.authorizer
        if not await ensure_async(authorizer.is_authorized(self, user, "read", AUTH_RESOURCE)):
            raise web.HTTPError(403)
        self.read_only = not await ensure_async(
            authorizer.is_authorized(self, user, "write", AUTH_RESOURCE)
        )
        if not ROOM_NAME.match(name):
            raise web.HTTPError(400, "bad room name")
        self.identity = participant(user)
        return await super().get(name, *args, **kwargs)


class KernelRoomHandler(RoomHandler):
    """``/cobrowse/api/kernel-rooms/<name>``: the same room for a kernel's replica (see
    ``RoomSocket.join_with_pass``)."""

    @allow_unauthenticated  # the pass is the credential
    async def get(self, name: str, *args: Any, **kwargs: Any) -> None:
        await self.join_with_pass(name, *args, **kwargs)

"""``/cobrowse/api/rooms/<name>``: the room hub's websocket."""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from asyncio import Future
from collections import deque
from collections.abc import Awaitable
from functools import lru_cache
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.utils import ensure_async
from pycrdt import YMessageType, YSyncMessageType
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketHandler

from cobrowse_widget._shared import ROOM_NAME

from ..rooms import KernelPasses, NotAllowed, Refused, Room, RoomHub, Throttle
from ._session import AUTH_RESOURCE, participant

POLICY_VIOLATION, UNSUPPORTED_DATA, TRY_AGAIN_LATER = 1008, 1003, 1013
NOT_ALLOWED = 4403  # an update the sender's role does not allow (docs/protocol.md)
PASS_HEADER = "X-Cobrowse-Pass"
SYNC_STEP1 = bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP1])
BINARY = 0x82  # a whole (FIN) binary frame
WRITE_COST = 256  # bytes a pending write holds besides its data (tornado's future, our entry)


@lru_cache(maxsize=1)  # a broadcast hands the same message to every peer: framed once for all
def frame(message: bytes) -> bytes:
    """``message`` as one unmasked binary websocket frame (RFC 6455, 5.2), as a server sends
    it without compression."""
    size = len(message)
    if size < 126:
        head = struct.pack("!BB", BINARY, size)
    elif size <= 0xFFFF:
        head = struct.pack("!BBH", BINARY, 126, size)
    else:
        head = struct.pack("!BBQ", BINARY, 127, size)
    return head + message


class RoomSocket(WebSocketHandler):
    """The Yjs sync and awareness protocols for one room, for a peer its handler has identified
    (``identity``, ``read_only``, ``lead``) before the socket opens.

    Incoming messages are paced per connection (the next one is read only when the last is
    handled, so a fast sender is slowed by TCP); a peer whose unsent messages pass the room's
    bound is dropped. Messages from the room are framed once for all the peers they go to and
    written to each socket as they are, with no task or callback of their own: a room of 200
    sends each update 200 times.
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
        self._queued = 0  # bytes written to the stream and not yet flushed to the socket
        self._writes: deque[tuple[Future[None], int]] = deque()  # those writes, oldest first
        self.throttle = Throttle(self.limits.messages_per_second, self.limits.bytes_per_second)

    @property
    def max_message_size(self) -> int:
        return self.limits.max_doc_message

    def get_compression_options(self) -> None:
        """No compression: ``send`` writes frames made once for every peer."""
        return None

    @property
    def queued(self) -> int:
        """Bytes sent to this peer that its socket has not taken yet, with what each of those
        writes holds besides."""
        writes = self._writes
        while writes and writes[0][0].done():
            self._queued -= writes.popleft()[1]
        return self._queued

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
        connection = self.ws_connection
        stream = None if connection is None or connection.is_closing() else connection.stream
        if stream is None:
            return
        data = frame(message)
        cost = len(data) + WRITE_COST  # so that many tiny writes are bounded too
        if self.queued + cost > self.limits.max_queued_bytes:
            self.log.warning("cobrowse: dropping a peer too far behind in room %s", self.room_name)
            self.drop(TRY_AGAIN_LATER, "too far behind")
            return
        try:
            written = stream.write(data)
        except StreamClosedError:
            self.leave()
            return
        if not written.done():
            self._queued += cost
            self._writes.append((written, cost))


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

"""``/cobrowse/api/rooms/<name>``: the room hub's websocket."""

from __future__ import annotations

from asyncio import Future
from typing import TYPE_CHECKING, Any

from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ._api import AUTH_RESOURCE, ROOM_NAME

if TYPE_CHECKING:
    from ._app import CoBrowse
    from ._rooms import Room


class RoomHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """``/cobrowse/api/rooms/<name>``: the Yjs sync and awareness protocols for one room."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, cobrowse: CoBrowse) -> None:
        self.cobrowse = cobrowse
        self.room: Room | None = None
        self.read_only = True

    @ws_authenticated
    async def get(self, name: str, *args: Any, **kwargs: Any) -> None:
        user = self.current_user
        if not self.authorizer.is_authorized(self, user, "read", AUTH_RESOURCE):
            raise web.HTTPError(403)
        self.read_only = not self.authorizer.is_authorized(self, user, "write", AUTH_RESOURCE)
        if not ROOM_NAME.match(name):
            raise web.HTTPError(400, "bad room name")
        return await super().get(name, *args, **kwargs)

    def open(self, name: str, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self.set_nodelay(True)  # pointer updates are tiny: do not wait for Nagle + delayed ACK
        self.room = self.cobrowse.rooms.get(name)
        self.room.join(self, read_only=self.read_only)

    def on_message(self, message: str | bytes) -> None:
        if self.room is None or isinstance(message, str):
            return
        try:
            self.room.receive(self, message)
        except Exception as exc:  # pycrdt raises several kinds on malformed input
            self.log.warning("cobrowse: bad message in room %s: %s", self.room.name, exc)
            self.close(1003, "malformed message")

    def on_close(self) -> None:
        if self.room is not None:
            self.cobrowse.rooms.leave(self.room, self)
            self.room = None

    def send(self, message: bytes) -> None:
        """Peer interface of the room hub."""
        if self.ws_connection is None or self.ws_connection.is_closing():
            return
        try:
            self.write_message(message, binary=True).add_done_callback(_ignore_closed)
        except WebSocketClosedError:
            self.on_close()


def _ignore_closed(future: Future[None]) -> None:
    """A peer that went away mid-write is handled by on_close; nothing to report."""
    if not future.cancelled() and isinstance(future.exception(), StreamClosedError):
        return
    future.result()

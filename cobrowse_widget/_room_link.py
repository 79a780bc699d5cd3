"""The kernel's replica on a websocket of its own to its server's room.

Without it, every view of a widget relays every document update to the kernel over the comm,
scrolls included, and each comm message sets the kernel busy and idle for every JupyterLab page
to render. With it, the kernel syncs once, whatever number of views it has, and keeps syncing
when none is displayed. The link runs on a thread with its own event loop, so it also syncs while
a cell runs. It needs the server's address (``COBROWSE_KERNEL_ROOMS``, set by the server
extension for the kernels it starts) and a pass a view got for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from urllib.parse import quote

from pycrdt import YMessageType, YSyncMessageType, create_sync_message
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

from ._replica import Replica

PASS_HEADER = "X-Cobrowse-Pass"  # jupyter_ext.handlers.PASS_HEADER
MAX_MESSAGE = 4 * 1024 * 1024  # a whole-document sync step 2 of the largest room fits
REFUSED = (401, 403, 404)  # the pass (or the server) will not let us in: retrying is useless
NOT_ALLOWED = 4403  # the room refused an update of ours (jupyter_ext.handlers._room)


class RoomLink:
    """Keeps ``replica`` synced with room ``room`` at ``base`` (a ws(s) URL ending in "/").

    ``on_state(up)`` is called (on the link's thread) when the replica has the room's state and
    its own changes go straight to the room (True), and when that ends (False).
    """

    def __init__(
        self,
        base: str,
        room: str,
        credential: str,
        replica: Replica,
        on_state: Callable[[bool], None],
    ) -> None:
        self.url = base + quote(room, safe="")
        self.credential = credential
        self.replica = replica
        self.on_state = on_state
        self.up = False
        self.refused = False  # the server refused the pass: a view may offer a new one
        self._loop = asyncio.new_event_loop()
        self._socket: WebSocketClientConnection | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._main, name="cobrowse-room-link", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def send(self, message: bytes) -> bool:
        """Send a sync message to the room; False when the link cannot (it is not up)."""
        if not self.up:
            return False
        self._loop.call_soon_threadsafe(self._write, message)
        return True

    def close(self) -> None:
        """Stop syncing (the widget is closed)."""
        self._stopped = True
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._close_socket)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._run())
        finally:
            self._loop.close()

    async def _run(self) -> None:
        delay = 0.25
        while not self._stopped:
            request = HTTPRequest(self.url, headers={PASS_HEADER: self.credential})
            try:
                self._socket = await websocket_connect(request, max_message_size=MAX_MESSAGE)
            except HTTPClientError as exc:
                if exc.code in REFUSED:
                    self.refused = True
                    return
            except OSError:
                pass
            else:
                delay = 0.25
                await self._sync(self._socket)
                if self._socket.close_code == NOT_ALLOWED:
                    self.replica.reset()  # the room refused our copy: take the room's again
            self._set_up(False)
            if not self._stopped:
                await asyncio.sleep(delay)
                delay = min(10.0, delay * 2)

    async def _sync(self, socket: WebSocketClientConnection) -> None:
        with self.replica.locked() as doc:
            hello = create_sync_message(doc)
        await socket.write_message(hello, binary=True)
        while (message := await socket.read_message()) is not None:
            if not isinstance(message, bytes) or not message:
                continue
            if message[0] == YMessageType.AWARENESS:
                self.replica.receive_presence(message)  # who is here (cb.participants)
                continue
            if message[0] != YMessageType.SYNC:
                continue
            for reply in self.replica.receive(message):
                await socket.write_message(reply, binary=True)
            if len(message) > 1 and message[1] == YSyncMessageType.SYNC_STEP2:
                self._set_up(True)

    def _set_up(self, up: bool) -> None:
        if up != self.up:
            self.up = up
            self.on_state(up)

    def _write(self, message: bytes) -> None:
        if self._socket is not None:
            # a socket closing meanwhile: the next sync on reconnecting sends what this lost
            with contextlib.suppress(WebSocketClosedError):
                self._socket.write_message(message, binary=True)

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()

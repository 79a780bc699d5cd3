"""A y-websocket-protocol client on a real websocket, for the room hub's tests."""

from __future__ import annotations

import asyncio
from typing import Any

from pycrdt import (
    Awareness,
    Decoder,
    Doc,
    YMessageType,
    create_awareness_message,
    create_sync_message,
    handle_sync_message,
)


class Client:
    """Holds its own pycrdt doc and awareness, and answers the room as y-websocket does."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.doc = Doc()
        self.awareness = Awareness(self.doc)

    async def handshake(self) -> None:
        await self.ws.write_message(create_sync_message(self.doc), binary=True)

    async def say(self, state: dict[str, Any]) -> None:
        """Publish this client's awareness state."""
        self.awareness.set_local_state(state)
        update = self.awareness.encode_awareness_update([self.doc.client_id])
        await self.ws.write_message(create_awareness_message(update), binary=True)

    async def pump(self, until, timeout: float = 5.0) -> None:
        """Handle incoming messages until ``until()`` is true."""

        async def loop():
            while not until():
                message = await self.ws.read_message()
                assert message is not None, "room closed the socket"
                if message[0] == YMessageType.SYNC:
                    reply = handle_sync_message(message[1:], self.doc)
                    if reply is not None:
                        await self.ws.write_message(reply, binary=True)
                else:
                    update = Decoder(message[1:]).read_message()
                    self.awareness.apply_awareness_update(update, "room")

        await asyncio.wait_for(loop(), timeout)

    async def closed(self, timeout: float = 5.0) -> int | None:
        """Read until the room closes the socket; its close code."""

        async def loop():
            while await self.ws.read_message() is not None:
                pass

        await asyncio.wait_for(loop(), timeout)
        return self.ws.close_code


class Sink:
    """A room peer that keeps what the room sends it."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, message: bytes) -> None:
        self.sent.append(message)

"""Baseline for room_latency.py and sync_latency.py: a bare tornado websocket relay (every
message to every other socket), with TCP_NODELAY like the room hub. Usage: python _relay.py
PORT"""

import asyncio
import sys

from tornado import web, websocket

SOCKETS: set[websocket.WebSocketHandler] = set()


class Relay(websocket.WebSocketHandler):
    def check_origin(self, origin: str) -> bool:
        return True  # sync_latency.py's floor pages connect from a page of another port

    def open(self) -> None:
        self.set_nodelay(True)
        SOCKETS.add(self)

    def on_message(self, message: bytes | str) -> None:
        for other in SOCKETS:
            if other is not self:
                other.write_message(message, binary=True)

    def on_close(self) -> None:
        SOCKETS.discard(self)


async def main() -> None:
    web.Application([(r"/relay", Relay)]).listen(int(sys.argv[1]), "127.0.0.1")
    await asyncio.Event().wait()


asyncio.run(main())

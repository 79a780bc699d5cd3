"""Thin tornado handlers over the proxy's and the rooms' services."""

from ._proxy import ProxyHandler
from ._room import PASS_HEADER, KernelRoomHandler, RoomHandler
from ._session import SessionHandler
from ._websocket import ProxyWebSocketHandler, WebSocketUpgrade

__all__ = [
    "PASS_HEADER", "KernelRoomHandler", "ProxyHandler", "ProxyWebSocketHandler", "RoomHandler",
    "SessionHandler", "WebSocketUpgrade",
]  # fmt: skip

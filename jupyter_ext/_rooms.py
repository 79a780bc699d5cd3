"""Room hub: one pycrdt document and awareness per room, relayed between peers.

Speaks the standard Yjs sync and awareness protocols (update v1) through pycrdt; a peer is
anything with ``send(bytes)`` (the room websocket). Remote awareness updates are relayed once
to the other peers and never echoed back.
"""

from __future__ import annotations

from typing import Any, Protocol

from pycrdt import (
    Awareness,
    Decoder,
    Doc,
    TransactionEvent,
    YMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)


class Peer(Protocol):
    """One connection to a room."""

    def send(self, message: bytes) -> None: ...


class Room:
    """The shared document of one room and the peers connected to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.doc: Doc = Doc()
        self.awareness = Awareness(self.doc)
        self.awareness.set_local_state(None)  # the hub is not a participant
        self.peers: dict[Peer, set[int]] = {}
        self._sender: Peer | None = None
        self.doc.observe(self._on_update)
        self.awareness.observe(self._on_awareness)

    def join(self, peer: Peer) -> None:
        """Start syncing a new peer: ask for its state and tell it who is here."""
        self.peers[peer] = set()
        peer.send(create_sync_message(self.doc))
        present = list(self.awareness.states)
        if present:
            update = self.awareness.encode_awareness_update(present)
            peer.send(create_awareness_message(update))

    def leave(self, peer: Peer) -> None:
        """Forget a peer and tell the others its participants are gone."""
        client_ids = self.peers.pop(peer, set())
        gone = [cid for cid in client_ids if cid in self.awareness.states]
        if gone:
            self.awareness.remove_awareness_states(gone, origin=peer)
            update = self.awareness.encode_awareness_update(gone)
            self._broadcast(create_awareness_message(update), exclude=peer)

    def receive(self, peer: Peer, message: bytes) -> None:
        """Handle one protocol message from ``peer``; malformed input raises ValueError."""
        if not message:
            raise ValueError("empty message")
        kind = message[0]
        if kind == YMessageType.SYNC:
            self._sender = peer
            try:
                reply = handle_sync_message(message[1:], self.doc)
            finally:
                self._sender = None
            if reply is not None:
                peer.send(reply)
        elif kind == YMessageType.AWARENESS:
            update = Decoder(message[1:]).read_message()
            if update is None:
                raise ValueError("truncated awareness message")
            self.awareness.apply_awareness_update(update, origin=peer)
            self._broadcast(message, exclude=peer)
        else:
            raise ValueError(f"unknown message type {kind}")

    def _on_update(self, event: TransactionEvent) -> None:
        self._broadcast(create_update_message(event.update), exclude=self._sender)

    def _on_awareness(self, topic: str, args: tuple[dict[str, Any], Any]) -> None:
        changes, origin = args
        if topic == "update" and origin in self.peers:
            self.peers[origin].update(changes["added"], changes["updated"])

    def _broadcast(self, message: bytes, exclude: Peer | None) -> None:
        for peer in list(self.peers):
            if peer is not exclude:
                peer.send(message)


class RoomHub:
    """All rooms of this server, created on first join."""

    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}

    def get(self, name: str) -> Room:
        """The room called ``name``."""
        room = self.rooms.get(name)
        if room is None:
            room = self.rooms[name] = Room(name)
        return room

"""Room hub: one pycrdt document and awareness per room, relayed between peers.

Speaks the standard Yjs sync and awareness protocols (update v1) through pycrdt; a peer is
anything with ``send(bytes)`` (the room websocket). Remote awareness updates are relayed once
to the other peers and never echoed back.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from pycrdt import (
    Awareness,
    Decoder,
    Doc,
    TransactionEvent,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)


class Peer(Protocol):
    """One connection to a room."""

    def send(self, message: bytes) -> None: ...


def awareness_client_ids(update: bytes) -> list[int]:
    """The client ids an awareness update speaks for."""
    decoder = Decoder(update)
    ids = []
    for _ in range(decoder.read_var_uint()):
        ids.append(decoder.read_var_uint())
        decoder.read_var_uint()  # clock
        decoder.read_var_string()  # state
    return ids


class Room:
    """The shared document of one room and the peers connected to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.doc: Doc = Doc()
        self.awareness = Awareness(self.doc)
        self.awareness.set_local_state(None)  # the hub is not a participant
        self.peers: dict[Peer, bool] = {}  # peer -> read-only
        self.owners: dict[int, Peer] = {}  # awareness client id -> the peer that speaks for it
        self._sender: Peer | None = None
        self.doc.observe(self._on_update)

    def join(self, peer: Peer, read_only: bool = False) -> None:
        """Start syncing a new peer: ask for its state and tell it who is here."""
        self.peers[peer] = read_only
        peer.send(create_sync_message(self.doc))
        present = list(self.awareness.states)
        if present:
            update = self.awareness.encode_awareness_update(present)
            peer.send(create_awareness_message(update))

    def leave(self, peer: Peer) -> None:
        """Forget a peer and tell the others its participants are gone."""
        self.peers.pop(peer, None)
        gone = [cid for cid, owner in self.owners.items() if owner is peer]
        for cid in gone:
            del self.owners[cid]
        gone = [cid for cid in gone if cid in self.awareness.states]
        if gone:
            self.awareness.remove_awareness_states(gone, origin=peer)
            update = self.awareness.encode_awareness_update(gone)
            self._broadcast(create_awareness_message(update), exclude=peer)

    def receive(self, peer: Peer, message: bytes) -> None:
        """Handle one protocol message from ``peer``; malformed input raises."""
        if not message:
            raise ValueError("empty message")
        kind = message[0]
        read_only = self.peers.get(peer, True)
        if kind == YMessageType.SYNC:
            if read_only and message[1:2] != bytes([YSyncMessageType.SYNC_STEP1]):
                return  # a reader may catch up but not change the page
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
            ids = awareness_client_ids(update)
            if any(self.owners.setdefault(cid, peer) is not peer for cid in ids):
                raise ValueError("awareness update for another connection's participant")
            self.awareness.apply_awareness_update(update, origin=peer)
            self._broadcast(message, exclude=peer)
        else:
            raise ValueError(f"unknown message type {kind}")

    def _on_update(self, event: TransactionEvent) -> None:
        self._broadcast(create_update_message(event.update), exclude=self._sender)

    def _broadcast(self, message: bytes, exclude: Peer | None) -> None:
        for peer in list(self.peers):
            if peer is not exclude:
                peer.send(message)


class RoomHub:
    """All rooms of this server: created on first join, dropped a while after the last leaves."""

    def __init__(self, linger: float = 300.0) -> None:
        self.rooms: dict[str, Room] = {}
        self.linger = linger
        self._drops: dict[str, asyncio.TimerHandle] = {}

    def get(self, name: str) -> Room:
        """The room called ``name``."""
        drop = self._drops.pop(name, None)
        if drop is not None:
            drop.cancel()
        room = self.rooms.get(name)
        if room is None:
            room = self.rooms[name] = Room(name)
        return room

    def leave(self, room: Room, peer: Peer) -> None:
        """``peer`` left ``room``; forget the room once nobody has come back for a while."""
        room.leave(peer)
        if not room.peers and room.name not in self._drops:
            loop = asyncio.get_running_loop()
            self._drops[room.name] = loop.call_later(self.linger, self._drop, room.name)

    def _drop(self, name: str) -> None:
        self._drops.pop(name, None)
        room = self.rooms.get(name)
        if room is not None and not room.peers:
            del self.rooms[name]

"""Room hub: one pycrdt document and awareness per room, relayed between peers.

Speaks the standard Yjs sync and awareness protocols (update v1) through pycrdt; a peer is
anything with ``send(bytes)`` (the room websocket). Every frame is checked by ``_frames``
before pycrdt sees it. Remote awareness updates are relayed once to the other peers and never
echoed back, with the ``user`` of every state replaced by the sender's authenticated identity.
Live presence messages (a moving pointer or a scroll, in a few bytes) are relayed as they are,
for the participants their sender speaks for. A renewal (a state sent again unchanged, which
y-protocols does every 15 s so that others do not time it out after 30) waits up to a second to
travel with the others' in one message: 200 participants renew 13 times a second, and each
relayed alone is 199 writes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pycrdt import (
    Awareness,
    Doc,
    TransactionEvent,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    write_message,
)

from ._control import Guard
from ._frames import LIVE, AwarenessState, encode_awareness, read_awareness, read_live, read_sync
from ._store import RoomStore, StoreFactory

KiB, MiB = 1024, 1024 * 1024
EMPTY_UPDATE = b"\x00\x00"
RENEWAL_DELAY = 1.0  # seconds a renewal may wait for others (receivers time a state out at 30)
SYNC_STEP2 = bytes([YMessageType.SYNC, YSyncMessageType.SYNC_STEP2])


class Peer(Protocol):
    """One connection to a room."""

    def send(self, message: bytes) -> None: ...


class Refused(ValueError):
    """A well-formed message the room will not take (a bound, another user's participant)."""


@dataclass(frozen=True)
class RoomLimits:
    """What one room holds and what one connection may send it or make it queue."""

    max_doc_message: int = 2 * MiB  # largest frame; a whole-document sync step 2 must fit
    max_awareness_message: int = 64 * KiB
    max_live_message: int = 16 * KiB  # a pointer naming the element it entered
    max_doc_bytes: int = 1 * MiB  # the room document's encoded size
    max_awareness_bytes: int = 1 * MiB  # all awareness states of a room together
    max_peers: int = 1000  # connections to one room
    max_client_ids: int = 4  # awareness participants one connection speaks for
    max_claims: int = 64  # awareness client ids one user keeps bound in a room
    max_queued_bytes: int = 4 * MiB  # unsent bytes to one peer before it is dropped
    messages_per_second: float = 200.0  # per connection, bursts of twice as many
    bytes_per_second: float = 1 * MiB


@dataclass
class Member:
    """What the room knows about one peer."""

    user: dict[str, str]  # username, name, color: stamped on the peer's awareness states
    read_only: bool
    client_ids: set[int] = field(default_factory=set)
    presence: bool = True  # a participant, sent others' live moves (a kernel's replica is not)
    lead: bool = True  # may start presenting (in the hub service: members of presenter groups)

    @property
    def stamp(self) -> dict[str, str | bool]:
        """Who the peer is to the others, on each of its presence states: its identity, and
        whether it only reads (others do not follow a reader's scrolling or clicks)."""
        return {**self.user, "reader": True} if self.read_only else dict(self.user)


class Room:
    """The shared document of one room and the peers connected to it."""

    def __init__(
        self, name: str, limits: RoomLimits | None = None, doc: Doc[Any] | None = None
    ) -> None:
        self.name = name
        self.limits = limits or RoomLimits()
        self.doc: Doc[Any] = Doc() if doc is None else doc
        self.awareness = Awareness(self.doc)
        self.awareness.set_local_state(None)  # the hub is not a participant
        self.peers: dict[Peer, Member] = {}
        self.owners: dict[int, Peer] = {}  # awareness client id -> the peer that speaks for it
        # awareness client id -> the username that introduced it, per user in claim order
        self.claims: dict[str, dict[int, None]] = {}
        self._claimed_by: dict[int, str] = {}
        self._state_bytes: dict[int, int] = {}
        self._awareness_bytes = 0  # the sum of _state_bytes, kept as states change
        self._doc_bytes = len(self.doc.get_update())  # an upper bound, measured when crossed
        self._sender: Peer | None = None
        self._renewals: dict[int, tuple[Peer, AwarenessState]] = {}  # client id -> waiting
        self._renewing: asyncio.TimerHandle | None = None
        self.guard = Guard(self.doc)  # the room's mode and roles, enforced
        self.doc.observe(self._on_update)

    @property
    def doc_size(self) -> int:
        """About how many bytes a whole-document sync step 2 takes (an upper estimate)."""
        return self._doc_bytes

    def join(
        self,
        peer: Peer,
        user: dict[str, str],
        read_only: bool = False,
        presence: bool = True,
        lead: bool = True,
    ) -> None:
        """Start syncing a new peer: ask for its state and tell it who is here (a kernel's
        replica too, which takes no ``presence``: it is sent no live moves). A peer that may
        not ``lead`` never starts presenting; the presenter may still hand it the lead."""
        if len(self.peers) >= self.limits.max_peers:
            raise Refused("the room is full")
        self.peers[peer] = Member(user, read_only, presence=presence, lead=lead)
        peer.send(create_sync_message(self.doc))
        present = list(self.awareness.states)
        if present:
            update = self.awareness.encode_awareness_update(present)
            peer.send(create_awareness_message(update))

    def leave(self, peer: Peer) -> None:
        """Forget a peer and tell the others its participants are gone."""
        member = self.peers.pop(peer, None)
        if member is None:
            return
        for cid in member.client_ids:
            del self.owners[cid]
            self._set_state_bytes(cid, 0)
            self._renewals.pop(cid, None)
        gone = [cid for cid in member.client_ids if cid in self.awareness.states]
        if gone:
            self.awareness.remove_awareness_states(gone, origin=peer)
            update = self.awareness.encode_awareness_update(gone)
            self._broadcast(create_awareness_message(update), exclude=peer)

    def receive(self, peer: Peer, message: bytes) -> None:
        """Handle one protocol message from ``peer``; malformed input raises ValueError."""
        member = self.peers.get(peer)
        if member is None:
            return
        if not message:
            raise ValueError("empty message")
        if message[0] == YMessageType.SYNC:
            self._receive_sync(peer, member, message)
        elif message[0] == YMessageType.AWARENESS:
            self._receive_awareness(peer, member, message)
        elif message[0] == LIVE:
            self._receive_live(peer, member, message)
        else:
            raise ValueError(f"unknown message type {message[0]}")

    def _receive_sync(self, peer: Peer, member: Member, message: bytes) -> None:
        step, payload = read_sync(message)
        if step == YSyncMessageType.SYNC_STEP1:
            update = self.doc.get_update(payload)
            peer.send(SYNC_STEP2 + write_message(update))
            return
        if member.read_only or payload == EMPTY_UPDATE:
            return  # a reader may catch up but not change the page
        self._admit(len(payload))
        self.guard.check(member.user["username"], payload, lead=member.lead)
        self._sender = peer
        try:
            self.doc.apply_update(payload)
        finally:
            self._sender = None

    def _admit(self, size: int) -> None:
        """Refuse an update that could grow the document past its bound."""
        bound = self.limits.max_doc_bytes
        if self._doc_bytes + size > bound:
            self._doc_bytes = len(self.doc.get_update())
            if self._doc_bytes + size > bound:
                raise Refused("the room's document is full")
        self._doc_bytes += size

    def _receive_awareness(self, peer: Peer, member: Member, message: bytes) -> None:
        if len(message) > self.limits.max_awareness_message:
            raise Refused("awareness message too large")
        entries = read_awareness(message, self.limits.max_client_ids)
        for entry in entries:
            self._claim(peer, member, entry.client_id)
        stamped = [
            e if e.state is None else replace(e, state={**e.state, "user": member.stamp})
            for e in entries
        ]
        self._check_awareness_budget(stamped)
        states = self.awareness.states
        renewal = all(e.state is not None and states.get(e.client_id) == e.state for e in stamped)
        update = encode_awareness(stamped)
        self.awareness.apply_awareness_update(update, origin=peer)
        for e in stamped:
            state = states.get(e.client_id)
            self._set_state_bytes(e.client_id, 0 if state is None else _json_size(state))
            self._renewals.pop(e.client_id, None)  # this update supersedes a waiting renewal
        if renewal and self._renew_later(peer, stamped):
            return
        self._broadcast(create_awareness_message(update), exclude=peer)

    def _renew_later(self, peer: Peer, entries: list[AwarenessState]) -> bool:
        """Keep renewals to send with others within ``RENEWAL_DELAY``; False without an event
        loop to send them from (they go at once)."""
        if self._renewing is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return False
            self._renewing = loop.call_later(RENEWAL_DELAY, self._send_renewals)
        for e in entries:
            self._renewals[e.client_id] = (peer, e)
        return True

    def _send_renewals(self) -> None:
        """Send the waiting renewals in one message, to each peer those of the others."""
        self._renewing = None
        waiting, self._renewals = self._renewals, {}
        if not waiting:  # all superseded or gone
            return
        everyone = [e for _, e in waiting.values()]
        together = create_awareness_message(encode_awareness(everyone))
        senders = {sender for sender, _ in waiting.values()}
        for peer in list(self.peers):
            if peer not in senders:
                peer.send(together)
                continue
            others = [e for sender, e in waiting.values() if sender is not peer]
            if others:
                peer.send(create_awareness_message(encode_awareness(others)))

    def _receive_live(self, peer: Peer, member: Member, message: bytes) -> None:
        if len(message) > self.limits.max_live_message:
            raise Refused("live message too large")
        # Only for a participant of its own that the room knows (its awareness state came first
        # on the same socket); another's, or one gone, is dropped.
        if read_live(message) in member.client_ids:
            self._broadcast(message, exclude=peer, presence=True)

    def _claim(self, peer: Peer, member: Member, cid: int) -> None:
        """Bind ``cid`` to the member's user for the room's life; the same user may move it
        to a new connection, no other user may ever speak for it."""
        username = member.user["username"]
        owner = self._claimed_by.get(cid)
        if owner is not None and owner != username:
            raise Refused("awareness update for another user's participant")
        if cid not in member.client_ids and len(member.client_ids) >= self.limits.max_client_ids:
            raise Refused("too many awareness participants on one connection")
        if owner is None:
            self._bind(username, cid)
        previous = self.owners.get(cid)
        if previous is not None and previous is not peer:
            self.peers[previous].client_ids.discard(cid)
        self.owners[cid] = peer
        member.client_ids.add(cid)

    def _bind(self, username: str, cid: int) -> None:
        claims = self.claims.setdefault(username, {})
        if len(claims) >= self.limits.max_claims:
            idle = next((c for c in claims if c not in self.owners), None)
            if idle is None:
                raise Refused("too many awareness participants for one user")
            del claims[idle], self._claimed_by[idle]
            self.awareness.meta.pop(idle, None)
        claims[cid] = None
        self._claimed_by[cid] = username

    def _check_awareness_budget(self, entries: list[AwarenessState]) -> None:
        ids = {e.client_id for e in entries}
        total = self._awareness_bytes - sum(self._state_bytes.get(cid, 0) for cid in ids)
        total += sum(_json_size(e.state) for e in entries if e.state is not None)
        if total > self.limits.max_awareness_bytes:
            raise Refused("the room's awareness is full")

    def _set_state_bytes(self, cid: int, size: int) -> None:
        """Note the size of a participant's presence (0: gone), keeping the room's total."""
        self._awareness_bytes += size - self._state_bytes.pop(cid, 0)
        if size:
            self._state_bytes[cid] = size

    def _on_update(self, event: TransactionEvent) -> None:
        self._broadcast(create_update_message(event.update), exclude=self._sender)

    def _broadcast(self, message: bytes, exclude: Peer | None, presence: bool = False) -> None:
        """Send ``message`` to every peer but ``exclude`` (live moves: to those taking
        ``presence``)."""
        for peer, member in list(self.peers.items()):
            if peer is not exclude and peer in self.peers and (member.presence or not presence):
                peer.send(message)


def _json_size(state: dict[str, object]) -> int:
    return len(json.dumps(state, separators=(",", ":")))


class RoomHub:
    """All rooms of this server: created on first join, dropped a while after the last leaves.

    With a ``store`` (a factory of pycrdt stores by room name), a room is restored from its
    store when it is created and its updates are written behind it, so it outlives the server.
    ``on_drop(name)`` is called once a room is dropped, so that what belongs to it (its proxy
    session) can be released with it.
    """

    def __init__(
        self,
        linger: float = 300.0,
        limits: RoomLimits | None = None,
        on_drop: Callable[[str], None] | None = None,
        store: StoreFactory | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        self.rooms: dict[str, Room] = {}
        self.linger = linger
        self.limits = limits or RoomLimits()
        self.on_drop = on_drop
        self.store = store
        self.log = log or logging.getLogger(__name__)
        self._drops: dict[str, asyncio.TimerHandle] = {}
        self._opening: dict[str, asyncio.Task[Room]] = {}
        self._stores: dict[str, RoomStore] = {}
        self._closing: set[asyncio.Task[None]] = set()

    async def open(self, name: str) -> Room:
        """The room called ``name``, restored from the store if it is new here."""
        drop = self._drops.pop(name, None)
        if drop is not None:
            drop.cancel()
        room = self.rooms.get(name)
        if room is not None:
            return room
        opening = self._opening.get(name)
        if opening is None:  # the first of any participants joining at once restores it
            opening = self._opening[name] = asyncio.create_task(self._create(name))
            opening.add_done_callback(lambda _: self._opening.pop(name, None))
        return await asyncio.shield(opening)

    async def _create(self, name: str) -> Room:
        doc: Doc[Any] = Doc()
        if self.store is not None:
            store = RoomStore(self.store(name), self.log)
            try:
                await store.open(doc)
            except Exception:  # an unreadable store must not keep people out of the room
                self.log.exception("cobrowse: could not restore room %s; it starts empty", name)
                await store.close()
                doc = Doc()
            else:
                self._stores[name] = store
        room = self.rooms[name] = Room(name, self.limits, doc)
        if room.doc_size > self.limits.max_doc_bytes:
            self.log.warning("cobrowse: room %s was restored larger than its bound", name)
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
            store = self._stores.pop(name, None)
            if store is not None:
                closing = asyncio.create_task(store.close())
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            if self.on_drop is not None:
                self.on_drop(name)

    async def close(self) -> None:
        """Write every room's pending updates and stop their stores (the server stops)."""
        for drop in self._drops.values():
            drop.cancel()
        self._drops.clear()
        stores, self._stores = list(self._stores.values()), {}
        await asyncio.gather(*self._closing, *(store.close() for store in stores))

"""The room hub: Yjs sync and awareness between real websocket clients and pycrdt docs."""

from __future__ import annotations

import asyncio

import pytest
from pycrdt import (
    Awareness,
    Decoder,
    Doc,
    Map,
    YMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from jupyter_ext._rooms import Room, RoomHub


class Client:
    """A y-websocket-protocol client on a real websocket, holding its own pycrdt doc."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.doc = Doc()
        self.awareness = Awareness(self.doc)
        self.peers: dict[int, dict] = {}

    async def handshake(self) -> None:
        await self.ws.write_message(create_sync_message(self.doc), binary=True)

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


@pytest.fixture
def connect(jp_ws_fetch):
    async def open_client(room: str = "room-1") -> Client:
        client = Client(await jp_ws_fetch("cobrowse", "api", "rooms", room))
        await client.handshake()
        return client

    return open_client


async def test_update_reaches_the_other_participant(connect):
    alice, bob = await connect(), await connect()
    page = alice.doc.get("page", type=Map)
    captured = []
    alice.doc.observe(lambda event: captured.append(event.update))
    page["url"] = "https://example.org/"
    await alice.ws.write_message(create_update_message(captured[-1]), binary=True)
    await bob.pump(lambda: bob.doc.get("page", type=Map).get("url") == "https://example.org/")


async def test_late_joiner_gets_the_document(connect):
    alice = await connect("late")
    captured = []
    alice.doc.observe(lambda event: captured.append(event.update))
    alice.doc.get("page", type=Map)["url"] = "https://example.org/a"
    await alice.ws.write_message(create_update_message(captured[-1]), binary=True)
    await alice.pump(lambda: True)
    await asyncio.sleep(0.1)
    carol = await connect("late")
    await carol.pump(lambda: carol.doc.get("page", type=Map).get("url") == "https://example.org/a")


async def test_awareness_is_relayed_and_removed_on_leave(connect):
    alice, bob = await connect("aw"), await connect("aw")
    alice.awareness.set_local_state({"user": {"name": "Alice"}})
    update = alice.awareness.encode_awareness_update([alice.doc.client_id])
    await alice.ws.write_message(create_awareness_message(update), binary=True)
    await bob.pump(lambda: alice.doc.client_id in bob.awareness.states)
    assert bob.awareness.states[alice.doc.client_id]["user"]["name"] == "Alice"
    alice.ws.close()
    await bob.pump(lambda: alice.doc.client_id not in bob.awareness.states)


async def test_rooms_are_separate(connect):
    alice, bob = await connect("one"), await connect("two")
    captured = []
    alice.doc.observe(lambda event: captured.append(event.update))
    alice.doc.get("page", type=Map)["url"] = "https://example.org/"
    await alice.ws.write_message(create_update_message(captured[-1]), binary=True)
    with pytest.raises(asyncio.TimeoutError):
        await bob.pump(lambda: "url" in bob.doc.get("page", type=Map), timeout=0.5)


async def test_room_socket_needs_authentication(
    jp_serverapp, http_server_client, jp_http_port, jp_base_url
):
    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}cobrowse/api/rooms/x"
    with pytest.raises(HTTPClientError) as err:
        await websocket_connect(url)
    assert err.value.code == 403


class Sink:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, message: bytes) -> None:
        self.sent.append(message)


def test_awareness_is_not_echoed_to_its_sender():
    room, alice, bob = Room("r"), Sink(), Sink()
    room.join(alice)
    room.join(bob)
    alice.sent.clear()
    bob.sent.clear()
    peer = Awareness(Doc())
    peer.set_local_state({"user": {"name": "A"}})
    message = create_awareness_message(peer.encode_awareness_update([peer.client_id]))
    room.receive(alice, message)
    assert alice.sent == [] and bob.sent == [message]


@pytest.mark.parametrize("message", [b"", b"\x07\x00", b"\x01"])
def test_malformed_messages_raise_value_error(message):
    room, peer = Room("r"), Sink()
    room.join(peer)
    with pytest.raises(ValueError):
        room.receive(peer, message)


def _awareness_message(client_id: int | None = None, name: str = "A") -> tuple[bytes, int]:
    doc = Doc() if client_id is None else Doc(client_id=client_id)
    peer = Awareness(doc)
    peer.set_local_state({"user": {"name": name}})
    return create_awareness_message(peer.encode_awareness_update([peer.client_id])), doc.client_id


def test_a_peer_cannot_speak_for_another_peers_participant():
    room, alice, mallory = Room("r"), Sink(), Sink()
    room.join(alice)
    room.join(mallory)
    message, alice_id = _awareness_message(name="Alice")
    room.receive(alice, message)
    forged, _ = _awareness_message(client_id=alice_id, name="Mallory")
    with pytest.raises(ValueError, match="another connection"):
        room.receive(mallory, forged)
    room.leave(mallory)
    assert room.awareness.states[alice_id]["user"]["name"] == "Alice"


def test_a_read_only_peer_can_catch_up_but_not_write():
    room, reader = Room("r"), Sink()
    room.join(reader, read_only=True)
    writer_doc = Doc()
    captured = []
    writer_doc.observe(lambda event: captured.append(event.update))
    writer_doc.get("page", type=Map)["url"] = "https://evil.example/"
    room.receive(reader, create_update_message(captured[-1]))
    assert "url" not in room.doc.get("page", type=Map)
    room.receive(reader, create_sync_message(Doc()))
    assert reader.sent[-1][:2] == b"\x00\x01"  # it still gets sync step 2


async def test_an_empty_room_is_dropped_after_it_lingers():
    hub, peer = RoomHub(linger=0.05), Sink()
    room = hub.get("brief")
    room.join(peer)
    hub.leave(room, peer)
    assert hub.get("brief") is room  # coming back in time keeps the document
    room.join(peer)
    hub.leave(room, peer)
    await asyncio.sleep(0.2)
    assert "brief" not in hub.rooms

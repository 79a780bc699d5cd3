"""The room hub: Yjs sync and awareness between real websocket clients and pycrdt docs."""

from __future__ import annotations

import asyncio
import gc
import json
from dataclasses import replace

import pytest
from jupyter_server.auth import Authorizer
from pycrdt import (
    Awareness,
    Decoder,
    Doc,
    Map,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    write_message,
    write_var_uint,
)
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from jupyter_ext.handlers import PASS_HEADER
from jupyter_ext.handlers._session import initials_of
from jupyter_ext.rooms import _hub, freeze_start_up
from jupyter_ext.rooms._frames import LIVE, encode_awareness, read_awareness
from jupyter_ext.rooms._hub import Refused, Room, RoomHub, RoomLimits

from ._room_client import Client, Sink
from .conftest import kernel_pass
from .waiting import until


class AsyncReader(Authorizer):
    """Grants only reading co-browsing rooms; answers asynchronously, as jupyter_server allows."""

    async def is_authorized(self, handler, user, action, resource) -> bool:  # type: ignore[override]
        return resource != "cobrowse" or action == "read"


class AsyncNobody(Authorizer):
    """Grants nothing on co-browsing, answering asynchronously."""

    async def is_authorized(self, handler, user, action, resource) -> bool:  # type: ignore[override]
        return resource != "cobrowse"


@pytest.fixture
def authorizer() -> type[Authorizer] | None:
    return None


@pytest.fixture
def jp_server_config(jp_server_config, authorizer) -> dict:
    if authorizer is None:
        return jp_server_config
    return {
        **jp_server_config,
        "ServerApp": {**jp_server_config["ServerApp"], "authorizer_class": authorizer},
    }


@pytest.fixture
def connect(jp_ws_fetch):
    async def open_client(room: str = "room-1") -> Client:
        client = Client(await jp_ws_fetch("cobrowse", "api", "rooms", room))
        await client.handshake()
        return client

    return open_client


async def test_update_reaches_the_other_participant(connect):
    alice, bob = await connect(), await connect()
    await _send(alice, "url", "https://example.org/")
    await bob.pump(lambda: bob.doc.get("page", type=Map).get("url") == "https://example.org/")


async def test_late_joiner_gets_the_document(connect):
    alice = await connect("late")
    await _send(alice, "url", "https://example.org/a")
    await _step2(alice.ws)  # the answer to the handshake
    assert (await _rooms_document(alice.ws)).get("page", type=Map).get("url")  # the room has it
    carol = await connect("late")
    await carol.pump(lambda: carol.doc.get("page", type=Map).get("url") == "https://example.org/a")


async def test_awareness_is_relayed_with_the_real_name_and_removed_on_leave(connect):
    alice, bob = await connect("aw"), await connect("aw")
    await alice.say({"user": {"name": "The teacher", "color": "#000"}, "pointer": [3, 4]})
    await bob.pump(lambda: alice.doc.client_id in bob.awareness.states)
    state = bob.awareness.states[alice.doc.client_id]
    # Each token-authenticated test connection is its own anonymous Jupyter user.
    assert state["pointer"] == [3, 4]
    assert set(state["user"]) == {"username", "name", "initials", "color"}
    assert state["user"]["name"].startswith("Anonymous") and state["user"]["color"] != "#000"
    assert state["user"]["initials"] == initials_of(state["user"]["name"])
    alice.ws.close()
    await bob.pump(lambda: alice.doc.client_id not in bob.awareness.states)


async def test_rooms_are_separate(connect):
    alice, bob, alice_in_two = await connect("one"), await connect("two"), await connect("two")
    await _step2(alice.ws)  # the answer to the handshake
    await _send(alice, "url", "https://example.org/")
    assert (await _rooms_document(alice.ws)).get("page", type=Map).get("url")  # room one has it
    # A later update in room two is the marker: had room one's gone to bob, it would be before it.
    await _send(alice_in_two, "marker", "after")
    await bob.pump(lambda: bob.doc.get("page", type=Map).get("marker") == "after")
    assert "url" not in bob.doc.get("page", type=Map)


async def _send(client: Client, key: str, value: str) -> None:
    """Set ``page[key]`` in the client's document and send the update to its room."""
    captured: list[bytes] = []
    subscription = client.doc.observe(lambda event: captured.append(event.update))
    client.doc.get("page", type=Map)[key] = value
    client.doc.unobserve(subscription)
    await client.ws.write_message(create_update_message(captured[-1]), binary=True)


async def test_room_socket_needs_authentication(
    jp_serverapp, http_server_client, jp_http_port, jp_base_url
):
    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}cobrowse/api/rooms/x"
    with pytest.raises(HTTPClientError) as err:
        await websocket_connect(url)
    assert err.value.code == 403


@pytest.mark.parametrize("authorizer", [AsyncNobody])
async def test_an_async_authorizer_that_denies_reading_closes_the_room(jp_ws_fetch, authorizer):
    with pytest.raises(HTTPClientError) as err:
        await jp_ws_fetch("cobrowse", "api", "rooms", "x")
    assert err.value.code == 403


@pytest.mark.parametrize("authorizer", [AsyncReader])
async def test_an_async_authorizer_that_grants_reading_makes_a_reader(connect, authorizer):
    reader = await connect("ro")
    await _step2(reader.ws)  # the answer to the handshake
    captured = []
    reader.doc.observe(lambda event: captured.append(event.update))
    reader.doc.get("page", type=Map)["url"] = "https://evil.example/"
    await reader.ws.write_message(create_update_message(captured[-1]), binary=True)
    assert "url" not in (await _rooms_document(reader.ws)).get("page", type=Map)


async def _step2(ws) -> bytes:
    """The next sync step 2 the room sends."""
    while (message := await ws.read_message())[:2] != b"\x00\x01":
        pass
    return message


async def _rooms_document(ws) -> Doc:
    """The room's document once it has handled everything sent on ``ws`` before: messages are
    handled in order, and the answer to a fresh sync step 1 is the whole document. The caller
    has read the answers to its earlier step 1s."""
    probe = Doc()
    await ws.write_message(create_sync_message(probe), binary=True)
    handle_sync_message((await _step2(ws))[1:], probe)
    return probe


@pytest.mark.parametrize(("authorizer", "write"), [(None, True), (AsyncReader, False)])
async def test_the_session_answer_says_whether_the_user_may_write(jp_fetch, authorizer, write):
    response = await jp_fetch("cobrowse", "api", "session", method="POST", body='{"room": "p"}')
    answer = json.loads(response.body)
    assert answer["permissions"] == {"write": write, "lead": write}  # here, every writer leads
    assert answer["prefix"] and answer["user"]["username"]


@pytest.mark.parametrize("authorizer", [AsyncNobody])
async def test_the_session_needs_read_permission(jp_fetch, authorizer):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("cobrowse", "api", "session", method="POST", body='{"room": "p"}')
    assert err.value.code == 403


ALICE = {"username": "alice", "name": "Alice", "color": "#e6194b"}
MALLORY = {"username": "mallory", "name": "Mallory", "color": "#3cb44b"}


def _awareness_message(client_id: int | None = None, name: str = "A") -> tuple[bytes, int]:
    doc = Doc() if client_id is None else Doc(client_id=client_id)
    peer = Awareness(doc)
    peer.set_local_state({"user": {"name": name}, "pointer": [1, 2]})
    return create_awareness_message(peer.encode_awareness_update([peer.client_id])), doc.client_id


def _states(message: bytes) -> dict[int, dict]:
    """The awareness states a relayed message carries."""
    relay = Awareness(Doc())
    relay.apply_awareness_update(Decoder(message[1:]).read_message(), "test")
    return relay.states


def test_awareness_is_not_echoed_to_its_sender():
    room, alice, bob = Room("r"), Sink(), Sink()
    room.join(alice, ALICE)
    room.join(bob, ALICE)
    alice.sent.clear()
    bob.sent.clear()
    message, cid = _awareness_message()
    room.receive(alice, message)
    assert alice.sent == [] and len(bob.sent) == 1
    assert _states(bob.sent[0])[cid]["pointer"] == [1, 2]


def _ids(message: bytes) -> set[int]:
    return {e.client_id for e in read_awareness(message, 100)}


def _renewal(message: bytes) -> bytes:
    """The same awareness states again with each clock one higher (y-protocols' renewal)."""
    entries = [replace(e, clock=e.clock + 1) for e in read_awareness(message, 100)]
    return create_awareness_message(encode_awareness(entries))


async def test_renewals_travel_together_and_never_back_to_their_sender(monkeypatch):
    monkeypatch.setattr(_hub, "RENEWAL_DELAY", 0.05)
    room, alice, bob, carol = Room("r"), Sink(), Sink(), Sink()
    said = {}
    for peer in (alice, bob, carol):
        room.join(peer, ALICE)
        said[peer], _ = _awareness_message()
        room.receive(peer, said[peer])
    for peer in (alice, bob, carol):
        peer.sent.clear()
    room.receive(alice, _renewal(said[alice]))
    room.receive(bob, _renewal(said[bob]))
    assert alice.sent == bob.sent == carol.sent == []  # not yet
    await until(lambda: carol.sent)
    assert len(carol.sent) == len(alice.sent) == len(bob.sent) == 1
    assert _ids(carol.sent[0]) == _ids(said[alice]) | _ids(said[bob])
    assert _ids(alice.sent[0]) == _ids(said[bob])
    assert _ids(bob.sent[0]) == _ids(said[alice])


async def test_a_change_or_a_leave_cancels_a_waiting_renewal(monkeypatch):
    monkeypatch.setattr(_hub, "RENEWAL_DELAY", 0.05)
    room, alice, bob, carol = Room("r"), Sink(), Sink(), Sink()
    for peer in (alice, bob, carol):
        room.join(peer, ALICE)
    said, cid = _awareness_message()
    room.receive(alice, said)
    other, _ = _awareness_message()
    room.receive(bob, other)
    room.receive(alice, _renewal(said))
    room.receive(bob, _renewal(other))
    (entry,) = read_awareness(_renewal(_renewal(said)), 1)
    moved = replace(entry, state={**entry.state, "pointer": [5, 6]})
    room.receive(alice, create_awareness_message(encode_awareness([moved])))  # relayed at once
    assert _states(carol.sent[-1])[cid]["pointer"] == [5, 6]
    room.leave(bob)  # bob's renewal must not bring him back
    carol.sent.clear()
    await asyncio.sleep(0.2)
    assert carol.sent == []
    assert cid in room.awareness.states and len(room.awareness.states) == 1


def test_the_room_stamps_the_senders_identity_on_awareness():
    room, mallory, alice = Room("r"), Sink(), Sink()
    room.join(mallory, MALLORY)
    room.join(alice, ALICE)
    forged, cid = _awareness_message(name="The teacher")
    room.receive(mallory, forged)
    assert _states(alice.sent[-1])[cid]["user"] == MALLORY
    assert room.awareness.states[cid]["user"] == MALLORY
    late = Sink()
    room.join(late, ALICE)
    assert _states(late.sent[-1])[cid]["user"] == MALLORY


@pytest.mark.parametrize("message", [b"", b"\x07\x00", b"\x01", b"\x00\x05\x00"])
def test_malformed_messages_raise_value_error(message):
    room, peer = Room("r"), Sink()
    room.join(peer, ALICE)
    with pytest.raises(ValueError):
        room.receive(peer, message)


def test_a_peer_cannot_speak_for_another_peers_participant():
    room, alice, mallory = Room("r"), Sink(), Sink()
    room.join(alice, ALICE)
    room.join(mallory, MALLORY)
    message, alice_id = _awareness_message(name="Alice")
    room.receive(alice, message)
    forged, _ = _awareness_message(client_id=alice_id, name="Mallory")
    with pytest.raises(Refused, match="another user"):
        room.receive(mallory, forged)
    room.leave(mallory)
    assert room.awareness.states[alice_id]["user"] == ALICE


def test_a_dropped_participant_stays_bound_to_its_user():
    room, alice, mallory = Room("r"), Sink(), Sink()
    room.join(alice, ALICE)
    room.join(mallory, MALLORY)
    message, alice_id = _awareness_message()
    room.receive(alice, message)
    room.leave(alice)  # Alice's connection drops
    squat, _ = _awareness_message(client_id=alice_id)
    with pytest.raises(Refused, match="another user"):
        room.receive(mallory, squat)
    back = Sink()
    room.join(back, ALICE)
    room.receive(back, squat)  # Alice reconnects with the same client id
    assert room.owners[alice_id] is back


def test_the_same_user_takes_a_participant_over_from_a_stale_connection():
    room, old, new, bob = Room("r"), Sink(), Sink(), Sink()
    for peer in (old, new, bob):
        room.join(peer, ALICE)
    message, cid = _awareness_message()
    room.receive(old, message)
    room.receive(new, message)
    room.leave(old)  # the stale connection goes: the participant stays, now on ``new``
    assert cid in room.awareness.states and room.owners[cid] is new


def test_a_connection_speaks_for_a_bounded_number_of_participants():
    room, peer = Room("r", RoomLimits(max_client_ids=2)), Sink()
    room.join(peer, ALICE)
    for _ in range(2):
        room.receive(peer, _awareness_message()[0])
    with pytest.raises(Refused, match="too many"):
        room.receive(peer, _awareness_message()[0])


def test_a_user_keeps_a_bounded_number_of_claims():
    room = Room("r", RoomLimits(max_claims=3))
    for _ in range(10):  # a user cycling connections and client ids
        peer = Sink()
        room.join(peer, MALLORY)
        room.receive(peer, _awareness_message()[0])
        room.leave(peer)
    assert len(room.claims["mallory"]) == 3
    assert len(room.awareness.meta) <= 3 + 1  # and the hub's own entry


def test_a_read_only_peer_can_catch_up_but_not_write():
    room, reader = Room("r"), Sink()
    room.join(reader, ALICE, read_only=True)
    writer_doc = Doc()
    captured = []
    writer_doc.observe(lambda event: captured.append(event.update))
    writer_doc.get("page", type=Map)["url"] = "https://evil.example/"
    room.receive(reader, create_update_message(captured[-1]))
    assert "url" not in room.doc.get("page", type=Map)
    room.receive(reader, create_sync_message(Doc()))
    assert reader.sent[-1][:2] == b"\x00\x01"  # it still gets sync step 2


async def test_an_empty_room_is_dropped_after_it_lingers():
    dropped: asyncio.Queue[str] = asyncio.Queue()
    hub, peer = RoomHub(linger=0.05, on_drop=dropped.put_nowait), Sink()
    room = await hub.open("brief")
    room.join(peer, ALICE)
    hub.leave(room, peer)
    assert await hub.open("brief") is room  # coming back in time keeps the document
    room.join(peer, ALICE)
    hub.leave(room, peer)
    assert await asyncio.wait_for(dropped.get(), 5) == "brief"
    assert "brief" not in hub.rooms and dropped.empty()


def test_the_rooms_presence_has_a_budget_that_participants_who_leave_give_back():
    room = Room("r", RoomLimits(max_awareness_bytes=600))
    peers = [Sink() for _ in range(4)]
    for i, peer in enumerate(peers):
        room.join(peer, {"username": f"u{i}", "name": f"U{i}", "color": "#123456"})

    def presence() -> bytes:  # ~180 bytes once stamped
        awareness = Awareness(Doc())
        awareness.set_local_state({"pointer": "x" * 100})
        return create_awareness_message(awareness.encode_awareness_update([awareness.client_id]))

    for peer in peers[:3]:
        room.receive(peer, presence())
    refused = presence()
    with pytest.raises(Refused, match="awareness is full"):
        room.receive(peers[3], refused)
    room.leave(peers[0])
    room.receive(peers[3], refused)  # the space the first one held is free again
    with pytest.raises(Refused, match="awareness is full"):
        room.receive(peers[1], presence())


@pytest.mark.parametrize("authorizer", [AsyncReader])
async def test_a_readers_pass_makes_a_reader(jp_fetch, kernel_rooms, authorizer):
    credential = await kernel_pass(jp_fetch, "watch")
    request = HTTPRequest(kernel_rooms + "watch", headers={PASS_HEADER: credential})
    socket = await websocket_connect(request)
    writer = Doc()
    writer.get("page", type=Map)["url"] = "https://evil.example/"
    await socket.write_message(create_update_message(writer.get_update()), binary=True)
    probe = Doc()
    await socket.write_message(create_sync_message(probe), binary=True)
    while (message := await socket.read_message())[:2] != b"\x00\x01":
        pass
    handle_sync_message(message[1:], probe)  # the room's document after the write
    assert "url" not in probe.get("page", type=Map)
    socket.close()


def test_a_readers_presence_says_they_only_read():
    """Others follow a participant's live scrolling and tab clicks only if they may move the
    room: the stamp on a reader's presence says they may not, whatever their client claims."""
    room, writer, reader = Room("r"), Sink(), Sink()
    room.join(writer, ALICE)
    room.join(reader, MALLORY, read_only=True)
    message, cid = _awareness_message()
    room.receive(reader, message)
    assert _states(writer.sent[-1])[cid]["user"] == {**MALLORY, "reader": True}
    message, cid = _awareness_message()
    room.receive(writer, message)
    assert _states(reader.sent[-1])[cid]["user"] == ALICE


def _live(client_id: int, payload: bytes = b"\x00\x01\x02\x03\x04") -> bytes:
    return bytes([LIVE]) + write_var_uint(client_id) + write_message(payload)


def test_live_presence_is_relayed_as_sent_to_participants_only():
    room, alice, bob, kernel = Room("r"), Sink(), Sink(), Sink()
    room.join(alice, ALICE)
    room.join(bob, ALICE)
    room.join(kernel, ALICE, presence=False)
    message, cid = _awareness_message()
    room.receive(alice, message)
    assert kernel.sent[-1] == bob.sent[-1]  # who is here: a replica hears it (cb.participants)
    for peer in (alice, bob, kernel):
        peer.sent.clear()
    room.receive(alice, _live(cid))
    assert bob.sent == [_live(cid)]  # a few bytes, relayed untouched
    assert alice.sent == [] and kernel.sent == []  # not echoed; a replica is no participant


def test_live_presence_speaks_only_for_the_senders_own_participants():
    room, alice, mallory, bob = Room("r"), Sink(), Sink(), Sink()
    for peer, user in ((alice, ALICE), (mallory, MALLORY), (bob, ALICE)):
        room.join(peer, user)
    message, alice_id = _awareness_message()
    room.receive(alice, message)
    bob.sent.clear()
    room.receive(mallory, _live(alice_id))  # Alice's pointer, moved by Mallory
    room.receive(mallory, _live(12345))  # a participant the room has not seen
    assert bob.sent == []


@pytest.mark.parametrize(
    "message",
    [bytes([LIVE]), bytes([LIVE, 1, 5, 0]), bytes([LIVE, 1, 1, 0, 9]), bytes([LIVE, 0xFF] * 11)],
)
def test_malformed_live_messages_raise_value_error(message):
    room, peer = Room("r"), Sink()
    room.join(peer, ALICE)
    with pytest.raises(ValueError):
        room.receive(peer, message)


def test_a_live_message_has_a_bound():
    room, peer = Room("r", RoomLimits(max_live_message=64)), Sink()
    room.join(peer, ALICE)
    message, cid = _awareness_message()
    room.receive(peer, message)
    room.receive(peer, _live(cid, b"x" * 50))
    with pytest.raises(Refused, match="live message too large"):
        room.receive(peer, _live(cid, b"x" * 64))


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("Ada Lovelace", "AL"),
        ("ada", "A"),
        ("Anonymous Io", "AI"),
        ("  ", ""),
        ("jean luc picard", "JL"),
    ],
)
def test_initials_are_the_first_letters_of_two_words(name, initials):
    assert initials_of(name) == initials


def test_start_up_objects_are_kept_out_of_full_collections():
    made_at_start_up: list[object] = []  # a container: the collector tracks it
    try:
        assert freeze_start_up() == gc.get_freeze_count() > 0
        assert not any(o is made_at_start_up for o in gc.get_objects())  # walks skip it
    finally:
        gc.unfreeze()
    assert any(o is made_at_start_up for o in gc.get_objects())

"""Bounds on what a room peer can make the server hold: message sizes, per-peer queues, rates,
the document's size, and quiet handling of peers that vanish mid-write."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from jupyter_server.utils import url_path_join
from pycrdt import Doc, Map, create_sync_message, create_update_message

from jupyter_ext.handlers._room import RoomHandler, frame
from jupyter_ext.rooms import KernelPasses
from jupyter_ext.rooms._hub import KiB, MiB, RoomHub, RoomLimits
from jupyter_ext.rooms._throttle import Bucket, Throttle

from ._room_client import Client
from .waiting import until

FAST = {"messages_per_second": 1e6, "bytes_per_second": 1e12}  # rates out of the way


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.fixture
def mount(jp_serverapp, jp_base_url, jp_ws_fetch):
    """Serve a room hub with the given limits on its own route; returns it and a connector."""
    count = iter(range(1000))

    def serve(**limits) -> tuple[RoomHub, object]:
        hub, path = RoomHub(linger=60, limits=RoomLimits(**limits)), f"rooms-test-{next(count)}"
        pattern = url_path_join(jp_base_url, path, "([^/]+)")
        jp_serverapp.web_app.add_handlers(
            ".*$", [(pattern, RoomHandler, {"rooms": hub, "passes": KernelPasses()})]
        )

        async def connect(room: str = "r", handshake: bool = True) -> Client:
            client = Client(await jp_ws_fetch(path, room))
            if handshake:
                await client.handshake()
            return client

        return hub, connect

    return serve


async def test_peers_that_never_read_are_dropped(mount):
    hub, connect = mount(max_queued_bytes=512 * KiB, **FAST)
    silent = [await connect(handshake=False) for _ in range(3)]  # they never read
    sender = await connect()
    room = hub.rooms["r"]
    before = _rss()
    for i in range(2000):  # 60 KiB awareness updates, each relayed to the three
        await sender.say({"pad": "x" * 60_000, "i": i})
        if len(room.peers) == 1:
            break
    await until(lambda: len(room.peers) == 1)
    after = _rss()
    print(f"RSS {before / MiB:.0f} -> {after / MiB:.0f} MB after {i + 1} messages")
    assert after - before < 64 * MiB
    for client in silent:
        assert await client.closed() == 1013


async def test_a_peer_that_never_reads_holds_up_no_one(mount):
    hub, connect = mount(max_queued_bytes=512 * KiB, **FAST)
    silent, reader, sender = await connect(handshake=False), await connect(), await connect()
    room = hub.rooms["r"]
    mine = sender.doc.client_id
    for i in range(1000):  # 60 KiB awareness updates, until the silent peer is dropped
        await sender.say({"pad": "x" * 60_000, "i": i})
        await reader.pump(lambda i=i: reader.awareness.states.get(mine, {}).get("i") == i, 5.0)
        if len(room.peers) == 2:
            break
    assert len(room.peers) == 2
    assert await silent.closed() == 1013


@pytest.mark.parametrize(
    ("size", "head"),
    [
        (0, b"\x82\x00"),
        (125, b"\x82\x7d"),
        (126, b"\x82\x7e\x00\x7e"),
        (65_535, b"\x82\x7e\xff\xff"),
        (65_536, b"\x82\x7f" + (65_536).to_bytes(8, "big")),
    ],
)
def test_a_message_is_framed_as_rfc_6455_says(size, head):
    message = b"m" * size
    assert frame(message) == head + message


@pytest.mark.parametrize("size", [0, 1000, 70_000])  # 7-, 16- and 64-bit frame lengths
async def test_messages_of_every_frame_length_arrive_whole(mount, size):
    """The room frames a message itself, once for all its receivers."""
    _, connect = mount(**FAST)
    writer, reader = await connect(), await connect()
    updates: list[bytes] = []
    writer.doc.observe(lambda event: updates.append(event.update))
    writer.doc.get("page", type=Map)["text"] = "x" * size
    await writer.ws.write_message(create_update_message(updates[-1]), binary=True)
    page = reader.doc.get("page", type=Map)
    await reader.pump(lambda: page.get("text") == "x" * size)


async def test_oversized_messages_close_the_socket(mount):
    _, connect = mount()
    aware, doc = await connect(), await connect()
    await aware.say({"pad": "x" * (64 * KiB)})  # an awareness state past 64 KiB
    assert await aware.closed() == 1008
    await doc.ws.write_message(b"\x00\x02" + b"\x00" * (2 * MiB + 1), binary=True)
    assert await doc.closed() == 1009  # refused by tornado before it is buffered whole


async def test_the_document_has_a_bounded_size(mount):
    hub, connect = mount(max_doc_bytes=32 * KiB, **FAST)
    writer = await connect()
    updates: list[bytes] = []
    writer.doc.observe(lambda event: updates.append(event.update))
    page = writer.doc.get("page", type=Map)
    for i in range(8):
        page[f"k{i}"] = "x" * (8 * KiB)
        await writer.ws.write_message(create_update_message(updates[-1]), binary=True)
    assert await writer.closed() == 1008
    assert len(hub.rooms["r"].doc.get_update()) <= 32 * KiB


async def test_a_peer_is_paced(mount):
    _, connect = mount(messages_per_second=50, bytes_per_second=1e12)
    peer = await connect()
    start = time.monotonic()
    for _ in range(150):  # a burst of 100 is let through at once, then 50 a second
        await peer.ws.write_message(create_sync_message(Doc()), binary=True)
    answers = 0
    while answers < 151:  # one for the handshake, one for each step 1
        message = await peer.ws.read_message()
        answers += message[:2] == b"\x00\x01"
    assert time.monotonic() - start >= 0.9


async def test_dropping_a_peer_with_pending_writes_logs_no_traceback(mount, caplog):
    hub, connect = mount(**FAST)
    silent, sender = await connect(handshake=False), await connect()
    room = hub.rooms["r"]
    await sender.say({"pad": "x"})
    await until(lambda: sender.doc.client_id in room.owners)
    receiver = next(p for p in room.peers if p is not room.owners[sender.doc.client_id])
    for i in range(2000):  # until writes to the silent peer are pending
        await sender.say({"pad": "x" * 60_000, "i": i})
        await asyncio.sleep(0)  # one turn of the loop: the room relays what it was sent
        if receiver.queued:
            break
    assert receiver.queued
    caplog.clear()
    silent.ws.protocol.stream.close()  # the peer's machine goes away
    await until(lambda: receiver not in room.peers and receiver.queued == 0)
    await sender.say({"pad": "after"})
    await until(lambda: room.awareness.states[sender.doc.client_id]["pad"] == "after")
    tracebacks = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert tracebacks == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_bucket_admits_a_burst_then_paces():
    bucket = Bucket(rate=10, burst=20)
    assert [bucket.take(1, 0.0) for _ in range(20)] == [0.0] * 20
    assert bucket.take(1, 0.0) == pytest.approx(0.1)
    assert bucket.take(1, 1.0) == 0.0  # refilled by ten a second, in debt by one


def test_a_large_message_is_admitted_then_paid_for():
    throttle = Throttle(messages_per_second=100, bytes_per_second=1000)
    assert throttle.delay(500, 0.0) == 0.0
    assert throttle.delay(3000, 0.0) == pytest.approx(1.5)


async def test_asking_for_the_document_again_and_again_is_paced(mount):
    """A sync step 1 is a few bytes the room answers with its whole document: it is paced as if
    it cost the document's size, so one connection cannot make the server send gigabytes."""
    hub, connect = mount(bytes_per_second=1 * MiB)
    writer = await connect()
    update: list[bytes] = []
    writer.doc.observe(lambda event: update.append(event.update))
    writer.doc.get("page", type=Map)["blob"] = "x" * (300 * KiB)
    await writer.ws.write_message(create_update_message(update[-1]), binary=True)
    await until(lambda: hub.rooms["r"].doc_size > 300 * KiB)
    asker = await connect()
    start = time.monotonic()
    for _ in range(12):  # 3.6 MB of answers: 2 MiB of burst, then 1 MiB a second
        await asker.ws.write_message(create_sync_message(Doc()), binary=True)
    answers = 0
    while answers < 12:
        message = await asyncio.wait_for(asker.ws.read_message(), 10)
        answers += message[:2] == b"\x00\x01"
    assert time.monotonic() - start > 1.0

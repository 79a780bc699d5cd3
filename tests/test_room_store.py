"""Rooms kept across restarts in pycrdt's SQLite store: restored on the first join, written
behind the room, bounded, and never in the way when the store fails."""

from __future__ import annotations

import asyncio
import sqlite3
import urllib.parse
from pathlib import Path

from pycrdt import Doc, create_update_message
from pycrdt.store import SQLiteYStore
from tornado.websocket import websocket_connect

from cobrowse_widget._schema import current_url, navigate
from jupyter_ext.rooms import RoomHub

from ._room_client import Client, Sink
from .browser.lab import running_lab
from .waiting import until

ALICE = {"username": "alice", "name": "Alice", "color": "#336699"}


def sqlite_stores(db: Path):
    def make(name: str) -> SQLiteYStore:
        store = SQLiteYStore(name)
        store.db_path = str(db)
        return store

    return make


def update_of(change) -> bytes:
    """The y-sync update message of ``change`` made on a new participant's document."""
    doc, updates = Doc(), []
    doc.observe(lambda event: updates.append(event.update))
    change(doc)
    return create_update_message(updates[-1])


def rows(db: Path, room: str) -> int:
    """The rows stored for ``room`` (0 while the store is still creating its tables)."""
    with sqlite3.connect(db) as conn:
        try:
            query = "SELECT count(*) FROM yupdates WHERE path = ?"
            return conn.execute(query, (room,)).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


async def test_a_room_is_restored_from_its_store_after_the_hub_stops(tmp_path: Path) -> None:
    db, peer = tmp_path / "rooms.db", Sink()
    hub = RoomHub(store=sqlite_stores(db))
    room = await hub.open("web-101")
    room.join(peer, ALICE)
    room.receive(peer, update_of(lambda doc: navigate(doc, "https://example.org/lesson")))
    await hub.close()

    again = RoomHub(store=sqlite_stores(db))
    restored = await again.open("web-101")
    assert restored is not room and current_url(restored.doc) == "https://example.org/lesson"
    assert current_url((await again.open("other")).doc) == ""  # rooms are kept apart
    await again.close()


async def test_a_burst_of_updates_is_written_as_a_few_rows(tmp_path: Path) -> None:
    """Updates that arrive while a write is under way are merged into the next one: a
    participant's scrolling costs the disk a row per write interval, not one per update."""
    db, peer = tmp_path / "rooms.db", Sink()
    hub = RoomHub(store=sqlite_stores(db))
    room = await hub.open("r")
    room.join(peer, ALICE)
    for i in range(300):
        room.receive(peer, update_of(lambda doc, i=i: navigate(doc, f"https://example.org/{i}")))
    await hub.close()
    assert rows(db, "r") <= 3
    again = RoomHub(store=sqlite_stores(db))
    assert current_url((await again.open("r")).doc) in {
        f"https://example.org/{i}" for i in range(300)
    }
    assert (await again.open("r")).doc.get_update() == room.doc.get_update()
    await again.close()


async def test_participants_joining_at_once_share_one_restored_room(tmp_path: Path) -> None:
    hub = RoomHub(store=sqlite_stores(tmp_path / "rooms.db"))
    rooms = await asyncio.gather(*(hub.open("r") for _ in range(5)))
    assert all(room is rooms[0] for room in rooms) and len(hub._stores) == 1
    await hub.close()


async def test_a_store_that_cannot_be_read_leaves_the_room_empty_and_usable(
    tmp_path: Path, caplog
) -> None:
    (tmp_path / "rooms.db").mkdir()  # a directory where the SQLite file should be
    hub, peer = RoomHub(store=sqlite_stores(tmp_path / "rooms.db")), Sink()
    room = await hub.open("r")
    room.join(peer, ALICE)
    room.receive(peer, update_of(lambda doc: navigate(doc, "https://example.org/")))
    assert current_url(room.doc) == "https://example.org/"
    assert "could not restore room r" in caplog.text
    await hub.close()


async def test_a_dropped_room_is_written_and_comes_back_from_the_store(tmp_path: Path) -> None:
    db, peer = tmp_path / "rooms.db", Sink()
    dropped: asyncio.Queue[str] = asyncio.Queue()
    hub = RoomHub(linger=0.01, store=sqlite_stores(db), on_drop=dropped.put_nowait)
    room = await hub.open("r")
    room.join(peer, ALICE)
    room.receive(peer, update_of(lambda doc: navigate(doc, "https://example.org/kept")))
    hub.leave(room, peer)
    await asyncio.wait_for(dropped.get(), 5)
    await until(lambda: not hub._closing)
    assert current_url((await hub.open("r")).doc) == "https://example.org/kept"
    await hub.close()


async def test_a_server_restart_keeps_a_room_when_the_store_is_configured(tmp_path: Path) -> None:
    """A spawned Jupyter server with ``room_store_class`` set: a room's page survives the
    server's restart and reaches a participant who joins afterwards."""
    db = tmp_path / "store" / "rooms.db"
    settings = (
        "--CoBrowse.room_store_class=pycrdt.store.SQLiteYStore",
        f"--CoBrowse.room_store_path={db}",
    )
    with running_lab(tmp_path, [], [], *settings) as lab:
        url = lab.url.replace("http", "ws") + "/cobrowse/api/rooms/restart-me?"
        url += urllib.parse.urlencode({"token": lab.token})
        writer = Client(await websocket_connect(url))
        await writer.handshake()
        await writer.pump(lambda: True, timeout=5)
        navigate(writer.doc, "https://example.org/after-restart")
        update = writer.doc.get_update()
        await writer.ws.write_message(create_update_message(update), binary=True)
        await until(lambda: db.exists() and rows(db, "restart-me") > 0)
        writer.ws.close()
        lab.restart()
        reader = Client(await websocket_connect(url))
        await reader.handshake()
        await reader.pump(lambda: current_url(reader.doc) == "https://example.org/after-restart")
        reader.ws.close()

"""The app's seams: the classes that keep rooms, their stores and proxy sessions are settings,
so that a later backplane or store replaces them without touching the handlers."""

from __future__ import annotations

from pycrdt.store import SQLiteYStore

from jupyter_ext.proxy import SessionStore
from jupyter_ext.rooms import RoomHub

from .conftest import server_config


class SharedHub(RoomHub):
    """A room hub as a backplane would subclass it."""


class KeptSessions(SessionStore):
    """A session store as a persistent one would subclass it."""


async def test_the_room_hub_and_session_store_are_settings(jp_configurable_serverapp):
    config = server_config(
        room_hub_class=f"{__name__}.SharedHub", session_store_class=f"{__name__}.KeptSessions"
    )
    app = jp_configurable_serverapp(config=config)
    cobrowse = app.extension_manager.extension_apps["jupyter_ext"].pop()
    assert type(cobrowse.rooms) is SharedHub
    assert type(cobrowse.sessions) is KeptSessions
    assert cobrowse.proxy.sessions is cobrowse.sessions  # what the proxy handlers are given


class MemoryStore(SQLiteYStore):
    """A room store as a deployment would pick one."""


async def test_the_room_store_is_a_setting_with_its_bounds(jp_configurable_serverapp, tmp_path):
    db = tmp_path / "kept" / "rooms.db"
    config = server_config(
        room_store_class=f"{__name__}.MemoryStore",
        room_store_path=str(db),
        room_store_max_size=5.0,
        room_store_squash_after=30.0,
    )
    app = jp_configurable_serverapp(config=config)
    cobrowse = app.extension_manager.extension_apps["jupyter_ext"].pop()
    assert cobrowse.rooms.store is not None
    store = cobrowse.rooms.store("web-101")
    assert type(store) is MemoryStore and store.path == "web-101"
    assert (store.db_path, store.cleanup_when_db_size_above) == (str(db), 5.0)
    assert store.squash_after_inactivity_of == 30 and db.parent.is_dir()


async def test_rooms_are_kept_in_memory_only_unless_a_store_is_set(jp_serverapp):
    cobrowse = jp_serverapp.extension_manager.extension_apps["jupyter_ext"].pop()
    assert cobrowse.rooms.store is None

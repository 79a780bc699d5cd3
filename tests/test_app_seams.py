"""The app's seams: the classes that keep rooms and proxy sessions are settings, so that a
later backplane or store replaces them without touching the handlers."""

from __future__ import annotations

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

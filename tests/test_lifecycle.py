"""Rooms come and go (every re-run of a cell makes one): what they held goes with them."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import os
from pathlib import Path

import pytest
from pycrdt import Doc, create_sync_message

from .conftest import as_browser, get, proxied, server_config
from .waiting import until

ROOMS = 150
MB = 1_000_000
STYLE = "/cacheable?type=text/css&cc=max-age%3D600&pad=1000000"  # 1 MB, kept by the room cache


@pytest.fixture
def jp_server_config() -> dict:
    # A large server budget, so that only the rooms' end frees what they keep.
    return server_config(room_linger=0.05, server_cache_size=1024 * 1024 * 1024)


async def test_dropped_rooms_give_back_their_memory(
    jp_serverapp, jp_fetch, jp_ws_fetch, http_server_client, origin, browser_pass
):
    """Hundreds of rooms each load a page and a 1 MB style sheet (kept in the room's cache) and are
    left: once they are dropped, their sessions, caches and the memory they held are gone."""
    if not Path("/proc/self/statm").exists():
        pytest.skip("reads resident memory from /proc")
    cobrowse = jp_serverapp.extension_manager.extension_apps["jupyter_ext"].pop()
    kept = cobrowse.sessions.kept

    async def visit(room: str):
        socket = await jp_ws_fetch("cobrowse", "api", "rooms", room)
        await socket.write_message(create_sync_message(Doc()), binary=True)
        answer = await jp_fetch(
            "cobrowse", "api", "session", method="POST", body=json.dumps({"room": room})
        )
        for header in answer.headers.get_list("Set-Cookie"):
            browser_pass["Cookie"] = header.split(";", 1)[0]
        entry = json.loads(answer.body)["prefix"]
        moved = await get(
            http_server_client,
            proxied(entry, origin.url("/page")),
            headers=as_browser({"Sec-Fetch-Mode": "navigate"}, browser_pass),
            follow_redirects=False,
        )
        site = moved.headers["Location"].split("/http/", 1)[0] + "/"
        style = await get(
            http_server_client,
            proxied(site, origin.url(STYLE)),
            headers={"Sec-Fetch-Mode": "no-cors"},
        )
        assert style.code == 200 and len(style.body) > 1_000_000
        return socket

    def all_dropped() -> bool:
        return not cobrowse.rooms.rooms and not len(cobrowse.sessions)

    (await visit("warm-up")).close()  # imports, pools and first-use caches are not measured
    await until(all_dropped)
    before = resident()
    sockets = []
    for batch in range(ROOMS // 20):
        sockets += await asyncio.gather(*(visit(f"room-{batch}-{i}") for i in range(20)))
    peak_kept, peak = kept.used, resident()
    for socket in sockets:  # everyone leaves
        socket.close()
    del sockets
    await until(all_dropped, timeout=5)
    after = resident()
    print(f"kept at peak {peak_kept / MB:.0f} MB; resident {before / MB:.0f} MB before, "
          f"{peak / MB:.0f} MB with {ROOMS} rooms, {after / MB:.0f} MB after")  # fmt: skip
    assert peak_kept > 0.9 * ROOMS * MB  # the rooms did keep their style sheets...
    assert kept.used == 0 and len(kept) == 0  # ...and gave them back
    assert after - before < 0.15 * (peak - before)


def resident() -> int:
    """This process's resident memory in bytes, after a collection and after giving freed
    heap pages back to the system (glibc keeps them otherwise)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")

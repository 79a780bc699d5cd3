"""The kernel's replica on a socket of its own: a view's pass lets it join its room as that
user, it syncs both ways without any view relaying, it gets no presence, and a pass is good for
one room only."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pycrdt import (
    Awareness,
    Doc,
    Map,
    create_awareness_message,
    create_update_message,
)
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from cobrowse_widget import _schema
from cobrowse_widget._replica import Replica
from cobrowse_widget._room_link import PASS_HEADER, RoomLink
from cobrowse_widget._shared import KERNEL_ROOMS
from jupyter_ext.handlers import PASS_HEADER as SERVER_PASS_HEADER
from jupyter_ext.rooms import Room

from ._room_client import Client, Sink
from .conftest import kernel_pass
from .waiting import until


def test_the_kernel_and_the_server_name_the_pass_header_alike() -> None:
    assert PASS_HEADER == SERVER_PASS_HEADER


async def test_the_extension_tells_its_kernels_where_the_rooms_are(kernel_rooms, jp_fetch):
    await jp_fetch("api", "status")  # the server's loop has run the extension's callback
    await until(lambda: os.environ.get(KERNEL_ROOMS) == kernel_rooms)


async def test_a_kernels_replica_syncs_both_ways_on_its_own_socket(
    jp_fetch, jp_ws_fetch, kernel_rooms
):
    credential = await kernel_pass(jp_fetch, "linked")
    browser = Client(await jp_ws_fetch("cobrowse", "api", "rooms", "linked"))
    await browser.handshake()
    _schema.navigate(browser.doc, "https://example.org/first")
    await browser.ws.write_message(create_update_message(browser.doc.get_update()), binary=True)

    states: list[bool] = []
    replica = Replica(lambda message: None)
    link = RoomLink(kernel_rooms, "linked", credential, replica, states.append)
    replica_send = link.send
    replica._send = lambda message: replica_send(message)
    link.start()
    try:
        await until(lambda: states == [True])
        with replica.locked() as doc:
            assert _schema.current_url(doc) == "https://example.org/first"
            _schema.navigate(doc, "https://example.org/from-python")
        await browser.pump(
            lambda: _schema.current_url(browser.doc) == "https://example.org/from-python"
        )
        await browser.say({"pointer": [1, 2]})  # presence is not sent to the kernel's socket
        _schema.navigate(browser.doc, "https://example.org/third")
        update = browser.doc.get_update()
        await browser.ws.write_message(create_update_message(update), binary=True)

        def followed() -> bool:
            with replica.locked() as doc:
                return _schema.current_url(doc) == "https://example.org/third"

        await until(followed)
    finally:
        link.close()
    await until(lambda: states == [True, False])


async def test_a_pass_is_for_its_room_and_nothing_else(jp_fetch, kernel_rooms):
    credential = await kernel_pass(jp_fetch, "mine")

    async def join(room: str, given: str | None) -> Any:
        headers = {PASS_HEADER: given} if given is not None else {}
        return await websocket_connect(HTTPRequest(kernel_rooms + room, headers=headers))

    socket = await join("mine", credential)
    assert (await socket.read_message())[:2] == b"\x00\x00"  # the room's sync step 1
    socket.close()
    for room, given in [("other", credential), ("mine", "forged"), ("mine", None)]:
        with pytest.raises(HTTPClientError) as err:
            await join(room, given)
        assert err.value.code == 403


def test_a_replica_gets_the_document_and_who_is_here() -> None:
    """The kernel hears the room's document and its participants' states (cb.participants),
    never their live moves (tests/test_rooms.py)."""
    room, person, replica = Room("r"), Sink(), Sink()
    room.join(person, {"username": "a", "name": "A", "color": "#123456"})
    room.join(replica, {"username": "a", "name": "A", "color": "#123456"}, presence=False)
    awareness = Awareness(Doc())
    awareness.set_local_state({"pointer": [1, 2]})
    update = awareness.encode_awareness_update([awareness.client_id])
    room.receive(person, create_awareness_message(update))
    writer = Doc()
    writer.get("page", type=Map)["url"] = "https://example.org/"
    room.receive(person, create_update_message(writer.get_update()))
    kinds = [message[0] for message in replica.sent]
    assert kinds == [0, 1, 0]  # the room's sync step 1, who is here, then the update

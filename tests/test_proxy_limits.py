"""The proxy's bounds on what a page, a participant or a capability holder controls: request
bodies, pages read whole to be rewritten, the server's bytes in flight, streams nobody reads."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from jupyter_ext.proxy import _exchange

from .conftest import ORIGIN_HOST, get, proxied, server_config
from .waiting import until

KIB = 1024


@pytest.fixture
def jp_server_config() -> dict:
    return server_config(
        max_request_size=64 * KIB,
        max_page_size=1024 * KIB,
        page_timeout=0.5,
        max_concurrent_requests=2,
        in_flight_size=3 * 1024 * KIB,
    )


@pytest.fixture
def cobrowse(jp_serverapp):
    return jp_serverapp.extension_manager.extension_apps["jupyter_ext"].pop()


async def test_request_bodies_are_limited(open_session, origin, site_prefix, http_server_client):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    url = proxied(prefix, origin.url("/methods"))
    fits = await get(http_server_client, url, method="POST", body="a" * (64 * KIB))
    assert fits.code == 200
    big = await get(http_server_client, url, method="POST", body="a" * (64 * KIB + 1))
    assert big.code == 413 and b"limited to 65536 bytes" in big.body
    assert origin.requests[-1]["_method"] == "POST" and len(origin.requests) == 1
    # document.cookie assignments: a few KiB at most, whatever the general limit.
    cookie = await get(
        http_server_client, f"{prefix}_/cookie?url={origin.url('/')}", method="POST",
        body="a=" + "b" * (9 * KIB),
    )  # fmt: skip
    assert cookie.code == 413


async def test_a_chunked_upload_stops_at_the_limit(
    open_session, origin, site_prefix, jp_http_port, cobrowse
):
    """Without a Content-Length the body is cut off where the limit is, not buffered whole."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    path = proxied(prefix, origin.url("/methods"))
    reader, writer = await asyncio.open_connection("127.0.0.1", jp_http_port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    )
    chunk = b"x" * (16 * KIB)
    try:
        for _ in range(64):  # 1 MiB offered
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
    except ConnectionError:
        pass
    try:
        answer = await asyncio.wait_for(reader.read(), 5)
    except ConnectionError:  # the server hung up on the rest of the body
        answer = b""
    assert b" 200 " not in answer.split(b"\r\n", 1)[0]
    assert not [r for r in origin.requests if r["_method"] == "POST"]
    assert cobrowse.in_flight.used == 0
    writer.close()


async def test_a_page_larger_than_the_limit_is_refused(open_session, origin, fetch_proxied):
    prefix = await open_session()
    response = await fetch_proxied(proxied(prefix, origin.url("/big.html")))  # 2.1 MB of HTML
    assert response.code == 502
    assert "larger than the 1048576 bytes" in response.body.decode()


async def test_a_trickling_page_gives_its_slot_back(open_session, origin, fetch_proxied, cobrowse):
    """A page whose body never finishes cannot hold the room's upstream slots: after
    page_timeout it fails, and the room's other pages load."""
    prefix = await open_session("trickle")
    trickles = [fetch_proxied(proxied(prefix, origin.url("/trickle"))) for _ in range(3)]
    done = await asyncio.wait_for(asyncio.gather(*trickles), 10)
    assert [r.code for r in done] == [504, 504, 504]
    assert "did not answer in time" in done[0].body.decode()
    page = await fetch_proxied(proxied(prefix, origin.url("/page")))
    assert page.code == 200
    assert cobrowse.in_flight.used == 0


async def test_pages_in_flight_share_one_budget(open_session, origin, fetch_proxied, cobrowse):
    """Pages being read whole and rewritten count against one server-wide budget: past it a
    request is refused (503) instead of the server's memory growing."""
    prefix = await open_session("busy")
    assert cobrowse.in_flight.take(2 * 1024 * KIB + 512 * KIB)  # other rooms' pages
    try:
        busy = await fetch_proxied(proxied(prefix, origin.url("/legacy")))
        assert busy.code == 200  # a small page still fits
        cobrowse.in_flight.take(512 * KIB - 100)
        refused = await fetch_proxied(proxied(prefix, origin.url("/page")))
        assert refused.code == 503 and "busy" in refused.body.decode()
    finally:
        cobrowse.in_flight.give_back(cobrowse.in_flight.used)


async def test_a_browser_that_stops_reading_is_cut_off(
    open_session, origin, site_prefix, jp_http_port, cobrowse, monkeypatch
):
    """A streamed answer nobody reads gives back its upstream connection and stream count."""
    monkeypatch.setattr(_exchange, "STALL", 0.5)
    prefix = await site_prefix(await open_session("stall"), origin.url("/"))
    session = cobrowse.sessions.find(prefix.rstrip("/").rsplit("/", 1)[1]).session
    sock = socket.create_connection(("127.0.0.1", jp_http_port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    path = proxied(prefix, origin.url("/endless"))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    all_streams = 2 * cobrowse.max_concurrent_requests
    # The site streams first; the proxy counts the stream once the answer's headers are in.
    await until(lambda: all_streams - session.open_streams._value == 1)
    assert origin.open_streams == 1
    await until(lambda: not origin.open_streams)  # never read: the proxy gives up after STALL
    assert session.open_streams._value == all_streams
    sock.close()


async def _raw_get(port: int, path: str) -> socket.socket:
    """A request from a client that never reads its answer."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


async def test_streams_past_the_rooms_share_are_refused_not_queued(
    open_session, origin, site_prefix, jp_http_port, http_server_client, monkeypatch
):
    """A room's streams are bounded (here 2 x 2): one more is answered 503 at once instead of
    waiting while it keeps an upstream connection of the shared pool."""
    monkeypatch.setattr(_exchange, "STALL", 30.0)
    prefix = await site_prefix(await open_session("streams"), origin.url("/"))
    path = proxied(prefix, origin.url("/endless"))
    held = [await _raw_get(jp_http_port, path) for _ in range(4)]
    await until(lambda: origin.open_streams == 4)
    one_more = await asyncio.wait_for(get(http_server_client, path), 5)
    assert one_more.code == 503 and "streaming at once" in one_more.body.decode()
    await until(lambda: origin.open_streams == 4)  # its upstream connection was let go
    for sock in held:
        sock.close()
    await until(lambda: origin.open_streams == 0)


async def test_a_page_nobody_waits_for_is_not_read_on(
    open_session, origin, site_prefix, jp_http_port, cobrowse
):
    """A browser that leaves while a page is being read whole: reading stops (the bytes held
    were counted until then), instead of going on outside the budget until page_timeout."""
    cobrowse.proxy.limits = replace(cobrowse.proxy.limits, page_timeout=30.0)
    prefix = await site_prefix(await open_session("left"), origin.url("/"))
    sock = await _raw_get(jp_http_port, proxied(prefix, origin.url("/trickle")))
    await until(lambda: origin.open_streams == 1 and cobrowse.in_flight.used > 0)
    sock.close()
    await until(lambda: origin.open_streams == 0, timeout=3)
    await until(lambda: cobrowse.in_flight.used == 0)


async def test_a_streamed_answer_is_kept_only_within_the_budget(
    open_session, origin, site_prefix, http_server_client, cobrowse
):
    """A cacheable download copied for the room's cache counts against the server's in-flight
    bytes: when they are spent it is streamed but not kept."""
    prefix = await site_prefix(await open_session("kept"), origin.url("/"))
    url = proxied(prefix, origin.url("/cacheable?type=application/octet-stream&pad=500000"))
    spare = 100 * KIB
    assert cobrowse.in_flight.take(cobrowse.in_flight.max_bytes - spare)
    try:
        for _ in range(2):
            answer = await get(http_server_client, url, headers={"Sec-Fetch-Mode": "no-cors"})
            assert answer.code == 200 and len(answer.body) > 500_000
    finally:
        cobrowse.in_flight.give_back(cobrowse.in_flight.max_bytes - spare)
    assert len([r for r in origin.requests if r["_path"].startswith("/cacheable")]) == 2
    assert cobrowse.in_flight.used == 0


async def test_a_page_websocket_that_fails_gives_its_stream_back(
    open_session, origin, site_prefix, jp_http_port, cobrowse
):
    prefix = await site_prefix(await open_session("sockets"), origin.url("/"))
    session = cobrowse.sessions.find(prefix.rstrip("/").rsplit("/", 1)[1]).session
    full = session.open_streams._value
    for rest in (f"ws/{ORIGIN_HOST}:9/socket", "ws/bad host/socket", f"http/{ORIGIN_HOST}:9/x"):
        with pytest.raises(HTTPClientError):
            await websocket_connect(f"ws://127.0.0.1:{jp_http_port}{prefix}{rest}")
    assert session.open_streams._value == full
    assert cobrowse.streams._value == cobrowse.upstream.max_connections // 2

"""The proxy behaves like the site: methods, encodings, streaming, ranges, websockets, cookies and
form results, against a real Jupyter server and a real loopback origin."""

from __future__ import annotations

import asyncio
import json
import re
import time
from importlib import resources
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from .conftest import BIG_PAGE, LEGACY, ORIGIN_HOST, as_browser, get, proxied
from .waiting import until


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_are_forwarded(
    method, open_session, origin, http_server_client, site_prefix
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    body = b"payload" if method in ("PUT", "PATCH") else None
    response = await get(
        http_server_client,
        proxied(prefix, origin.url("/methods")),
        method=method,
        body=body,
        allow_nonstandard_methods=True,
    )
    assert response.code == 200
    echoed = json.loads(response.body)
    assert echoed["method"] == method
    assert echoed["body"] == (body or b"").decode()


async def test_cors_preflight_is_answered_not_forwarded(
    open_session, origin, http_server_client, site_prefix
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    response = await get(
        http_server_client,
        proxied(prefix, origin.url("/methods")),
        method="OPTIONS",
        headers={"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-a"},
    )
    assert response.code == 204
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "x-a"
    assert not origin.requests


async def test_multipart_form_post_arrives_intact(
    open_session, origin, http_server_client, site_prefix
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    boundary = "----cobrowse"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n\x00\xff\x01\r\n--{boundary}--\r\n"
    ).encode("latin-1")
    response = await get(
        http_server_client,
        proxied(prefix, origin.url("/methods")),
        method="POST",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    echoed = json.loads(response.body)
    assert echoed["body"].encode("latin-1") == body
    assert echoed["type"] == f"multipart/form-data; boundary={boundary}"


async def test_large_bodies_stream_without_waiting_for_the_end(
    open_session, origin, http_server_client, site_prefix
):
    """The origin holds back the second half until the browser has the first: a proxy that
    buffered the whole body would never deliver it."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    received: list[bytes] = []

    def on_chunk(chunk: bytes) -> None:
        received.append(chunk)
        origin.release.set()

    response = await asyncio.wait_for(
        http_server_client.fetch(
            proxied(prefix, origin.url("/big")), streaming_callback=on_chunk, raise_error=False
        ),
        8,
    )
    assert response.code == 200
    assert b"".join(received) == b"a" * 65536 + b"b" * 65536
    assert response.headers["Content-Security-Policy"].startswith("sandbox")


async def test_range_requests_pass_through(open_session, origin, http_server_client, site_prefix):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    response = await get(
        http_server_client,
        proxied(prefix, origin.url("/files/bytes.txt")),
        headers={"Range": "bytes=10-19"},
    )
    whole = (Path(__file__).parent / "pages" / "bytes.txt").read_bytes()
    assert response.code == 206
    assert response.body == whole[10:20]
    assert response.headers["Content-Range"] == f"bytes 10-19/{len(whole)}"
    assert response.headers["Content-Length"] == "10"


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
async def test_encoded_html_is_decoded_then_rewritten(
    coding, open_session, origin, http_server_client, site_prefix
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    response = await get(
        http_server_client,
        proxied(prefix, origin.url(f"/encoded/{coding}")),
        decompress_response=False,
    )
    assert response.code == 200
    assert "Content-Encoding" not in response.headers
    assert f'href="{proxied(prefix, origin.url("/x"))}"'.encode() in response.body
    asked = origin.requests[-1]["accept-encoding"]
    assert {"gzip", "deflate", "br"} <= {c.strip() for c in asked.split(",")}


async def test_a_large_page_is_rewritten_without_stopping_the_server(
    open_session, origin, http_server_client, site_prefix
):
    """Rewriting a page of megabytes happens off the event loop: the server's other work (here a
    timer on the same loop) goes on meanwhile instead of waiting for the whole rewrite."""
    from jupyter_ext.rewrite import rewrite_body

    start = time.perf_counter()
    rewrite_body(BIG_PAGE, "text/html", origin.url("/big.html"), "/p/", ("", ""))
    rewrite_time = time.perf_counter() - start
    prefix = await site_prefix(await open_session(), origin.url("/"))
    request = asyncio.ensure_future(
        get(http_server_client, proxied(prefix, origin.url("/big.html")))
    )
    lags = []
    while not request.done():
        start = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - start - 0.005)
    response = await request
    assert response.code == 200
    assert response.body.count(prefix.encode()) > 2 * 30_000  # and the agent tag's
    assert max(lags) < rewrite_time / 3, (max(lags), rewrite_time)


def test_brotli_is_asked_for_only_where_it_decodes(monkeypatch) -> None:
    from aiohttp import compression_utils

    from jupyter_ext.proxy._fetch import accept_encoding

    assert accept_encoding() == "gzip, deflate, br"

    class Unlimited:  # brotlipy's decoder, or Brotli 1.1's: no output limit
        def decompress_sync(self, data: bytes, max_length: int) -> bytes:
            raise TypeError("process() takes exactly 1 argument (2 given)")

    monkeypatch.setattr(compression_utils, "BrotliDecompressor", Unlimited)
    assert accept_encoding() == "gzip, deflate"


async def test_non_utf8_pages_keep_every_byte(
    open_session, origin, http_server_client, site_prefix
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    response = await get(http_server_client, proxied(prefix, origin.url("/legacy")))
    body = response.body
    tag = re.search(rb"<script data-cobrowse-url=[^>]*>.*?</script>", body, re.S)
    assert tag is not None
    unproxied = (body[: tag.start()] + body[tag.end() :]).replace(
        proxied(prefix, origin.url("")).encode(), b""
    )
    assert unproxied == LEGACY


async def test_websockets_are_proxied_with_the_sites_subprotocol(
    open_session, origin, jp_http_port, site_prefix
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    url = f"ws://127.0.0.1:{jp_http_port}{prefix}ws/{ORIGIN_HOST}:{origin.port}/socket"
    ws = await websocket_connect(
        HTTPRequest(url, headers={"Origin": "null", "Cookie": "_xsrf=jupyter-secret"}),
        subprotocols=["chat.v1", "chat.v2"],
    )
    assert ws.selected_subprotocol == "chat.v2"
    await ws.write_message("hello")
    assert await ws.read_message() == "hello"
    await ws.write_message(b"\x00\x01", binary=True)
    assert await ws.read_message() == b"\x00\x01"
    ws.close()
    seen = origin.requests[-1]
    assert seen["origin"] == f"http://{ORIGIN_HOST}:{origin.port}"
    assert "cookie" not in seen


async def test_a_websocket_on_a_pages_own_address_reaches_the_sites_socket(
    open_session, origin, jp_http_port, site_prefix, http_server_client
):
    """Scripts build socket addresses from `location` (Streamlit's `_stcore/stream`): a
    websocket opened on a proxied http(s) address reaches the site's ws(s) one, while a page
    load of the same address is still a page load."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    url = f"ws://127.0.0.1:{jp_http_port}{prefix}http/{ORIGIN_HOST}:{origin.port}/socket"
    ws = await websocket_connect(HTTPRequest(url, headers={"Origin": "null"}))
    await ws.write_message("built from location")
    assert await ws.read_message() == "built from location"
    ws.close()
    page = await get(http_server_client, proxied(prefix, origin.url("/page")))
    assert page.code == 200 and b"Origin page" in page.body


async def test_websocket_needs_a_valid_capability(http_server_client, jp_http_port, jp_base_url):
    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}cobrowse/proxy/{'x' * 43}/ws/h:1/socket"
    with pytest.raises(HTTPClientError) as err:
        await websocket_connect(url)
    assert err.value.code == 404


async def test_form_result_is_kept_for_followers(
    open_session, origin, http_server_client, site_prefix
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    form = proxied(prefix, origin.url("/form"))
    response = await get(
        http_server_client,
        form,
        method="POST",
        body="q=once",
        headers={"Sec-Fetch-Mode": "navigate"},
    )
    match = re.search(rb'data-cobrowse-result="([A-Za-z0-9_-]+)"', response.body)
    assert match is not None
    result_id = match.group(1).decode()
    posts = len(origin.requests)
    kept = f"{prefix}_/result/{result_id}/{form[len(prefix) :]}"
    follower = await get(http_server_client, kept)
    assert follower.code == 200
    assert b"posted q=once" in follower.body
    assert len(origin.requests) == posts  # nobody posted again
    sibling = await get(
        http_server_client, kept.rsplit("/", 1)[0] + "/style.css", follow_redirects=False
    )
    assert sibling.code == 302
    assert sibling.headers["Location"] == proxied(prefix, origin.url("/style.css"))
    missing = await get(
        http_server_client, f"{prefix}_/result/nope/{form[len(prefix) :]}", follow_redirects=False
    )
    assert missing.code == 302  # an expired result falls back to the page itself


async def test_scripts_cookies_reach_the_jar_and_the_page(
    open_session, origin, http_server_client, site_prefix
):
    prefix = await site_prefix(await open_session("script-cookies"), origin.url("/"))
    page = origin.url("/page")
    set_cookie = await get(
        http_server_client,
        f"{prefix}_/cookie?url={page}",
        method="POST",
        body="pref=compact; path=/",
        headers={"Content-Type": "text/plain"},
    )
    assert set_cookie.code == 204
    response = await get(http_server_client, proxied(prefix, page))
    assert origin.requests[-1]["cookie"] == "pref=compact"
    # /page sets visited=yes (not HttpOnly): the next page shows both to document.cookie.
    again = await get(http_server_client, proxied(prefix, page))
    assert b'data-cobrowse-cookies="pref=compact; visited=yes"' in again.body
    assert response.code == 200


@pytest.fixture
def jp_server_config() -> dict:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_ext": True}},
        "CoBrowse": {
            "allowed_private_hosts": [ORIGIN_HOST],
            "request_timeout": 1.0,
            "max_concurrent_requests": 2,
        },
    }


async def test_upstream_requests_per_session_are_limited(
    open_session, origin, http_server_client, site_prefix, jp_serverapp
):
    prefix = await site_prefix(await open_session("busy"), origin.url("/"))
    sessions = jp_serverapp.extension_manager.extension_apps["jupyter_ext"].pop().sessions
    slots = sessions.find(prefix.rstrip("/").rsplit("/", 1)[1]).session.upstream_slots
    slow = proxied(prefix, origin.url("/slow"))
    fetches = [asyncio.ensure_future(get(http_server_client, slow)) for _ in range(3)]
    # Two reach the site; the third is held at the room's slots (or, unbounded, reaches it too).
    await until(lambda: len(origin.requests) > 2 or (len(origin.requests) == 2 and slots._waiters))
    assert len(origin.requests) == 2  # the third waits for a free slot
    origin.release.set()
    responses = await asyncio.gather(*fetches)
    assert [r.code for r in responses] == [200, 200, 200]
    assert len(origin.requests) == 3


async def test_the_sites_content_type_is_the_only_one(
    open_session, origin, site_prefix, http_server_client
):
    """Tornado's default ``text/html; charset=UTF-8`` must not precede the site's own type: a
    latin-1 page labelled plain ``text/html`` would render as UTF-8."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    for path, expected in (("/legacy", "text/html"), ("/files/bytes.txt", "text/plain")):
        response = await get(http_server_client, proxied(prefix, origin.url(path)))
        assert response.headers.get_list("Content-Type") == [expected], path


async def test_credentialed_requests_of_pages_are_readable(
    open_session, origin, site_prefix, http_server_client
):
    """``fetch(url, {credentials: "include"})`` from an opaque origin needs ``null`` named, not
    ``*``; the browser's cookies still never reach the site."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    headers = {"Origin": "null", "Cookie": "_xsrf=jupyter", "Sec-Fetch-Mode": "cors"}
    response = await get(http_server_client, proxied(prefix, origin.url("/echo")), headers=headers)
    assert response.headers["Access-Control-Allow-Origin"] == "null"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "cookie" not in origin.requests[-1]


def test_the_built_agent_can_be_inlined() -> None:
    from jupyter_ext.proxy._pages import inlinable

    agent = (resources.files("jupyter_ext") / "static" / "agent.js").read_text()
    assert inlinable(agent) == agent
    with pytest.raises(ValueError):
        inlinable('x = "</SCRIPT>"')
    with pytest.raises(ValueError):  # would be mojibake in a UTF-8 page, or in a latin-1 one
        inlinable("x = /[«»]/")


async def test_srcdoc_documents_load_the_agent_from_the_proxy(
    open_session, origin, site_prefix, http_server_client
):
    """A page's srcdoc frames get a script tag for the agent (it would not fit an attribute
    well), served under the capability with the proxy's headers."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    page = await get(
        http_server_client,
        proxied(prefix, origin.url("/framed")),
        headers={"Sec-Fetch-Mode": "navigate"},
    )
    src = f"{prefix}_/agent.js"
    assert f'srcdoc="<script src=&quot;{src}&quot; data-cobrowse-url='.encode() in page.body
    agent = await get(http_server_client, src)
    assert agent.code == 200
    assert agent.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert agent.headers["Content-Security-Policy"].startswith("sandbox ")
    assert agent.body == (resources.files("jupyter_ext") / "static" / "agent.js").read_bytes()
    head = await get(http_server_client, src, method="HEAD")
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(agent.body))
    assert (await get(http_server_client, f"{prefix}_/agent.jsx")).code == 404


async def test_a_kept_result_is_only_read_under_its_own_site(
    open_session, origin, site_prefix, http_server_client, browser_pass
):
    entry = await open_session("kept")
    prefix = await site_prefix(entry, origin.url("/"))
    other = await site_prefix(entry, origin.other_url("/"))
    form = proxied(prefix, origin.url("/form"))
    answer = await get(
        http_server_client, form, method="POST", body="q=1", headers={"Sec-Fetch-Mode": "navigate"}
    )
    result_id = re.search(rb'data-cobrowse-result="([A-Za-z0-9_-]+)"', answer.body).group(1)
    inner = form[len(prefix) :]
    path = f"_/result/{result_id.decode()}/{inner}"
    # A script of another site (or of the entry page) cannot read it...
    for token_prefix in (other, entry):
        read = await get(
            http_server_client, token_prefix + path, headers={"Sec-Fetch-Mode": "cors"}
        )
        assert read.code == 403
    # ...and a follower's navigation under the entry token moves to the result's own site.
    moved = await get(
        http_server_client,
        entry + path,
        headers=as_browser({"Sec-Fetch-Mode": "navigate"}, browser_pass),
        follow_redirects=False,
    )
    assert moved.code == 302 and moved.headers["Location"] == prefix + path
    assert b"posted q=1" in (await get(http_server_client, prefix + path)).body


async def test_a_plain_request_for_a_websocket_opens_nothing_upstream(
    open_session, origin, site_prefix, http_server_client
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    response = await get(http_server_client, f"{prefix}ws/{ORIGIN_HOST}:{origin.port}/socket")
    assert response.code == 400
    assert not origin.requests


async def test_websocket_closes_both_ways(open_session, origin, site_prefix, jp_http_port):
    """When the browser leaves, the proxy closes the site's socket too."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    url = f"ws://127.0.0.1:{jp_http_port}{prefix}ws/{ORIGIN_HOST}:{origin.port}/socket"
    for _ in range(3):
        ws = await websocket_connect(url)
        await ws.write_message("ping")
        assert await ws.read_message() == "ping"
        ws.close()
    await until(lambda: origin.open_sockets == 0)


async def test_a_site_that_does_not_answer_gets_a_readable_timeout(
    open_session, origin, site_prefix, http_server_client
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    response = await get(
        http_server_client,
        proxied(prefix, origin.url("/slow")),
        headers={"Sec-Fetch-Mode": "navigate"},
    )
    origin.release.set()
    assert response.code == 504
    assert "did not answer in time" in response.body.decode()


async def test_a_stream_may_outlast_the_answer_timeout(
    open_session, origin, site_prefix, http_server_client
):
    """request_timeout (1 s here) bounds the wait for headers, not an event stream's length."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    response = await get(http_server_client, proxied(prefix, origin.url("/drip")))
    assert response.code == 200
    assert response.body.decode() == "".join(f"data: {i}\n\n" for i in range(5))


async def test_streams_do_not_hold_the_rooms_upstream_slots(
    open_session, origin, site_prefix, http_server_client
):
    """Two event streams (the room's two slots here) are streaming: a page still loads before
    either ends."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    events: list[list[bytes]] = [[], []]
    streams = [
        asyncio.ensure_future(
            get(
                http_server_client,
                proxied(prefix, origin.url("/drip")),
                streaming_callback=received.append,
            )
        )
        for received in events
    ]
    await until(lambda: all(events))  # both are streaming
    page = await get(http_server_client, proxied(prefix, origin.url("/echo")))
    assert page.code == 200
    assert all(b"data: 4" not in b"".join(received) for received in events)
    assert not any(stream.done() for stream in streams)
    assert [r.code for r in await asyncio.gather(*streams)] == [200, 200]


async def test_upstream_connections_are_kept_alive(
    open_session, origin, site_prefix, http_server_client
):
    """Sub-resources of a page reuse the proxy's connection to the site (no new TCP or TLS
    handshake per request)."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    for _ in range(3):
        await get(http_server_client, proxied(prefix, origin.url("/echo")))
    peers = {request["_peer"] for request in origin.requests[-3:]}
    assert len(peers) == 1


async def test_head_keeps_the_sites_length(open_session, origin, site_prefix, http_server_client):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    url = proxied(prefix, origin.url("/files/bytes.txt"))
    whole = (Path(__file__).parent / "pages" / "bytes.txt").read_bytes()
    head = await get(http_server_client, url, method="HEAD")
    assert head.code == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(whole))


# Raw answers no framework would send: several Content-Types, backslashed redirects.
RAW = {
    "/comma": [("Content-Type", "image/png, text/html")],
    "/two-lines": [("Content-Type", "image/png"), ("Content-Type", "text/html;charset=utf-8")],
    "/none": [],
    "/junk": [("Content-Type", "nonsense")],
    "/redirect": [
        ("Location", "https:\\\\evil.example/x"),
        ("Refresh", "0; url=\\\\evil.example\\y"),
        ("Content-Type", "text/plain"),
    ],
}
RAW_PAGE = b'<html><head></head><body><img src="/\\evil.example/x.png"></body></html>'


async def _raw_origin() -> tuple[asyncio.Server, int]:
    """A loopback site on the test origin's address that answers with RAW's header lines."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        path = head.split(b" ", 2)[1].decode()
        status = "302 Found" if path == "/redirect" else "200 OK"
        lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(RAW_PAGE)}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in RAW[path]]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + RAW_PAGE)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, ORIGIN_HOST, 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize("path", ["/comma", "/two-lines"])
async def test_a_multi_valued_content_type_is_read_as_browsers_read_it(
    path, open_session, http_server_client, site_prefix
):
    """`image/png, text/html` is HTML to a browser (the last valid type wins): the proxy rewrites
    it and sends exactly that one type."""
    server, port = await _raw_origin()
    async with server:
        url = f"http://{ORIGIN_HOST}:{port}{path}"
        prefix = await site_prefix(await open_session(), url)
        response = await get(http_server_client, proxied(prefix, url))
    assert response.headers.get_list("Content-Type")[0].startswith("text/html")
    assert len(response.headers.get_list("Content-Type")) == 1
    assert f'<img src="{prefix}http/evil.example/x.png">'.encode() in response.body
    assert b"data-cobrowse-url" in response.body  # the agent is in


@pytest.mark.parametrize("path", ["/none", "/junk"])
async def test_a_body_of_no_valid_type_is_never_html(
    path, open_session, http_server_client, site_prefix
):
    """Under nosniff a browser renders a body with no valid type as text (tests/browser): it
    passes through, with no type of its own and nosniff."""
    server, port = await _raw_origin()
    async with server:
        url = f"http://{ORIGIN_HOST}:{port}{path}"
        prefix = await site_prefix(await open_session(), url)
        response = await get(http_server_client, proxied(prefix, url))
    assert response.body == RAW_PAGE
    assert "Content-Type" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_backslashed_redirects_stay_in_the_proxy(
    open_session, http_server_client, site_prefix
):
    server, port = await _raw_origin()
    async with server:
        url = f"http://{ORIGIN_HOST}:{port}/redirect"
        prefix = await site_prefix(await open_session(), url)
        response = await http_server_client.fetch(
            proxied(prefix, url), follow_redirects=False, raise_error=False
        )
    assert response.code == 302
    assert response.headers["Location"] == f"{prefix}https/evil.example/x"
    assert response.headers["Refresh"] == f"0; url={prefix}http/evil.example/y"


async def test_a_sitemap_lists_pages_on_the_proxys_origin(
    open_session, origin, site_prefix, http_server_client, jp_http_port
):
    """mkdocs-material's instant navigation takes over a link only if the sitemap lists it; it
    compares absolute addresses, so the sitemap's become the proxy's, on its origin."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    answer = await get(
        http_server_client,
        proxied(prefix, origin.url("/files/sitemap.xml")),
        headers={"Sec-Fetch-Mode": "cors"},
    )
    assert answer.code == 200 and answer.headers["Content-Type"].startswith("application/xml")
    body = answer.body.decode()
    assert f"<loc>http://127.0.0.1:{jp_http_port}{prefix}http/127.0.0.2/docs/second/</loc>" in body

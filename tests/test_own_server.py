"""The proxy never reaches the Jupyter server it runs in, even when the allow-list names loopback
(README's local-development set-up), while other loopback services stay reachable."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import pytest
from tornado import httpserver, web, websocket
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from .conftest import ORIGIN_HOST, OTHER_HOST, get, proxied, server_config

# Spellings of this machine that reach a server listening on 127.0.0.1 (or on every address).
THIS_MACHINE = ["127.0.0.1", "localhost", "127.1", "2130706433", "0.0.0.0", "[::ffff:127.0.0.1]"]


@pytest.fixture
def jp_server_config() -> dict:
    """README's local-development allow-list, and a Jupyter without a token: a page that reached
    it could run code in its kernels."""
    return server_config(
        {"token": "", "disable_check_xsrf": True},  # the test client posts no _xsrf
        allowed_private_hosts=["127.0.0.1", "localhost", ORIGIN_HOST, OTHER_HOST],
    )


class _Hello(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.finish("another service")


class _Echo(websocket.WebSocketHandler):
    def check_origin(self, origin: str) -> bool:
        return True

    def on_message(self, message: str | bytes) -> None:
        self.write_message(message)


@pytest.fixture
def proxy_log(jp_serverapp) -> Iterator[list[str]]:
    """The lines the extension logs."""
    (app,) = jp_serverapp.extension_manager.extension_apps["jupyter_ext"]
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep(level=logging.INFO)
    app.log.addHandler(handler)
    yield lines
    app.log.removeHandler(handler)


@pytest.fixture
def loopback_service(jp_asyncio_loop) -> Iterator[int]:
    """Another service on 127.0.0.1 (HTTP at /, a WebSocket echo at /ws); yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)

    async def start() -> httpserver.HTTPServer:
        server = httpserver.HTTPServer(web.Application([(r"/", _Hello), (r"/ws", _Echo)]))
        server.add_sockets([sock])
        return server

    server = jp_asyncio_loop.run_until_complete(start())
    yield sock.getsockname()[1]
    server.stop()


async def test_jupyter_is_token_less_here(http_server_client, jp_base_url) -> None:
    """The set-up the attack needs: Jupyter's API answers without any credential."""
    status = await get(http_server_client, f"{jp_base_url}api/status")
    assert status.code == 200 and "started" in json.loads(status.body)


@pytest.mark.parametrize("host", THIS_MACHINE)
async def test_own_api_is_refused(
    host, open_session, fetch_proxied, jp_http_port, jp_base_url
) -> None:
    prefix = await open_session()
    response = await fetch_proxied(f"{prefix}http/{host}:{jp_http_port}{jp_base_url}api/status")
    assert response.code == 502, response.body
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.body.decode()
    assert "this Jupyter server itself" in text
    assert "started" not in text


async def test_other_loopback_ports_stay_reachable(
    open_session, fetch_proxied, loopback_service
) -> None:
    prefix = await open_session()
    for host in ("127.0.0.1", "localhost"):
        response = await fetch_proxied(f"{prefix}http/{host}:{loopback_service}/")
        assert response.code == 200 and response.body == b"another service"


async def test_redirect_hop_to_own_server_is_refused(
    open_session, origin, site_prefix, http_server_client, jp_http_port, jp_base_url
) -> None:
    """An allowed site redirecting to Jupyter: the browser follows through the proxy, which
    checks the new hop as a new request."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    inside = f"http://localhost:{jp_http_port}{jp_base_url}api/status"
    hop = await get(
        http_server_client,
        proxied(prefix, origin.url(f"/redirect?to={inside}")),
        follow_redirects=False,
    )
    assert hop.code == 302
    location = hop.headers["Location"]
    assert f"/http/localhost:{jp_http_port}/" in location and location.endswith("api/status")
    refused = await get(
        http_server_client,
        location,
        follow_redirects=False,
        headers={"Sec-Fetch-Mode": "navigate"},
    )
    if refused.code == 302:  # first moved to that site's own capability
        refused = await get(
            http_server_client, refused.headers["Location"], headers={"Sec-Fetch-Mode": "navigate"}
        )
    assert refused.code == 502
    assert "this Jupyter server itself" in refused.body.decode()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
async def test_own_websockets_are_refused(
    host, open_session, site_prefix, jp_http_port, jp_base_url, loopback_service, proxy_log
) -> None:
    """A page asking for Jupyter's own sockets (kernels' channels, the event bus) through the
    WebSocket proxy gets nothing, whatever the spelling of this machine; another loopback
    service's socket still works."""
    entry = await open_session()
    own = await site_prefix(entry, f"http://{host}:{jp_http_port}/")
    events = f"{host}:{jp_http_port}{jp_base_url}api/events/subscribe"
    url = f"ws://127.0.0.1:{jp_http_port}{own}ws/{events}"
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(url)
    assert refused.value.code == 502
    assert "this Jupyter server itself" in "\n".join(proxy_log)  # the operator sees why
    other = await site_prefix(entry, f"http://{host}:{loopback_service}/")
    url = f"ws://127.0.0.1:{jp_http_port}{other}ws/{host}:{loopback_service}/ws"
    ws = await websocket_connect(url)
    await ws.write_message("hi")
    assert await ws.read_message() == "hi"
    ws.close()


async def test_an_invalid_entry_is_a_clear_error(jp_configurable_serverapp, capfd) -> None:
    """A bad entry is one line at start-up naming the setting, the entry and why, not a
    traceback; it is left out (refused), the others and the extension work."""
    config = {
        "ServerApp": {"jpserver_extensions": {"jupyter_ext": True}},
        "CoBrowse": {"allowed_private_hosts": ["localhost:99999", "127.0.0.2:8000"]},
    }
    app = jp_configurable_serverapp(config=config)
    err = capfd.readouterr().err
    assert (
        "c.CoBrowse.allowed_private_hosts: invalid allowed host 'localhost:99999': a port is a "
        "number from 1 to 65535; it is left out"
    ) in err
    assert "Traceback" not in err
    cobrowse = app.extension_manager.extension_apps["jupyter_ext"].pop()
    assert cobrowse.allowed_private_hosts == ["127.0.0.2:8000"]
    assert cobrowse.upstream.policy.allows("x", "127.0.0.2", 8000)
    assert not cobrowse.upstream.policy.allows("localhost", "127.0.0.1", 99)

"""``c.CoBrowse.ca_certificates``: sites signed by a private authority (an internal site, a
company's TLS-inspecting proxy) load through the proxy once their authority is named."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from tornado import httpserver, web

from .conftest import ORIGIN_HOST, proxied, server_config

NAMED, UNNAMED = trustme.CA(), trustme.CA()


class _Hello(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.finish("hello over https")


@pytest.fixture
def https_site(jp_asyncio_loop) -> Iterator[Callable[[trustme.CA], str]]:
    """Starts a site on 127.0.0.2 whose certificate the given authority signed."""
    servers = []

    def start(ca: trustme.CA) -> str:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(ORIGIN_HOST).configure_cert(context)
        sock = socket.socket()
        sock.bind((ORIGIN_HOST, 0))
        sock.listen(8)
        sock.setblocking(False)
        server = httpserver.HTTPServer(web.Application([(r"/", _Hello)]), ssl_options=context)
        server.add_sockets([sock])
        servers.append(server)
        return f"https://{ORIGIN_HOST}:{sock.getsockname()[1]}/"

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def jp_server_config(tmp_path: Path) -> dict:
    path = tmp_path / "company-ca.pem"
    NAMED.cert_pem.write_to_path(str(path))
    return server_config(ca_certificates=str(path))


async def test_a_site_of_a_named_authority_loads(open_session, https_site, fetch_proxied):
    prefix = await open_session()
    answer = await fetch_proxied(proxied(prefix, https_site(NAMED)))
    assert (answer.code, answer.body) == (200, b"hello over https")


async def test_any_other_authority_is_refused(open_session, https_site, fetch_proxied):
    prefix = await open_session()
    answer = await fetch_proxied(proxied(prefix, https_site(UNNAMED)))
    assert answer.code == 502
    assert b"certificate of 127.0.0.2 could not be verified" in answer.body


async def test_an_unreadable_file_is_a_clear_error(jp_configurable_serverapp, capfd, tmp_path):
    bad = tmp_path / "not-a-ca.pem"
    bad.write_text("not a certificate")
    app = jp_configurable_serverapp(config=server_config(ca_certificates=str(bad)))
    err = capfd.readouterr().err
    assert f"c.CoBrowse.ca_certificates: cannot use '{bad}'" in err
    assert "it is left out" in err and "Traceback" not in err
    cobrowse = app.extension_manager.extension_apps["jupyter_ext"].pop()
    assert cobrowse.ca_certificates == ""

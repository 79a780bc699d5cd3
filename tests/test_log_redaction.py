"""Capability tokens never reach the server's log, whatever writes the line."""

from __future__ import annotations

import logging

import pytest
from tornado.httpclient import HTTPClientError
from tornado.websocket import websocket_connect

from jupyter_ext._redact import redact

from .conftest import ORIGIN_HOST, get, proxied


@pytest.fixture
def server_log(jp_serverapp):
    """Every record the Jupyter server's log handlers get, formatted with its traceback."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(logging.Formatter().format(record))

    handler = Keep(level=logging.DEBUG)
    log = jp_serverapp.log
    log.addHandler(handler)
    old = log.level
    log.setLevel(logging.DEBUG)
    logging.getLogger("tornado").setLevel(logging.DEBUG)
    yield lines
    log.removeHandler(handler)
    log.setLevel(old)


def test_redact_keeps_the_rest_of_the_line():
    line = "502 GET /base/cobrowse/proxy/AbC_-0123456789abcdefXYZ/http/h/p (@1.2.3.4) 3ms"
    assert redact(line) == "502 GET /base/cobrowse/proxy/[token]/http/h/p (@1.2.3.4) 3ms"


async def test_tokens_are_not_logged(
    server_log, open_session, origin, fetch_proxied, http_server_client, jp_http_port
):
    entry = await open_session("logged")
    tokens = {entry.rstrip("/").rsplit("/", 1)[1]}
    page = await fetch_proxied(proxied(entry, origin.url("/page")))  # 302 to the site's token
    assert page.code == 200
    tokens.add(page.effective_url.split("/cobrowse/proxy/")[1].split("/")[0])
    await fetch_proxied(f"{entry}http/{ORIGIN_HOST}:9/")  # 502: connection refused
    await fetch_proxied(proxied(entry, origin.url("/boom")))  # 500 from the site
    await get(http_server_client, f"{entry}nonsense/x")  # 400
    with pytest.raises(HTTPClientError):  # a websocket the site refuses: 502 from the handler
        await websocket_connect(f"ws://127.0.0.1:{jp_http_port}{entry}ws/{ORIGIN_HOST}:9/socket")
    text = "\n".join(server_log)
    assert "cobrowse/proxy/[token]/" in text  # the lines were written, without the secret
    for token in tokens:
        assert token not in text

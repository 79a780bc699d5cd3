"""Upstream failures in words a user can act on."""

from __future__ import annotations

import socket
import ssl

import pytest
from tornado.httpclient import HTTPClientError
from tornado.simple_httpclient import HTTPTimeoutError

from jupyter_ext.proxy._pages import error_text, failure_reason
from jupyter_ext.proxy._ssrf import BlockedAddressError

URL = "https://docs.example.org/x"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (socket.gaierror(-2, "Name or service not known"), "docs.example.org could not be found"),
        (ConnectionRefusedError(111, "refused"), "docs.example.org refused the connection"),
        (HTTPTimeoutError("Timeout while connecting"), "docs.example.org did not answer in time"),
        (TimeoutError(), "did not answer in time"),
        (HTTPClientError(599, "Stream closed"), "the connection to docs.example.org broke"),
        (ssl.SSLError(1, "wrong version number"), "a secure connection to docs.example.org"),
        (BlockedAddressError("docs.example.org", ["10.0.0.1"]), "allowed_private_hosts"),
        (RuntimeError("odd"), "odd"),
    ],
)
def test_failure_reason(exc: BaseException, expected: str) -> None:
    assert expected in failure_reason(exc, URL)


def test_error_text_is_plain_and_names_the_address() -> None:
    text = error_text("https://x.example/<script>", "refused")
    assert "address: https://x.example/<script>" in text  # served as text/plain, never HTML
    assert text.startswith("cobrowse: this page could not be loaded.")

"""Sites: what one capability may carry cookies for."""

from __future__ import annotations

import pytest

from jupyter_ext.proxy._sites import site_of


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.example.co.uk/x", "https://example.co.uk"),
        ("https://api.example.com:8443/v1", "https://example.com"),
        ("http://example.com/", "http://example.com"),
        ("https://a.b.github.io/", "https://b.github.io"),
        ("wss://live.example.com/socket", "https://example.com"),
        ("http://127.0.0.2:8000/", "http://127.0.0.2"),
        ("http://[::1]:80/", "http://::1"),
        ("http://localhost:8888/", "http://localhost"),
        ("https://demo.cobrowse.invalid/", "https://cobrowse.invalid"),
        ("https://EXAMPLE.com./", "https://example.com"),
    ],
)
def test_site_of(url: str, site: str) -> None:
    assert site_of(url) == site

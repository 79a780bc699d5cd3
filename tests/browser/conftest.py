"""Real-browser fixtures: Debian's Chromium, driven by Playwright's sync API."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium binary; fails in CI and skips elsewhere when it is not installed."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path:
        return path
    message = (
        "Chromium not found: sudo apt-get install -y chromium fonts-liberation fonts-dejavu-core"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One headless Chromium for the session (sync Playwright API)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# jupyter_server's pytest plugin (loaded by tests/conftest.py) has autouse fixtures that take the
# current event loop, run server clean-up on it and close it. Between calls, Playwright's sync API
# keeps its own loop marked as running, so here they would fail; browser tests start no in-process
# server, so both become no-ops.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """No jupyter_server event loop in browser tests."""


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """No in-process Jupyter server to clean up in browser tests."""

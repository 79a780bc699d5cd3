"""The widget through a server's life: a restart, pages without an agent, a missing extension."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page
from pycrdt import create_update_message
from tornado.websocket import websocket_connect

from cobrowse_widget import _schema

from .._room_client import Client
from ..sites.static_site import answer, free_port, serve
from ..waiting import poll
from .lab import (
    ARTIFACTS,
    Lab,
    kernel_eval,
    proxied_frame,
    run_all_cells,
    running_lab,
    write_notebook,
)

pytestmark = pytest.mark.browser

SITE_HOST = "127.0.0.2"  # an allowed private host, apart from Jupyter's cookies


class _Pages(BaseHTTPRequestHandler):
    """Every path is a small page whose heading names it."""

    def do_GET(self) -> None:
        answer(self, f"<!doctype html><title>{self.path}</title><h1>page {self.path}</h1>".encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve(_Pages, SITE_HOST) as url:
        yield url


def _run_notebook(browser: Browser, lab: Lab, notebook: Path) -> tuple[BrowserContext, Page]:
    """A user's browser with ``notebook`` open in JupyterLab and every cell run."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    lab.open(page, "lifecycle", notebook.name)
    run_all_cells(page)
    return context, page


def _widget_notebook(tmp: Path, url: str) -> Path:
    return write_notebook(
        tmp / "nb" / "lifecycle.ipynb",
        f"from cobrowse_widget import CoBrowser\ncb = CoBrowser({url!r})\ncb",
    )


def _lab_dir(tmp: Path) -> Path:
    lab_dir = tmp / "lab"
    lab_dir.mkdir()
    return lab_dir


def _heading(page: Page, path: str, timeout_ms: int = 30_000) -> Frame:
    """The proxied frame of ``path`` once its page (not an error page) shows with its agent."""
    frame = proxied_frame(page, path, timeout_ms=timeout_ms, exact=True)
    frame.wait_for_function(
        "(path) => document.querySelector('h1')?.textContent === 'page ' + path",
        arg=path,
        timeout=timeout_ms,
    )
    return frame


def _token(frame: Frame) -> str:
    """The capability token a proxied frame was loaded with."""
    return frame.url.split("/cobrowse/proxy/", 1)[1].split("/", 1)[0]


def test_a_page_without_an_agent_does_not_stick(
    browser: Browser, site: str, tmp_path: Path
) -> None:
    """The room goes to an unreachable site (the proxy's plain-text error page, no agent) and
    back: the widget loads the room's page again."""
    closed = f"http://{SITE_HOST}:{free_port(SITE_HOST)}/"
    notebook = _widget_notebook(tmp_path, f"{site}/a.html")
    with running_lab(_lab_dir(tmp_path), [notebook], [SITE_HOST]) as lab:
        context, page = _run_notebook(browser, lab, notebook)
        _heading(page, "/a.html")
        kernel_eval(page, f"cb.url = {closed!r}")
        error = proxied_frame(page, closed.split("//", 1)[1])
        assert "could not be loaded" in error.evaluate("() => document.body.innerText")
        kernel_eval(page, f"cb.url = {site + '/a.html'!r}")
        _heading(page, "/a.html", timeout_ms=10_000)
        context.close()


def test_the_session_is_renewed_after_a_server_restart(
    browser: Browser, site: str, tmp_path: Path
) -> None:
    """After the server restarts (every proxy session gone), the widget gets a new session when
    its room socket reconnects and shows the page again without re-running the cell."""
    notebook = _widget_notebook(tmp_path, f"{site}/a.html")
    with running_lab(_lab_dir(tmp_path), [notebook], [SITE_HOST]) as lab:
        context, page = _run_notebook(browser, lab, notebook)
        shown = _token(_heading(page, "/a.html"))
        src = page.locator(".cobrowse-frame").get_attribute("src")
        # JupyterLab may say it lost the server while it restarts, in a dialog over the page:
        # dismiss it as a user would whenever it is in the way.
        dialog = page.locator(".jp-Dialog")
        page.add_locator_handler(dialog, lambda d: d.get_by_role("button").last.click())
        lab.restart()
        # The room socket retries at most 10 s apart; a loaded machine may take a while more.
        page.wait_for_function(
            "(src) => document.querySelector('.cobrowse-frame').getAttribute('src') !== src",
            arg=src,
            timeout=60_000,
        )
        assert _token(_heading(page, "/a.html")) != shown
        page.get_by_role("button", name="Reload this view").click()
        _heading(page, "/a.html")
        context.close()


def test_a_server_without_the_extension_says_what_to_do(browser: Browser, tmp_path: Path) -> None:
    """JupyterLab runs without the server extension: the widget says what is wrong and how to
    fix it, and tells the kernel, whose warning shows in the widget's cell."""
    lab_dir = _lab_dir(tmp_path)
    config = lab_dir / "config"
    config.mkdir()
    disabled = {"ServerApp": {"jpserver_extensions": {"jupyter_ext": False}}}
    (config / "jupyter_server_config.json").write_text(json.dumps(disabled))
    notebook = _widget_notebook(tmp_path, "https://example.org/")
    with running_lab(lab_dir, [notebook], []) as lab:
        context = browser.new_context(viewport={"width": 1200, "height": 700})
        page = context.new_page()
        lab.open(page, "lifecycle", notebook.name)
        run_all_cells(page)
        status = page.locator(".cobrowse-status.cobrowse-error")
        status.wait_for(timeout=30_000)
        text = status.inner_text()
        assert page.locator(".cobrowse-frame").is_hidden()
        assert "server extension is not running" in text
        assert "pip install cobrowse-widget" in text and "restart Jupyter" in text
        assert "404" not in text
        # Python's warning shows in the cell that shows the widget, once (not only in the log).
        cell = page.locator(".jp-CodeCell", has=page.locator(".cobrowse"))
        warning = cell.locator("[data-mime-type='application/vnd.jupyter.stderr']")
        warning.wait_for(timeout=30_000)
        assert "UserWarning: CoBrowser could not start co-browsing" in warning.inner_text()
        assert "server extension is not running" in warning.inner_text()
        assert warning.count() == 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        cell.screenshot(path=str(ARTIFACTS / "no-extension.png"))
        context.close()


def _navigate_from_outside(lab: Lab, room: str, url: str) -> None:
    """A participant outside any notebook (a websocket client in this process) moves ``room``
    to ``url`` once it has the room's page."""

    async def navigate() -> None:
        address = lab.url.replace("http", "ws", 1) + f"/cobrowse/api/rooms/{room}"
        client = Client(await websocket_connect(f"{address}?token={lab.token}"))
        await client.handshake()
        await client.pump(lambda: _schema.current_url(client.doc) != "", timeout=15)
        _schema.navigate(client.doc, url)
        update = client.doc.get_update()
        await client.ws.write_message(create_update_message(update), binary=True)
        client.ws.close()

    errors: list[BaseException] = []
    thread = threading.Thread(target=lambda: _run(navigate(), errors))
    thread.start()
    thread.join(30)
    assert not errors, errors


def _run(coroutine: Any, errors: list[BaseException]) -> None:
    try:
        asyncio.run(coroutine)
    except BaseException as exc:  # reported to the test's thread
        errors.append(exc)


def test_the_kernel_follows_its_room_with_no_view_displayed(
    browser: Browser, site: str, tmp_path: Path
) -> None:
    """The kernel syncs with the room on a socket of its own: with every view of its widget gone
    (outputs cleared), it still sees where the room goes."""
    notebook = _widget_notebook(tmp_path, f"{site}/a.html")
    with running_lab(_lab_dir(tmp_path), [notebook], [SITE_HOST]) as lab:
        context, page = _run_notebook(browser, lab, notebook)
        _heading(page, "/a.html")
        poll(lambda: kernel_eval(page, "cb._link.up") == "True", page, 20_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.locator(".cobrowse-frame").wait_for(state="detached")
        room = kernel_eval(page, "cb.room").strip("'")
        _navigate_from_outside(lab, room, f"{site}/b.html")
        expected = repr(f"{site}/b.html")
        poll(lambda: kernel_eval(page, "cb.url") == expected, page, 15_000)
        context.close()

"""A frame that a logged-in page embeds from another site (an ad, a video, a comment widget)
loads in real Chromium logged out, and its scripts cannot read the embedding site as the room."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest
from playwright.sync_api import Browser, Frame, Page

from ..sites.static_site import answer, serve
from .lab import proxied_frame, run_all_cells, running_lab, write_notebook

pytestmark = pytest.mark.browser

SITE, EMBED = "127.0.0.2", "127.0.0.3"  # two sites, and neither is Jupyter's 127.0.0.1
SECRET = "sid=A-SECRET"


class _Sites(BaseHTTPRequestHandler):
    """Site A logs the visitor in and embeds a page of site B, whose script tries to read A's
    private page through its own address's proxy prefix."""

    ports: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        a = f"http://{SITE}:{self.ports[SITE]}"
        if self.path == "/home":
            body = f'<h1>A</h1><iframe src="http://{EMBED}:{self.ports[EMBED]}/embed"></iframe>'
            self._send(body, [f"Set-Cookie: {SECRET}; HttpOnly; Path=/"])
        elif self.path == "/private":
            self._send(f"cookie={self.headers.get('Cookie', '')}", content_type="text/plain")
        elif self.path == "/embed":
            grab = f"""<script>
                const prefix = location.pathname.split('/http/')[0] + '/';
                fetch(prefix + 'http/{SITE}:{self.ports[SITE]}/private', {{credentials: 'include'}})
                    .then((r) => r.text()).then((t) => (document.title = 'got ' + t))
                    .catch((e) => (document.title = 'error ' + e));
            </script>"""
            self._send(f"<title>waiting</title><p>an embed from {a}</p>{grab}")
        else:
            self.send_error(404)

    def _send(self, body: str, headers: list[str] = (), content_type: str = "text/html") -> None:
        data = f"<!doctype html><html><head></head><body>{body}</body></html>".encode()
        if content_type != "text/html":
            data = body.encode()
        pairs = [tuple(header.split(": ", 1)) for header in headers]
        answer(self, data, f"{content_type}; charset=utf-8", pairs)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def sites() -> Iterator[str]:
    with serve(_Sites, SITE) as site, serve(_Sites, EMBED) as embed:
        for url in (site, embed):
            host, port = url.removeprefix("http://").split(":")
            _Sites.ports[host] = int(port)
        yield f"{site}/home"


def _frame(page: Page, ending: str) -> Frame:
    return proxied_frame(page, ending, exact=True)


def test_an_embedded_frame_cannot_read_the_embedding_site_as_the_room(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser, sites: str
) -> None:
    tmp = tmp_path_factory.mktemp("embeds")
    notebook = write_notebook(
        tmp / "notebooks" / "embeds.ipynb",
        f"from cobrowse_widget import CoBrowser\nCoBrowser({sites!r})",
    )
    with running_lab(tmp, [notebook], [SITE, EMBED]) as lab:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        lab.open(page, "embeds", notebook.name)
        run_all_cells(page)
        home = _frame(page, "/home")
        # The page itself is logged in: its own scripts read its private page with the cookie.
        own = home.evaluate("fetch('private').then((r) => r.text())")
        assert SECRET in own
        embed = _frame(page, "/embed")
        embed.wait_for_function("document.title !== 'waiting'", timeout=15_000)
        title = embed.evaluate("document.title")
        assert title.startswith("got cookie="), title  # it ran, and reached site A...
        assert SECRET not in title  # ...logged out
        assert home.url.split("/http/")[0] not in embed.url  # not under the page's token
        context.close()

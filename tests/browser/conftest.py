"""Real-browser fixtures: Debian's Chromium, driven by Playwright's sync API."""

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, Frame, Page, sync_playwright

from jupyter_ext.proxy import FRAME_SANDBOX, SANDBOX

from .agent_messages import open_stand_in

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


# The agent's test site: pages from agent_pages/, the built agent and its sources. Paths under
# PROXY_PREFIX stand in for the proxy: `{PREFIX}https/example.org/<path>` serves agent_pages/<path>
# with the proxy's sandbox header, `{PREFIX}_/agent.js` the agent; every request is recorded.
ROOT = Path(__file__).resolve().parents[2]
AGENT_PAGES = Path(__file__).parent / "agent_pages"
JS_SRC = ROOT / "js" / "src"
AGENT_JS = ROOT / "jupyter_ext" / "static" / "agent.js"
PROXY_PREFIX = "/cobrowse/proxy/tok/"
PROXIED_SITE = PROXY_PREFIX + "https/example.org/"


@dataclass
class AgentSite:
    """The running test site: its base URL and every request it received, in order."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)

    def paths(self, method: str | None = None) -> list[str]:
        return [r["path"] for r in list(self.requests) if method in (None, r["method"])]


class AgentHandler(SimpleHTTPRequestHandler):
    site: AgentSite

    def translate_path(self, path: str) -> str:
        path = unquote(urlsplit(path).path)
        if path in ("/agent.js", PROXY_PREFIX + "_/agent.js"):
            return str(AGENT_JS)
        if path.startswith("/src/"):  # the front-end's sources, as ES modules
            base, rest = JS_SRC, path[len("/src/") :]
        elif path.startswith(PROXIED_SITE):
            base, rest = AGENT_PAGES, path[len(PROXIED_SITE) :]
        else:
            base, rest = AGENT_PAGES, path
        target = (base / rest.lstrip("/")).resolve()
        return str(target) if target.is_relative_to(base) else str(base / "missing")

    def _record(self, body: bytes = b"") -> None:
        self.site.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "body": body.decode("utf-8", "replace"),
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
        )

    def do_GET(self) -> None:
        self._record()
        super().do_GET()

    def do_HEAD(self) -> None:
        self._record()
        super().do_HEAD()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._record(self.rfile.read(length))
        self.send_response(204)
        self.end_headers()

    def do_OPTIONS(self) -> None:
        self._record()
        self.send_response(204)
        self.send_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, PATCH")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.end_headers()

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        if urlsplit(self.path).path.startswith(PROXIED_SITE):
            self.send_header("Content-Security-Policy", SANDBOX)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def agent_site() -> Iterator[AgentSite]:
    """The agent test site on a free loopback port (fails if the built agent is stale)."""
    # The stand-in widget's frame is sandboxed as the widget's is.
    assert f'sandbox="{FRAME_SANDBOX}"' in (AGENT_PAGES / "parent.html").read_text()
    sources = max(path.stat().st_mtime for path in JS_SRC.rglob("*.js"))
    if not AGENT_JS.exists() or AGENT_JS.stat().st_mtime < sources:
        pytest.fail("jupyter_ext/static/agent.js is missing or stale: cd js && npm run build")
    site = AgentSite("")
    handler = type("Handler", (AgentHandler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def site(agent_site: AgentSite) -> str:
    """The agent test site's base URL."""
    return agent_site.url


@pytest.fixture
def open_page(browser: Browser, site: str) -> Iterator[Callable[..., tuple[Page, Frame]]]:
    """Opens the stand-in widget at a viewport size and waits for the agent's hello."""
    contexts = []

    def open_page(
        width: int = 800, height: int = 600, src: str = "page.html"
    ) -> tuple[Page, Frame]:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        return page, open_stand_in(page, f"{site}/parent.html?src={src}")

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def frameworks() -> Path:
    """React, Vue and Svelte for the agent's framework pages, from js/node_modules (npm): the
    React and Svelte forms compiled and bundled by esbuild, Vue's browser build copied
    (agent_pages/frameworks/)."""
    out = AGENT_PAGES / "frameworks"
    out.mkdir(exist_ok=True)
    modules = ROOT / "js" / "node_modules"
    fixtures = ROOT / "js" / "tests" / "fixtures"
    compiled = out / "svelte-form.compiled.js"
    subprocess.run(["node", str(fixtures / "compile-svelte.mjs"), str(compiled)], check=True)
    for entry, name in (("react-form.jsx", "react-form.js"), ("svelte-form.mjs", "svelte-form.js")):
        subprocess.run(
            [
                str(modules / ".bin" / "esbuild"),
                str(fixtures / entry),
                "--bundle",
                "--jsx=automatic",
                '--define:process.env.NODE_ENV="production"',
                "--conditions=browser",
                f"--alias:svelte-form.compiled={compiled}",
                f"--outfile={out / name}",
                "--log-level=warning",
            ],
            check=True,
            env={**os.environ, "NODE_PATH": str(modules)},  # for the compiled component
        )
    shutil.copy(modules / "vue" / "dist" / "vue.global.prod.js", out / "vue.global.prod.js")
    return out

"""A real JupyterLab server for browser tests, and helpers to drive it like a user."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from playwright.sync_api import Frame, Page

from ..sites.static_site import free_port

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "screenshots"
USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}

PAGE_CONFIG = {"buildCheck": False, "buildAvailable": False}


def _notebook7_settings(tmp: Path) -> list[str]:
    """Notebook 7's own copies of the LabApp settings that keep a test server hermetic."""
    return [
        f"--JupyterNotebookApp.user_settings_dir={tmp / 'settings'}",
        f"--JupyterNotebookApp.workspaces_dir={tmp / 'workspaces'}",
        "--JupyterNotebookApp.expose_app_in_browser=True",
    ]


@dataclass
class Lab:
    """A running ``jupyter lab`` with the extension, in its own temporary directories."""

    url: str
    token: str
    root: Path
    log: Path
    restart: Callable[[], None] = field(repr=False)
    """Stop the server and start it again on the same port, token and directories (every
    session and room it held is gone)."""

    def open(self, page: Page, workspace: str, path: str) -> None:
        """Open ``path`` in ``workspace`` as a logged-in user and wait for JupyterLab."""
        page.goto(f"{self.url}/lab/workspaces/{workspace}/tree/{path}?token={self.token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        wait_for_notebook(page)

    def open_notebook7(self, page: Page, path: str) -> None:
        """Open ``path`` in Notebook 7's own page (``/notebooks/<path>``, needs a server started
        with ``app="notebook"``) as a logged-in user and wait for the notebook."""
        page.goto(f"{self.url}/notebooks/{path}?token={self.token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        wait_for_notebook(page)


@contextmanager
def running_lab(
    tmp: Path,
    notebooks: list[Path],
    allowed_private_hosts: list[str],
    *settings: str,
    app: Literal["lab", "notebook"] = "lab",
) -> Iterator[Lab]:
    """Start JupyterLab on a free port with a random token, and more command-line ``settings``
    (``--CoBrowse.ca_certificates=...``); stop it afterwards. ``app="notebook"`` starts Jupyter
    Notebook 7 instead, which serves JupyterLab's ``/lab`` pages too."""
    root = tmp / "root"
    root.mkdir()
    for notebook in notebooks:
        shutil.copy(notebook, root / notebook.name)
    for name, values in USER_SETTINGS.items():
        path = tmp / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    # A package that drops a source extension into JupyterLab's app directory (dash does) makes
    # JupyterLab recommend a build in a dialog that covers the notebook: no build checks here.
    labconfig = tmp / "config" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": str(tmp / "ipython"),
    }
    token, port = secrets.token_hex(16), free_port()
    log = tmp / "lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        app,
        "--no-browser",
        "--allow-root",
        f"--ServerApp.port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={tmp / 'settings'}",
        f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--LabApp.expose_app_in_browser=True",
        *(_notebook7_settings(tmp) if app == "notebook" else []),
        *(f"--CoBrowse.allowed_private_hosts={host}" for host in allowed_private_hosts),
        *settings,
    ]
    url = f"http://127.0.0.1:{port}"
    processes: list[subprocess.Popen] = []

    def start() -> None:
        with open(log, "ab") as out:
            processes.append(
                subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
            )
        _wait_until_up(f"{url}/api/status?token={token}", processes[-1], log)

    def restart() -> None:
        _stop(processes[-1])
        start()

    try:
        start()
        yield Lab(url, token, root, log, restart)
    finally:
        if processes:
            _stop(processes[-1])


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def _wait_until_up(status_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Jupyter server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the Jupyter server did not start:\n{log.read_text()[-3000:]}")


def wait_for_notebook(page: Page) -> None:
    """Wait until the current notebook is open with an idle kernel."""
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            const kernel = w && w.sessionContext && w.sessionContext.session
                && w.sessionContext.session.kernel;
            // ipywidgets registers its comm target a little after the kernel connects; a widget
            // displayed before that never gets its model (a cold-start race seen in CI).
            return !!(w && w.content && w.content.model && kernel && kernel.status === 'idle'
                && kernel._targetRegistry && kernel._targetRegistry['jupyter.widget']);
        }""",
        timeout=90_000,
    )


def run_all_cells(page: Page) -> None:
    """Run every cell through JupyterLab's own command and wait for all of them to finish."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        """() => {
            const nb = window.jupyterapp.shell.currentWidget;
            const cells = Array.from(nb.content.model.cells);
            const kernel = nb.sessionContext.session.kernel;
            return kernel.status === 'idle'
                && cells.filter(c => c.type === 'code').every(c => c.executionCount !== null);
        }""",
        timeout=120_000,
    )


def save(page: Page) -> None:
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000
    )


def proxied_frame(page: Page, needle: str, timeout_ms: int = 30_000, exact: bool = False) -> Frame:
    """The loaded proxied page frame whose URL contains (or, if ``exact``, ends with) ``needle``."""
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            url = frame.url
            if "/cobrowse/proxy/" in url and (url.endswith(needle) if exact else needle in url):
                try:
                    if frame.evaluate("() => document.readyState") == "complete":
                        return frame
                except Exception:  # the frame navigated away while we asked
                    pass
        page.wait_for_timeout(100)
    urls = [frame.url for frame in page.frames]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "no-proxied-frame.png"))
    raise AssertionError(f"no proxied frame with {needle!r}; frames: {urls}")


def kernel_eval(page: Page, code: str) -> str:
    """Run ``code`` in the notebook's kernel, as JupyterLab does; return its text/plain result."""
    return page.evaluate(
        """async (code) => {
            const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            let result = null;
            const future = kernel.requestExecute({ code, store_history: false });
            future.onIOPub = (msg) => {
                const type = msg.header.msg_type;
                if (type === 'execute_result') result = msg.content.data['text/plain'];
                if (type === 'error') result = 'ERROR: ' + msg.content.evalue;
            };
            await future.done;
            return result;
        }""",
        code,
    )


def write_notebook(path: Path, *sources: str) -> Path:
    """Write a notebook with one code cell per source (unexecuted) to ``path``."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path


def go_to_address(page: Page, url: str, index: int = 0) -> None:
    """Type ``url`` into a widget's (the first one's) address bar and press Enter, as a user
    does."""
    address = page.locator(".cobrowse-address").nth(index)
    address.fill(url)
    address.press("Enter")


def wait_for_address(page: Page, url: str, timeout_ms: int = 15_000) -> None:
    """Wait until the (first) widget's address bar shows ``url``."""
    page.wait_for_function(
        """(url) => {
            const input = document.querySelector('.cobrowse-address');
            return input && input.value === url;
        }""",
        arg=url,
        timeout=timeout_ms,
    )


READER_CONFIG = '''
from jupyter_server.auth import Authorizer, IdentityProvider, User

TOKENS = {tokens!r}


class TokenUsers(IdentityProvider):
    """Each test token logs in its own user (then the login cookie keeps them); the server's
    own token still works."""

    async def get_user_token(self, handler):
        username = TOKENS.get(self.get_token(handler) or "")
        if username:
            return User(username=username, display_name=username.title())
        return await super().get_user_token(handler)


class ReadOnlyCoBrowsing(Authorizer):
    """The reader may only read the "cobrowse" resource; everything else is allowed."""

    async def is_authorized(self, handler, user, action, resource):
        return not (user.username == "reader" and resource == "cobrowse" and action != "read")


c.ServerApp.identity_provider_class = TokenUsers
c.ServerApp.authorizer_class = ReadOnlyCoBrowsing
'''


def write_reader_config(tmp: Path, tokens: dict[str, str]) -> None:
    """Before ``running_lab(tmp, ...)``: log in users by token (``{token: username}``); the user
    named "reader" may only read co-browsing (an async Authorizer)."""
    config = tmp / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "jupyter_server_config.py").write_text(READER_CONFIG.format(tokens=tokens))

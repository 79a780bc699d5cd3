"""A real JupyterHub on loopback for browser tests: the co-browsing service, a dummy
authenticator and local single-user servers (tests/hub/jupyterhub_config.py)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page

from ..sites.static_site import free_port
from .lab import PAGE_CONFIG, USER_SETTINGS, _wait_until_up, wait_for_notebook

CONFIG = Path(__file__).resolve().parents[1] / "hub" / "jupyterhub_config.py"


@dataclass
class Hub:
    """A running JupyterHub and where its parts are."""

    url: str
    homes: Path
    log: Path
    service_port: int
    process: subprocess.Popen = field(repr=False)

    def stop_service(self) -> None:
        """Stop the co-browsing service as the hub would (SIGTERM), by its process id; the hub
        starts it again when it next polls it (every 30 s)."""
        service = next(
            int(pid)
            for pid in os.listdir("/proc")
            if pid.isdigit() and _is_service_of(int(pid), self.process.pid)
        )
        os.kill(service, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while _is_service_of(service, self.process.pid):
            assert time.monotonic() < deadline, "the service did not stop"
            time.sleep(0.1)

    @property
    def room_store(self) -> Path:
        """The service's SQLite room store (its data directory is the test's)."""
        return self.log.parent / "hub" / "cobrowse" / "cobrowse" / "service-rooms.db"

    def home(self, user: str) -> Path:
        """``user``'s home (their server's root), with the test's JupyterLab settings."""
        home = self.homes / user
        settings = home / ".jupyter" / "lab" / "user-settings"
        for name, values in USER_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        labconfig = home / ".jupyter" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
        return home

    def log_in(self, page: Page, user: str, path: str) -> None:
        """Log ``user`` in (any password: the dummy authenticator), which starts their own
        server; ``path`` opens in JupyterLab there (see ``wait_for_lab``)."""
        page.goto(f"{self.url}/hub/login?next=" + _spawn_then(user, path))
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", "any")
        page.click("input[type=submit], button[type=submit]")

    def wait_for_lab(self, page: Page) -> None:
        """Wait until the page logged in is JupyterLab with the notebook's kernel idle."""
        page.wait_for_url("**/lab/tree/**", timeout=90_000)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        wait_for_notebook(page)


def _is_service_of(pid: int, hub: int) -> bool:
    """Whether process ``pid`` is the running co-browsing service that the hub ``hub`` started."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    state, parent = stat.rsplit(")", 1)[1].split()[:2]  # after the command's name
    return int(parent) == hub and state != "Z" and b"jupyter_ext.hub" in command


def _spawn_then(user: str, path: str) -> str:
    """The hub's address that starts ``user``'s server, then opens ``path`` in JupyterLab
    (visiting a stopped server's address does not start it)."""
    return quote(f"/hub/spawn/{user}?next=" + quote(f"/user/{user}/lab/tree/{path}"))


@contextmanager
def running_hub(tmp: Path) -> Iterator[Hub]:
    """Start JupyterHub (with configurable-http-proxy and cobrowse-service) on free loopback
    ports in ``tmp``; stop it, its service and every server it started afterwards."""
    if shutil.which("configurable-http-proxy") is None:
        raise RuntimeError(
            "configurable-http-proxy not found: npm install -g configurable-http-proxy"
        )
    hub_dir, homes = tmp / "hub", tmp / "homes"
    hub_dir.mkdir()
    homes.mkdir()
    port, service_port = free_port(), free_port()
    env = {
        **os.environ,
        "HUB_PORT": str(port),
        "HUB_API_PORT": str(free_port()),
        "HUB_PROXY_API_PORT": str(free_port()),
        "COBROWSE_SERVICE_PORT": str(service_port),
        "HUB_DIR": str(hub_dir),
        "HUB_HOMES": str(homes),
    }
    log = tmp / "hub.log"
    command = [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG), "--debug"]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=hub_dir
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/hub/health", process, log)
        # the service's sign-in page: it sends a browser without its cookie to the hub's login
        _wait_until_up(f"{url}/services/cobrowse/cobrowse/login", process, log)
        yield Hub(url, homes, log, service_port, process)
    finally:
        process.terminate()  # the hub stops its servers, its service and its proxy
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        proxy = hub_dir / "proxy.pid"  # removed by a hub that stopped its proxy itself
        if proxy.exists():
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(proxy.read_text()), signal.SIGTERM)

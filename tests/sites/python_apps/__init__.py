"""Real Python web apps (Dash, Streamlit) served on loopback in subprocesses, for the browser
tests of form fields: ``start_dash`` and ``start_streamlit`` launch one on a free port and return
at once, so they start together (and while Jupyter does); ``App.wait`` returns once it answers,
``stopping`` stops them afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..static_site import free_port

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


@dataclass
class App:
    """A launched app: its base URL, the address that says it is up, its process and log."""

    url: str
    health: str
    process: subprocess.Popen[bytes]
    log: Path

    def wait(self, timeout: float = 60) -> None:
        """Return once the app answers its health address; fail if it exits or never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.url} exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.health, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)  # nothing to wait on but the socket: poll it
        raise RuntimeError(f"{self.url} did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _launch(command: list[str], url: str, health: str, log: Path, cwd: Path) -> App:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    return App(url, health, process, log)


def start_dash(host: str, tmp: Path) -> App:
    """The Dash app (dash_app.py) on ``host`` and a free port."""
    port = free_port(host)
    url = f"http://{host}:{port}/"
    command = [sys.executable, "-m", "tests.sites.python_apps.dash_app", host, str(port)]
    return _launch(command, url, url, tmp / "dash.log", tmp)


def start_streamlit(host: str, tmp: Path) -> App:
    """The Streamlit app (streamlit_app.py) on ``host`` and a free port: headless, no usage
    statistics, no file watcher, nothing written outside ``tmp``."""
    port = free_port(host)
    url = f"http://{host}:{port}/"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(HERE / "streamlit_app.py"),
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        f"--server.address={host}",
        f"--server.port={port}",
        "--global.developmentMode=false",
    ]
    return _launch(command, url, f"{url}_stcore/health", tmp / "streamlit.log", tmp)


@contextmanager
def stopping(*apps: App) -> Iterator[tuple[App, ...]]:
    """Stop every app on the way out (``App.wait`` says when one is up)."""
    try:
        yield apps
    finally:
        for app in apps:
            app.stop()

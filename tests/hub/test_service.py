"""cobrowse-service's settings and rooms: the extension's traits from a config file and the
command line, presenter groups, and rooms kept in SQLite by default, restored after the
service restarts (stopped as JupyterHub stops it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pycrdt.store import SQLiteYStore
from traitlets.config import Config

from cobrowse_widget._schema import current_url, navigate
from jupyter_ext.app import CoBrowse
from jupyter_ext.hub import CoBrowseService
from jupyter_ext.hub._app import Listening

from .._room_client import Sink
from ..test_room_store import ALICE, update_of

ROOT = Path(__file__).resolve().parents[2]


def _service(tmp_path: Path, *argv: str) -> CoBrowseService:
    app = CoBrowseService(config=Config())  # not the singleton: one per test
    app.initialize([f"--CoBrowse.room_store_path={tmp_path / 'rooms.db'}", *argv])
    return app


def test_settings_come_from_the_config_file_and_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("cobrowse_service_config.py").write_text(
        'c.CoBrowse.presenter_groups = ["instructors"]\nc.CoBrowse.room_linger = 5.0\n'
    )
    app = _service(tmp_path, "--CoBrowse.room_linger=9")
    cobrowse = CoBrowse(config=app.config)
    assert cobrowse.presenter_groups == ["instructors"]
    assert cobrowse.room_linger == 9.0  # the command line wins
    assert cobrowse.room_store_class is SQLiteYStore  # the service keeps its rooms by default
    assert cobrowse.room_store_path == str(tmp_path / "rooms.db")


def test_rooms_may_be_kept_in_memory_only(tmp_path: Path) -> None:
    app = _service(tmp_path, "--CoBrowse.room_store_class=None")
    assert CoBrowse(config=app.config).room_store_class is None


async def test_a_room_outlives_a_restart_of_the_service(tmp_path: Path) -> None:
    app = _service(tmp_path, "--CoBrowse.room_store_max_size=1.0")
    first = CoBrowse(config=app.config)
    first.start_services(Listening("127.0.0.1", 10101))
    store = first.rooms.store("web-101") if first.rooms.store else None
    assert isinstance(store, SQLiteYStore) and store.cleanup_when_db_size_above == 1.0
    room, peer = await first.rooms.open("web-101"), Sink()
    room.join(peer, ALICE)
    room.receive(peer, update_of(lambda doc: navigate(doc, "https://example.org/lesson")))
    await first.stop_services()  # SIGTERM: what is pending is written

    again = CoBrowse(config=app.config)
    again.start_services(Listening("127.0.0.1", 10101))
    try:
        restored = await again.rooms.open("web-101")  # restored on the first join
        assert current_url(restored.doc) == "https://example.org/lesson"
    finally:
        await again.stop_services()


def test_the_command_says_its_settings_and_needs_a_hub(tmp_path: Path) -> None:
    """``cobrowse-service`` (pyproject's script) is ``python -m jupyter_ext.hub``: its help lists
    the extension's settings; started outside JupyterHub it says so and stops."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[project.scripts]\ncobrowse-service = "jupyter_ext.hub:main"' in pyproject
    command = [sys.executable, "-m", "jupyter_ext.hub"]
    shown = subprocess.run([*command, "--help-all"], capture_output=True, text=True, check=True)
    assert "--CoBrowse.presenter_groups" in shown.stdout
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
    env["JUPYTER_DATA_DIR"] = str(tmp_path)
    alone = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert alone.returncode == 2
    assert "JUPYTERHUB_API_TOKEN is not set: run cobrowse-service from JupyterHub" in alone.stderr

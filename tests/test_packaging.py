"""Packaging facts kept in one place: the version, the licence, the bundles a wheel ships."""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

import cobrowse_widget

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_is_written_once() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "cobrowse_widget/__init__.py"
    assert "version" not in json.loads((ROOT / "js" / "package.json").read_text())
    assert version("cobrowse-widget") == cobrowse_widget.__version__


def test_the_declared_licence_ships() -> None:
    assert PYPROJECT["project"]["license"] == "BSD-3-Clause"
    assert "Redistribution and use in source and binary forms" in (ROOT / "LICENSE").read_text()


def test_the_sdist_carries_the_bundles_its_wheel_skips_npm_for() -> None:
    hatch = PYPROJECT["tool"]["hatch"]["build"]
    bundles = hatch["hooks"]["jupyter-builder"]["ensured-targets"]
    assert hatch["hooks"]["jupyter-builder"]["skip-if-exists"] == bundles
    shipped = hatch["targets"]["sdist"]["artifacts"]
    assert all(any(Path(b).match(pattern) for pattern in shipped) for b in bundles)

"""The quality gates run with the tests: ruff, mypy, Prettier and ESLint pass on the sources."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(*command: str, cwd: Path = REPO) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_lint() -> None:
    run(sys.executable, "-m", "ruff", "check", ".")


def test_ruff_format() -> None:
    run(sys.executable, "-m", "ruff", "format", "--check", ".")


def test_mypy() -> None:
    run(sys.executable, "-m", "mypy")


@pytest.mark.parametrize("script", ["check-format", "lint", "test"])
def test_javascript(script: str) -> None:
    if shutil.which("npm") is None or not (REPO / "js" / "node_modules" / "eslint").is_dir():
        pytest.fail("npm and js/node_modules are needed (pip install builds them)")
    run("npm", "run", "--silent", script, cwd=REPO / "js")

"""The server extension loads what it serves with, not the widget's front-end dependencies."""

from __future__ import annotations

import subprocess
import sys

WIDGET_ONLY = ("anywidget", "ipywidgets", "IPython")
SERVER = ("jupyter_server", "tornado", "aiohttp", "jupyter_ext.app")


def _loaded_after(statement: str, watched: tuple[str, ...] = WIDGET_ONLY) -> list[str]:
    code = f"import sys\n{statement}\nprint(' '.join(m for m in {watched!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_the_server_extension_does_not_import_the_widget():
    assert _loaded_after("import jupyter_ext") == []


def test_the_widget_is_imported_when_asked_for():
    assert _loaded_after("import cobrowse_widget") == []
    assert _loaded_after("from cobrowse_widget import CoBrowser") == list(WIDGET_ONLY)


def test_each_concern_loads_only_what_it_uses():
    """The rewriter is pure (benchmarks and the fuzzer load it alone), and the handlers get
    their services from the app rather than importing it."""
    assert _loaded_after("import jupyter_ext.rewrite", SERVER) == []
    assert _loaded_after("import jupyter_ext", SERVER) == []
    assert "jupyter_ext.app" not in _loaded_after("import jupyter_ext.handlers", SERVER)


def test_the_room_store_is_loaded_only_when_configured():
    assert _loaded_after("import jupyter_ext.app", ("pycrdt.store", "sqlite_anyio")) == []

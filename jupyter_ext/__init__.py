"""The cobrowse-widget Jupyter server extension: rewriting proxy and room hub."""

from __future__ import annotations

from typing import Any

from ._app import CoBrowse

__all__ = ["CoBrowse"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "jupyter_ext", "app": CoBrowse}]

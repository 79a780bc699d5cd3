"""The cobrowse-widget Jupyter server extension: rewriting proxy and room hub.

Subpackages by concern: ``rewrite`` (pure rewriting and URL mapping), ``proxy`` (the upstream
client, sessions, jar, cache, header rules, one exchange), ``rooms`` (the room hub and frame
checks), ``handlers`` (thin tornado handlers over those services); ``app`` wires them together.
Importing the package loads none of them: Jupyter asks for the app when it starts the extension.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import CoBrowse

__all__ = ["CoBrowse"]


def __getattr__(name: str) -> Any:
    if name == "CoBrowse":
        from .app import CoBrowse

        return CoBrowse
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import CoBrowse

    return [{"module": "jupyter_ext", "app": CoBrowse}]

"""Co-browse web pages together inside Jupyter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._shared import DEMO_URL

if TYPE_CHECKING:
    from ._widget import CoBrowser

__all__ = ["DEMO_URL", "CoBrowser"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The widget is imported when first asked for: the server extension imports this package
    for what it shares (``_shared``) and must not load anywidget, ipywidgets and IPython."""
    if name == "CoBrowser":
        from ._widget import CoBrowser

        return CoBrowser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Co-browse web pages together inside Jupyter."""

from __future__ import annotations

from ._demo import DEMO_URL
from ._widget import CoBrowser

__all__ = ["DEMO_URL", "CoBrowser"]
__version__ = "0.1.0"

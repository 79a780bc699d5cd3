"""Which attributes the HTML rewriter edits, on which elements, and how.

The attributes that hold URLs come from `url_attributes.json`, the table the agent runtime
(js/src/agent/runtime/html.js) and the benchmark's oracle read too; this module adds the edits
that keep a page inside its iframe and working through the proxy (targets, CSP, integrity).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib.resources import files
from typing import NamedTuple

from ._attr_values import unescape_attr


class Edit(NamedTuple):
    """How the rewriter treats an attribute: its `kind`, on `elements` (None: on any)."""

    kind: str
    elements: frozenset[str] | None

    def applies_to(self, element: str) -> bool:
        return self.elements is None or element in self.elements


def _load() -> dict[str, Edit]:
    table = json.loads(files(__package__).joinpath("url_attributes.json").read_text("utf-8"))
    return {
        name: Edit(entry["kind"], None if entry["markup"] == "*" else frozenset(entry["markup"]))
        for name, entry in table["attributes"].items()
    }


URL_ATTRIBUTES: Mapping[str, Edit] = _load()
"""Attributes that hold URLs (url_attributes.json): kind and the elements the proxy rewrites
them on in the HTML it serves."""

# Attributes whose whole value is one URL on any element: a plainly relative one needs no change.
ANY_ELEMENT_URLS = tuple(
    name for name, e in URL_ATTRIBUTES.items() if e.kind == "url" and e.elements is None
)
DROPPED = frozenset({"integrity"})  # proxied bodies may differ from what was hashed
EDITS: Mapping[str, Edit] = {
    **URL_ATTRIBUTES,
    # Navigating `target`s; `_top` and `_parent` would leave the iframe.
    "target": Edit("target", frozenset({"a", "area", "form", "base"})),
    "formtarget": Edit("target", frozenset({"button", "input"})),
    "http-equiv": Edit("csp", frozenset({"meta"})),  # when it is Content-Security-Policy
    **{name: Edit("drop", None) for name in DROPPED},
}
"""Every attribute the rewriter may change or drop."""

_ESCAPING_TARGETS = frozenset({"_top", "_parent"})


def neutralise_csp(http_equiv: str) -> str:
    """Disable a `<meta http-equiv=Content-Security-Policy>`: its rules name upstream origins."""
    return "x-cobrowse-disabled-" + http_equiv


def contain_target(target: str) -> str:
    """Keep navigation inside the iframe: `_top` and `_parent` become `_self` (`_blank` stays,
    popups inherit the sandbox)."""
    decoded = unescape_attr(target).strip("\t\n\f\r ").lower()
    return "_self" if decoded in _ESCAPING_TARGETS else target

"""The one URL-attribute table (jupyter_ext/rewrite/url_attributes.json): the agent runtime's copy
agrees with it, and the proxy's rewriter proxies every attribute it lists where it lists it."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

import pytest

from jupyter_ext.rewrite import URL_ATTRIBUTES, rewrite_html

JS = Path(__file__).resolve().parents[1] / "js"
TABLE = json.loads(files("jupyter_ext.rewrite").joinpath("url_attributes.json").read_text())
P = "/p/"
BASE = "https://site.test/dir/page.html"


def _runtime_table() -> dict[str, list[str]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed")
    script = (
        'import { ATTRIBUTES } from "./src/agent/runtime/html.js";'
        "console.log(JSON.stringify(ATTRIBUTES));"
    )
    out = subprocess.check_output([node, "--input-type=module", "-e", script], cwd=JS, text=True)
    table: dict[str, list[str]] = json.loads(out)
    return table


def test_the_agent_runtime_maps_the_tables_dom_attributes() -> None:
    """The runtime's table is the shared table's entries with `dom` elements, kind for kind and
    element for element."""
    runtime = {
        name: (kind, sorted(set(tags.split()))) for name, (kind, tags) in _runtime_table().items()
    }
    shared = {
        name: (entry["kind"], ["*"] if entry["dom"] == "*" else sorted(entry["dom"]))
        for name, entry in TABLE["attributes"].items()
        if "dom" in entry
    }
    assert runtime == shared


def test_the_proxy_rewrites_in_markup_wherever_the_runtime_maps() -> None:
    for name, entry in TABLE["attributes"].items():
        if "dom" in entry and entry["markup"] != "*":
            assert entry["dom"] != "*" and set(entry["dom"]) <= set(entry["markup"]), name


# A value of each kind holding https://evil.example/x, and what the rewriter makes of it.
VALUES = {
    "url": ("https://evil.example/x", "/p/https/evil.example/x"),
    "list": ("https://evil.example/x", "/p/https/evil.example/x"),
    "srcset": ("https://evil.example/x 2x", "/p/https/evil.example/x 2x"),
    "css": ("url(https://evil.example/x)", "url(/p/https/evil.example/x)"),
    "refresh": ("0; url=https://evil.example/x", "0; url=/p/https/evil.example/x"),
    "animation": ("https://evil.example/x", "/p/https/evil.example/x"),
    "animation-list": ("https://evil.example/x", "/p/https/evil.example/x"),
    "html": ("<img src=https://evil.example/x>", "<img src=/p/https/evil.example/x>"),
}
# What else an element needs for the attribute to hold a URL.
CONTEXT = {"refresh": ' http-equiv="refresh"', "animation": ' attributename="href"'}
CONTEXT["animation-list"] = CONTEXT["animation"]


@pytest.mark.parametrize("name", list(TABLE["attributes"]))
def test_the_rewriter_proxies_every_attribute_of_the_table(name: str) -> None:
    """On each element the table lists (or any: a made-up one stands for them), the value is
    proxied; on another element an attribute limited to some is left alone."""
    edit = URL_ATTRIBUTES[name]
    value, proxied = VALUES[edit.kind]
    context = CONTEXT.get(edit.kind, "")
    for element in sorted(edit.elements or {"x-any"}):
        page = f'<{element}{context} {name}="{value}">'
        assert rewrite_html(page, BASE, P) == page.replace(value, proxied), page
    if edit.elements is not None:
        page = f'<x-other{context} {name}="{value}">'
        assert rewrite_html(page, BASE, P) == page, page

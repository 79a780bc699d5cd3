"""A typed address means the same page whether Python (``cb.goto``) or the address bar (the
widget's navigation.js) normalises it: both follow the WHATWG URL Standard for http(s)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cobrowse_widget._widget import normalize_url

JS = Path(__file__).resolve().parents[1] / "js"
TYPED = [
    "docs.python.org/3/",
    " https://Example.ORG ",
    "http://example.org:80/a b?q=1#top",
    "https://example.org:443/",
    "example.org:8080",
    "localhost:8888/lab",
    "http://[::1]:8000/",
    "https://münchen.example/straße",
    "HTTPS://EXAMPLE.org/%7Euser/",
    "https://example.org/a/../b/./c",
    "https://user:pw@example.org/",
    "javascript:alert(1)",
    "ftp://example.org/",
    "data:text/html,hi",
    "",
    "https://",
    "http://exa mple.org/",
    "mailto:someone@example.org",
    "about:blank",
    "example.org:8080/x?y",
    "http:example.org/x",
]


def _python(typed: str) -> str | None:
    try:
        return normalize_url(typed)
    except ValueError:
        return None


def test_python_and_the_address_bar_agree(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (JS / "node_modules").is_dir():
        pytest.fail("node and js/node_modules are needed (pip install builds them)")
    code = (
        'import { normalizeUrl } from "./src/navigation.js";\n'
        f"const typed = {json.dumps(TYPED)};\n"
        "console.log(JSON.stringify(typed.map((t) => normalizeUrl(t))));\n"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", code],
        cwd=JS, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    from_js = json.loads(done.stdout)
    assert {t: _python(t) for t in TYPED} == dict(zip(TYPED, from_js, strict=True))

"""A doc written by the Python schema is read by the JS schema, and the other way round."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from pycrdt import Doc, Map

from cobrowse_widget import _schema

JS = Path(__file__).resolve().parents[1] / "js"


@pytest.fixture
def node() -> str:
    path = shutil.which("node")
    if path is None or not (JS / "node_modules" / "yjs").is_dir():
        pytest.fail("node and js/node_modules are needed (pip install builds them)")
    return path


def _run_js(
    node: str, doc: Doc, navigate: list[str], back: bool, fields: list[dict] | None = None
) -> dict:
    payload = {
        "update": base64.b64encode(doc.get_update()).decode(),
        "navigate": navigate,
        "back": back,
        "fields": fields or [],
    }
    result = subprocess.run(
        [node, "tests/schema-roundtrip.mjs"],
        input=json.dumps(payload),
        cwd=JS,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def test_python_and_js_read_each_others_documents(node: str) -> None:
    doc = Doc()
    _schema.navigate(doc, "https://a.example/")
    _schema.navigate(doc, "https://b.example/")
    assert _schema.go(doc, -1)
    _schema.navigate(doc, "https://c.example/")  # drops b from the forward history

    out = _run_js(node, doc, navigate=["https://d.example/", "https://e.example/"], back=True)
    assert out["seen"] == {
        "url": "https://c.example/",
        "index": 1,
        "history": ["https://a.example/", "https://c.example/"],
    }

    back = Doc()
    back.apply_update(base64.b64decode(out["update"]))
    assert _schema.current_url(back) == "https://d.example/"
    assert _schema.history(back) == [
        "https://a.example/",
        "https://c.example/",
        "https://d.example/",
        "https://e.example/",
    ]
    scroll = back.get(_schema.SCROLL, type=Map)
    assert scroll["url"] == "https://d.example/"
    assert json.loads(scroll["anchor"]) == {"locator": None, "ratio": 0.5, "fraction": 0.25}
    assert int(scroll["by"]) > 0


def test_both_sides_keep_the_latest_history_entries(node: str) -> None:
    doc = Doc()
    for i in range(_schema.MAX_HISTORY + 50):
        _schema.navigate(doc, f"https://py.example/{i}")
    assert len(_schema.history(doc)) == _schema.MAX_HISTORY

    extra = [f"https://js.example/{i}" for i in range(30)]
    out = _run_js(node, doc, navigate=extra, back=False)
    assert out["seen"]["index"] == _schema.MAX_HISTORY - 1
    assert out["seen"]["history"][0] == "https://py.example/50"
    assert len(out["seen"]["history"]) == _schema.MAX_HISTORY

    back = Doc()
    back.apply_update(base64.b64decode(out["update"]))
    entries = _schema.history(back)
    assert len(entries) == _schema.MAX_HISTORY
    assert entries[0] == "https://py.example/80"
    assert entries[-1] == extra[-1] == _schema.current_url(back)
    page, _, _ = _schema.roots(back)
    assert int(page["index"]) == _schema.MAX_HISTORY - 1
    assert _schema.go(back, -1) and _schema.current_url(back) == extra[-2]


def test_overlong_urls_are_refused() -> None:
    doc = Doc()
    with pytest.raises(ValueError, match="limited to 8192 characters"):
        _schema.navigate(doc, "https://e.example/" + "a" * _schema.MAX_URL)
    assert _schema.history(doc) == []


def test_python_reads_the_form_fields_the_widget_writes(node: str) -> None:
    edits = [
        {"key": "#name", "kind": "text", "base": "", "value": "Ada"},
        {"key": "#name", "kind": "text", "base": "Ada", "value": "Ada L."},
        {"key": "#agree", "kind": "check", "value": True},
        {"key": "radio size", "kind": "value", "value": "m"},
        {"key": "#langs", "kind": "multi", "value": ["py", "rs"]},
        {"key": "#pin", "kind": "private", "value": None},
    ]
    out = _run_js(node, Doc(), navigate=["https://forms.example/a#top"], back=False, fields=edits)
    back = Doc()
    back.apply_update(base64.b64decode(out["update"]))
    url = _schema.current_url(back)
    assert _schema.page_fields(back, url) == {
        "#name": "Ada L.",
        "#agree": True,
        "radio size": "m",
        "#langs": ["py", "rs"],
        "#pin": None,
    }
    assert _schema.page_fields(back, "https://forms.example/other") == {}


def test_python_reads_each_participants_own_fields_in_practice_mode(node: str) -> None:
    edits = [
        {"key": "#answer", "kind": "text", "base": "", "value": "a proxy", "owner": "ann"},
        {"key": "#answer", "kind": "text", "base": "", "value": "rewrites", "owner": "b o%20b"},
        {"key": "#agree", "kind": "check", "value": True, "owner": "b o%20b"},
    ]
    out = _run_js(node, Doc(), navigate=["https://forms.example/a"], back=False, fields=edits)
    back = Doc()
    back.apply_update(base64.b64decode(out["update"]))
    url = _schema.current_url(back)
    assert _schema.answers(back, url) == {
        "ann": {"#answer": "a proxy"},
        "b o%20b": {"#answer": "rewrites", "#agree": True},
    }
    assert _schema.page_fields(back, url, "ann") == {"#answer": "a proxy"}
    assert _schema.page_fields(back, url) == {}  # the room's shared fields: none


def test_privacy_selectors_are_checked_in_python() -> None:
    assert _schema.check_selectors(["input.ssn", "[data-x] > input"]) == [
        "input.ssn",
        "[data-x] > input",
    ]
    with pytest.raises(ValueError, match="not a CSS selector"):
        _schema.check_selectors(["input["])
    with pytest.raises(ValueError, match="1-512 characters"):
        _schema.check_selectors([""])
    with pytest.raises(ValueError, match="at most 64"):
        _schema.check_selectors(["a"] * 65)

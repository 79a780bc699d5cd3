"""Strict checks of y-sync and awareness frames, against the frames that crash or bloat pycrdt."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pycrdt import (
    Array,
    Doc,
    Map,
    Text,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    write_message,
    write_var_uint,
)

from jupyter_ext.rooms._frames import (
    AwarenessState,
    FrameError,
    check_state_vector,
    check_update,
    encode_awareness,
    read_awareness,
    read_sync,
)

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "js"
v = write_var_uint


def _item(content_ref: int, content: bytes) -> bytes:
    """An update with one item in the root map ``page`` under key ``url``."""
    return (
        v(1) + v(1) + v(7) + v(0)  # one client, one struct, client 7, clock 0
        + bytes([content_ref | 0x20]) + v(1) + write_message(b"page") + write_message(b"url")
        + content
        + v(0)  # empty delete set
    )  # fmt: skip


# Each was measured against pycrdt 0.14 directly: a gigabyte for the first three, a segfault
# for the last (the Any decoder recurses without a bound).
BOMBS = {
    "state vector of 2**29 clients": create_sync_message(Doc())[:2]
    + write_message(v(2**29) + b"\x01\x01"),
    "update of 2**29 clients": create_update_message(v(2**29) + b"\x01\x01\x01"),
    "Any map of 2**28 entries": create_update_message(
        _item(8, v(1) + b"\x76" + v(2**28) + write_message(b"k") + b"\x7e")
    ),
    "Any arrays nested 100000 deep": create_update_message(
        _item(8, v(1) + b"\x75\x01" * 100_000 + b"\x7e")
    ),
}

ATTACK = textwrap.dedent(
    """
    import resource, sys, types
    package = types.ModuleType("jupyter_ext")  # the room alone, without the whole server
    package.__path__ = [sys.argv[1]]
    sys.modules["jupyter_ext"] = package
    from jupyter_ext.rooms._hub import Room
    page = resource.getpagesize()
    size = int(open("/proc/self/statm").read().split()[0]) * page
    resource.setrlimit(resource.RLIMIT_AS, (size + 256 * 2**20, resource.RLIM_INFINITY))
    class Sink:
        def send(self, message): pass
    room, peer = Room("r"), Sink()
    room.join(peer, {"username": "u", "name": "u", "color": "#000"})
    try:
        room.receive(peer, bytes.fromhex(sys.stdin.read()))
    except ValueError as exc:
        print(type(exc).__name__)
    """
)


@pytest.mark.parametrize("frame", BOMBS.values(), ids=BOMBS.keys())
def test_a_room_refuses_frames_that_bloat_or_crash_pycrdt(frame):
    """Run in a process held to 256 MB more than it starts with: an unchecked frame makes
    pycrdt abort (out of memory) or segfault there; a checked one is refused."""
    run = subprocess.run(
        [sys.executable, "-c", ATTACK, str(ROOT / "jupyter_ext")],
        input=frame.hex(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stdout.strip()) == (0, "FrameError"), run.stderr[-2000:]


@pytest.mark.parametrize(
    "state",
    [v(3) + b"\x01\x01", v(1) + b"\x01", v(1) + b"\x01\x01\x00", v(1) + b"\xff" * 11 + b"\x01"],
    ids=["count past end", "truncated", "trailing", "number too large"],
)
def test_state_vectors_are_checked(state):
    with pytest.raises(FrameError):
        check_state_vector(state)


@pytest.mark.parametrize(
    "update",
    [
        _item(8, v(1) + b"\x75" + v(10) + b"\x7e"),  # array claims more than it holds
        _item(8, v(1) + b"\x76" + v(10) + write_message(b"k") + b"\x7e"),
        _item(8, v(1) + b"\x6f"),  # unknown Any tag
        _item(11, b"\x00"),  # yrs' move content: no Yjs client sends it
        v(0) + v(2**20) + b"\x01",  # delete set claims more clients than it holds
        v(0) + v(0) + b"\x00",  # trailing
    ],
)
def test_updates_are_checked(update):
    with pytest.raises(FrameError):
        check_update(update)


def _pycrdt_updates() -> list[bytes]:
    doc, updates = Doc(), []
    doc.observe(lambda event: updates.append(event.update))
    page = doc.get("page", type=Map)
    page["url"] = "https://example.org/caf\u00e9"
    page["any"] = [1, 2.5, {"a": [None, True, False, "s", 2**40]}]
    text = Text("hello")
    page["text"] = text
    text.insert(2, "XYZ")
    del text[0:3]
    text.format(0, 2, {"bold": True})
    items = Array([1, 2, 3])
    page["items"] = items
    items.append(Map({"k": "v"}))
    del items[0]
    return [*updates, doc.get_update()]


def test_what_pycrdt_writes_passes():
    for update in _pycrdt_updates():
        check_update(update)
        assert read_sync(create_update_message(update))[1] == update
    check_state_vector(Doc().get_state())


YJS_FRAMES = """
import * as Y from "yjs";
const out = [];
const doc = new Y.Doc();
doc.on("update", (u) => out.push(u));
const m = doc.getMap("page");
m.set("url", "https://example.org/caf\u00e9");
m.set("any", { a: [1, 2.5, null, true, false, "s", new Uint8Array([1])], b: 2n ** 60n });
const t = new Y.Text();
m.set("t", t);
t.insert(0, "hello world");
t.format(0, 5, { bold: true });
t.insertEmbed(3, { image: "x.png" });
t.delete(1, 2);
const x = doc.getXmlFragment("x");
const el = new Y.XmlElement("p");
x.insert(0, [el]);
el.setAttribute("class", "c");
el.insert(0, [new Y.XmlText("hi")]);
x.insert(1, [new Y.XmlHook("hook")]);
m.set("sub", new Y.Doc({ guid: "sub" }));
const arr = new Y.Array();
m.set("arr", arr);
arr.insert(0, [1, 2, 3, { k: [[[1]]] }]);
arr.delete(0, 2);
out.push(Y.encodeStateAsUpdate(doc));
const b64 = (u) => Buffer.from(u).toString("base64");
console.log(JSON.stringify({ updates: out.map(b64), state: b64(Y.encodeStateVector(doc)) }));
"""


def test_what_yjs_writes_passes():
    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / "yjs").is_dir():
        pytest.fail("node and js/node_modules are needed (pip install builds them)")
    run = subprocess.run(
        [node, "--input-type=module", "-e", YJS_FRAMES],
        cwd=JS,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    frames = json.loads(run.stdout)
    for update in frames["updates"]:
        check_update(base64.b64decode(update))
    check_state_vector(base64.b64decode(frames["state"]))


def test_awareness_round_trips():
    entries = [
        AwarenessState(2**40, 3, {"user": {"name": "\u00e9"}, "pointer": None}),
        AwarenessState(5, 1, None),
    ]
    message = create_awareness_message(encode_awareness(entries))
    assert read_awareness(message, max_states=2) == entries


@pytest.mark.parametrize(
    "update",
    [
        v(2**29) + v(1) + v(1) + write_message(b"{}"),  # more states than the frame holds
        v(3) + (v(1) + v(1) + write_message(b"{}")) * 3,  # more than the cap of 2
        v(1) + v(1) + v(1) + write_message(b"[1]"),  # not an object
        v(1) + v(1) + v(1) + write_message(b"[" * 100_000),  # not JSON (too deep)
        v(1) + v(1) + v(1) + write_message(b"{}") + b"\x00",  # trailing
    ],
)
def test_awareness_updates_are_checked(update):
    with pytest.raises(FrameError):
        read_awareness(create_awareness_message(update), max_states=2)

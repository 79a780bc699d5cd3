"""The CoBrowser widget's Python API and its replica's sync protocol."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import traitlets
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import start_new_kernel
from pycrdt import (
    Array,
    Doc,
    Map,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)

from cobrowse_widget import DEMO_URL, CoBrowser, _schema, _widget
from cobrowse_widget._replica import Replica
from cobrowse_widget._widget import normalize_url

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("  example.org/a?b=1 ", "https://example.org/a?b=1"),
        ("HTTP://Example.org", "http://example.org/"),
        ("localhost:8888", "https://localhost:8888/"),
        ("https://example.org:443/#top", "https://example.org/#top"),
        ("http://[::1]:80/x", "http://[::1]/x"),
    ],
)
def test_normalize_url(typed: str, expected: str) -> None:
    assert normalize_url(typed) == expected


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x/"])
def test_non_web_addresses_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="only http and https"):
        CoBrowser(bad)


@pytest.mark.parametrize(
    "bad", ["http://", "https://exa mple.com/", "https://a:99999/", "https://"]
)
def test_addresses_without_a_valid_host_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid web address"):
        CoBrowser(bad)


def test_room_and_start_url_are_fixed_after_construction() -> None:
    cb = CoBrowser(DEMO_URL)
    with pytest.raises(traitlets.TraitError):
        cb.room = "other"
    assert cb.own_room and not CoBrowser(DEMO_URL, room="named").own_room


def test_bad_room_name_is_refused() -> None:
    with pytest.raises(ValueError, match="room"):
        CoBrowser(DEMO_URL, room="no spaces/slashes")


def test_a_widget_of_its_own_starts_on_its_url_and_navigates() -> None:
    cb = CoBrowser(DEMO_URL)
    assert cb.url == DEMO_URL
    assert repr(cb) == f"CoBrowser({DEMO_URL!r})"
    cb.goto(DEMO_URL + "tour.html")
    cb.url = "example.org"
    assert cb.history == [DEMO_URL, DEMO_URL + "tour.html", "https://example.org/"]
    assert cb.back() and cb.url == DEMO_URL + "tour.html"
    assert cb.forward() and cb.url == "https://example.org/"
    assert not cb.forward()


def test_overlong_addresses_are_refused_with_a_clear_error() -> None:
    long = DEMO_URL + "a" * 8192
    with pytest.raises(ValueError, match="limited to 8192 characters"):
        CoBrowser(long)
    cb = CoBrowser(DEMO_URL)
    with pytest.raises(ValueError, match="limited to 8192 characters"):
        cb.goto(long)
    assert cb.history == [DEMO_URL]


def test_named_room_takes_the_page_from_the_room() -> None:
    cb = CoBrowser(DEMO_URL, room="web-101")
    assert cb.room == "web-101"
    assert repr(cb) == f"CoBrowser({DEMO_URL!r}, room='web-101')"  # says how to join it again
    assert cb.history == []  # the room decides; start_url is only a fallback
    assert cb.url == DEMO_URL


def test_replica_syncs_with_a_yjs_style_peer() -> None:
    """The kernel replica against a peer that answers like y-protocols (step 2 only)."""
    to_peer: list[bytes] = []
    replica = Replica(to_peer.append)
    peer = Doc()
    with replica.locked() as doc:
        _schema.navigate(doc, "https://one.example/")
    to_peer.clear()
    _schema.navigate(peer, "https://peer.example/")

    # The front-end opens with its step 1; the replica answers step 2 and asks in turn.
    replies = replica.receive(create_sync_message(peer))
    assert len(replies) == 2
    handle_sync_message(replies[0][1:], peer)
    answer = handle_sync_message(replies[1][1:], peer)
    assert answer is not None
    assert replica.receive(answer) == []
    with replica.locked() as doc:
        merged = _schema.history(doc)
    assert sorted(merged) == sorted(_schema.history(peer))
    assert set(merged) == {"https://one.example/", "https://peer.example/"}

    # Later local changes go out as updates; applied remote ones are not echoed.
    with replica.locked() as doc:
        _schema.navigate(doc, "https://two.example/")
    assert len(to_peer) == 1
    handle_sync_message(to_peer.pop()[1:], peer)
    assert _schema.current_url(peer) == "https://two.example/"
    _schema.navigate(peer, "https://three.example/")
    replica.receive(create_update_message(peer.get_update(Doc().get_state())))
    assert to_peer == []
    assert "https://three.example/" in replica.doc.get("history", type=Array).to_py()


def test_replica_ignores_non_sync_messages() -> None:
    sent: list[bytes] = []
    replica = Replica(sent.append)
    assert replica.receive(b"") == []
    assert replica.receive(b"\x01\x00") == []
    assert sent == []


def _from_front_end(
    cb: CoBrowser, content: dict[str, object], buffers: list[bytes] | None = None
) -> None:
    """Deliver a custom message as the comm does when a view sends one."""
    message = {"content": {"data": {"method": "custom", "content": content}}}
    cb._handle_msg({**message, "buffers": buffers or []})


def _warnings_from(deliver: Callable[[], None]) -> list[str]:
    """The warnings (every one, not once per place) raised while ``deliver`` runs."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        deliver()
    return [str(w.message) for w in seen]


def test_a_server_without_the_extension_warns_once_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_widget, "_server_warned", False)
    reason = "The cobrowse-widget server extension is not running in this Jupyter server: ..."
    one, two = CoBrowser(DEMO_URL), CoBrowser(DEMO_URL, room="web-101")

    def views_report() -> None:
        _from_front_end(one, {"kind": "server", "ok": False, "reason": reason})
        _from_front_end(one, {"kind": "server", "ok": False, "reason": reason})
        _from_front_end(two, {"kind": "server", "ok": False, "reason": "another view"})

    assert _warnings_from(views_report) == [f"CoBrowser could not start co-browsing: {reason}"]


def test_the_warning_is_bounded_and_ignores_good_news(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_widget, "_server_warned", False)
    cb = CoBrowser(DEMO_URL)
    good = [{"kind": "server", "ok": True}, {"kind": "server"}, {"kind": "other", "ok": False}]
    assert _warnings_from(lambda: [_from_front_end(cb, m) for m in good]) == []
    bad = {"kind": "server", "ok": False, "reason": "x" * 100_000}
    (message,) = _warnings_from(lambda: _from_front_end(cb, bad))
    assert len(message) < _widget.MAX_REASON + 100


@pytest.fixture
def kernel() -> Iterator[BlockingKernelClient]:
    """A real IPython kernel (a subprocess, as Jupyter starts it) and a client of it."""
    manager, client = start_new_kernel(startup_timeout=60, cwd=str(REPO))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _run(client: BlockingKernelClient, code: str) -> tuple[str, list[str]]:
    """Execute ``code`` as a cell: its request's id and the text of the outputs it shows."""
    shown: list[str] = []

    def on_output(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            shown.append(msg["content"]["text"])
        elif msg["msg_type"] == "execute_result":
            shown.append(msg["content"]["data"]["text/plain"])

    reply = client.execute_interactive(code, output_hook=on_output, timeout=30)
    assert reply["content"]["status"] == "ok", reply["content"]
    return reply["parent_header"]["msg_id"], shown


def _stderr_after(
    client: BlockingKernelClient, comm_id: str, content: dict[str, Any]
) -> list[tuple[str | None, str]]:
    """Send a view's custom message as the front-end does (a comm message of its own); every
    stderr output until the kernel is idle again, as (request id it belongs to, text)."""
    msg = client.session.msg(
        "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
    )
    client.shell_channel.send(msg)
    seen = []
    while True:
        out = client.get_iopub_msg(timeout=30)
        parent = out["parent_header"].get("msg_id")
        if out["msg_type"] == "stream" and out["content"]["name"] == "stderr":
            seen.append((parent, out["content"]["text"]))
        idle = out["msg_type"] == "status" and out["content"]["execution_state"] == "idle"
        if idle and parent == msg["header"]["msg_id"]:
            return seen


def test_the_warning_shows_in_the_cell_that_displays_the_widget(
    kernel: BlockingKernelClient,
) -> None:
    """The view's report is a comm message, output of no cell: the kernel's warning must belong
    to the cell that displayed the widget (so JupyterLab shows it there), and come once."""
    _run(kernel, "from cobrowse_widget import DEMO_URL, CoBrowser\ncb = CoBrowser(DEMO_URL)")
    shown, _ = _run(kernel, "cb")
    _, (comm_id,) = _run(kernel, "print(cb.comm.comm_id)")
    report = {"kind": "server", "ok": False, "reason": "the extension is not running"}
    ((cell, text),) = _stderr_after(kernel, comm_id.strip(), report)
    assert cell == shown
    assert "UserWarning: CoBrowser could not start co-browsing: the extension is not running" in (
        text
    )
    assert _stderr_after(kernel, comm_id.strip(), report) == []  # once per kernel
    assert _run(kernel, "print('later')")[1] == ["later\n"]  # output is the running cell's again


def test_front_end_messages_are_typed_and_checked() -> None:
    """What a view sends is parsed in one place; anything malformed is ignored, and a reason
    is bounded before it reaches the warning."""
    from cobrowse_widget._widget import MAX_REASON, ServerReport, SyncMessage, parse_message

    assert parse_message({"kind": "sync"}, [memoryview(b"\x00\x01")]) == SyncMessage(b"\x00\x01")
    assert parse_message({"kind": "sync"}, []) is None  # no update to apply
    report = parse_message({"kind": "server", "ok": False, "reason": "x" * 5000}, [])
    assert report == ServerReport(ok=False, reason="x" * MAX_REASON)
    assert parse_message({"kind": "server", "ok": True}, []) == ServerReport(ok=True, reason="")
    for junk in (None, [], "sync", {"kind": "exec", "code": "1"}, {"no": "kind"}):
        assert parse_message(junk, [b"\x00"]) is None


def test_a_named_rooms_navigation_waits_for_the_rooms_state() -> None:
    """Run All in a fresh kernel, in a room that already shows a page: `cb.goto` runs before any
    view has brought the room's state to the kernel. Written at once, it would be concurrent with
    the room's history (both entries kept in an order chosen by client ids, and the page either
    one); held until a view says the room's state is in, it lands on top of the room's page."""
    room = Doc()  # the room as the server and every view hold it
    _schema.navigate(room, "https://lesson.example/1")
    _schema.navigate(room, "https://lesson.example/2")
    cb = CoBrowser(DEMO_URL, room="class")
    sent: list[bytes] = []
    cb.send = lambda content, buffers=None: sent.append(bytes(buffers[0]))

    cb.goto("https://lesson.example/3")
    assert cb.url == "https://lesson.example/3"  # what Python asked for, already
    assert cb.history == [] and sent == []  # nothing written beside a room it has not seen

    # The view passes the room's state on, then says it is in.
    state = create_update_message(room.get_update())
    _from_front_end(cb, {"kind": "sync"}, [state])
    _from_front_end(cb, {"kind": "room", "synced": True})
    assert cb.history == [f"https://lesson.example/{n}" for n in (1, 2, 3)]
    for update in sent:  # what the kernel wrote reaches the room as one more page
        handle_sync_message(update[1:], room)
    assert _schema.current_url(room) == "https://lesson.example/3"
    assert _schema.history(room) == cb.history

    cb.goto("https://lesson.example/4")  # from now on, at once
    assert cb.history[-1] == "https://lesson.example/4"


def test_privacy_settings_reach_the_views_and_bad_selectors_are_refused() -> None:
    cb = CoBrowser(DEMO_URL, private=["#ssn"], private_by_default=True, shared=["#answer"])
    state = cb.get_state()
    assert (state["private"], state["private_by_default"], state["shared"]) == (
        ["#ssn"],
        True,
        ["#answer"],
    )
    with pytest.raises(ValueError, match="not a CSS selector"):
        CoBrowser(DEMO_URL, private=["input["])
    with pytest.raises(ValueError, match="not a CSS selector"):
        cb.shared = ["::oops("]
    assert cb.shared == ["#answer"]
    assert cb.fields == {}  # nothing typed yet


def test_in_presenter_mode_only_the_presenters_kernel_moves_the_room() -> None:
    cb = CoBrowser(DEMO_URL)
    with cb._replica.locked() as doc:
        control = doc.get("control", type=Map)
        control["mode"], control["presenter"], control["owner"] = "presenter", "ann", "ann"
    cb._user = "bob"
    with pytest.raises(PermissionError, match="ann is presenting"):
        cb.goto("https://example.org/")
    with pytest.raises(PermissionError):
        cb.reload()
    cb._user = "ann"
    cb.goto("https://example.org/")
    assert cb.url == "https://example.org/"

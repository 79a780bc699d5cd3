"""Proxy sessions: one per room, found by capability, expiring when idle."""

from __future__ import annotations

import time

from jupyter_ext._sessions import SessionStore


def test_one_session_per_room_found_by_its_token() -> None:
    store = SessionStore(idle_timeout=60)
    a, b = store.for_room("a"), store.for_room("b")
    assert store.for_room("a") is a and a.token != b.token
    assert store.find(a.token) is a
    assert store.find(a.token[:-1] + "x") is None
    assert store.find("") is None


def test_idle_sessions_expire_with_their_token_and_jar(monkeypatch) -> None:
    store = SessionStore(idle_timeout=10)
    session = store.for_room("a")
    session.jar.store("https://example.org/", ["sid=1"])
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 11)
    assert store.find(session.token) is None
    fresh = store.for_room("a")
    assert fresh.token != session.token
    assert fresh.jar.header_for("https://example.org/") is None


def test_use_keeps_a_session_alive(monkeypatch) -> None:
    store = SessionStore(idle_timeout=10)
    session = store.for_room("a")
    start = time.monotonic()
    for step in (6, 12, 18):
        monkeypatch.setattr(time, "monotonic", lambda step=step: start + step)
        assert store.find(session.token) is session

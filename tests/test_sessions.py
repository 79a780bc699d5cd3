"""Proxy sessions: one per room, reached by capability tokens (one per site), expiring when idle."""

from __future__ import annotations

import time

import pytest

from jupyter_ext.proxy._budget import KeptBytes
from jupyter_ext.proxy._results import Result
from jupyter_ext.proxy._sessions import SessionStore, TooManySessions


def test_one_session_per_room_found_by_its_entry_token() -> None:
    store = SessionStore(idle_timeout=60)
    a, b = store.for_room("a"), store.for_room("b")
    assert store.for_room("a") is a and a.token != b.token
    found = store.find(a.token)
    assert found is not None and found.session is a and found.site is None
    assert store.find(a.token[:-1] + "x") is None
    assert store.find("") is None


def test_a_participants_own_session_is_apart_from_the_rooms_and_ends_with_it() -> None:
    store = SessionStore(idle_timeout=60)
    shared, ann, bob = store.for_room("a"), store.for_room("a", "ann"), store.for_room("a", "bob")
    assert len({shared.token, ann.token, bob.token}) == 3 and ann.jar is not shared.jar
    assert store.for_room("a", "ann") is ann and ann.room == "a" and ann.owner == "ann"
    store.release("a")
    assert len(store) == 0 and store.find(ann.token) is None


def test_each_site_has_its_own_token_in_the_session() -> None:
    store = SessionStore(idle_timeout=60)
    session = store.for_room("a")
    one = store.site_token(session, "https://example.org")
    assert store.site_token(session, "https://example.org") == one
    other = store.site_token(session, "https://example.com")
    assert len({session.token, one, other}) == 3
    found = store.find(other)
    assert found is not None and found.session is session and found.site == "https://example.com"


def test_idle_sessions_expire_with_all_tokens_and_the_jar(monkeypatch) -> None:
    store = SessionStore(idle_timeout=10)
    session = store.for_room("a")
    site = store.site_token(session, "https://example.org")
    session.jar.store("https://example.org/", ["sid=1"])
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 11)
    assert store.find(session.token) is None
    assert store.find(site) is None
    fresh = store.for_room("a")
    assert fresh.token != session.token
    assert fresh.jar.header_for("https://example.org/") is None


def test_use_keeps_a_session_alive(monkeypatch) -> None:
    store = SessionStore(idle_timeout=10)
    session = store.for_room("a")
    start = time.monotonic()
    for step in (6, 12, 18):
        monkeypatch.setattr(time, "monotonic", lambda step=step: start + step)
        found = store.find(session.token)
        assert found is not None and found.session is session


def test_a_released_room_ends_its_session_and_gives_back_its_bytes() -> None:
    kept = KeptBytes(10_000)
    store = SessionStore(idle_timeout=60, cache_size=4000, kept=kept)
    session = store.for_room("a")
    site = store.site_token(session, "https://example.org")
    session.results.keep("r1", Result("https://example.org/", "text/html", b"x" * 500))
    assert kept.used == 500
    store.release("a")
    assert store.find(session.token) is None and store.find(site) is None
    assert len(store) == 0 and kept.used == 0 and len(kept) == 0
    store.release("never-was")  # nothing to do


def test_sweep_ends_expired_sessions_unless_their_room_is_in_use(monkeypatch) -> None:
    busy = {"b"}
    store = SessionStore(idle_timeout=10, in_use=lambda room: room in busy)
    a, b = store.for_room("a"), store.for_room("b")
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 11)
    store.sweep()
    assert store.find(a.token) is None
    assert store.find(b.token) is not None and len(store) == 1


def test_one_budget_for_every_rooms_kept_results() -> None:
    kept = KeptBytes(1000)
    store = SessionStore(idle_timeout=60, kept=kept)
    one, two = store.for_room("one"), store.for_room("two")
    page = Result("https://example.org/", "text/html", b"x" * 400)
    one.results.keep("a", page)
    two.results.keep("b", page)
    assert one.results.get("a") is page  # a is now the most recently used
    two.results.keep("c", page)
    assert kept.used == 800
    assert two.results.get("b") is None  # the least recently used, whichever room it was in
    assert one.results.get("a") is page and two.results.get("c") is page


def test_sessions_are_bounded_oldest_empty_room_first() -> None:
    busy = {"r0"}
    store = SessionStore(idle_timeout=60, in_use=lambda room: room in busy, max_sessions=3)
    first, second, third = (store.for_room(f"r{i}") for i in range(3))
    fourth = store.for_room("r3")  # r1 is the least recently used empty room's
    assert store.find(second.token) is None
    assert store.find(first.token) is not None and store.find(third.token) is not None
    busy.update({"r2", "r3"})
    with pytest.raises(TooManySessions):
        store.for_room("r4")
    assert store.find(fourth.token) is not None and len(store) == 3

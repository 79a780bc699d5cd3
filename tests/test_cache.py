"""The room's response cache on its own: what it keeps, for whom, and within which budget."""

from __future__ import annotations

from jupyter_ext.proxy._budget import KeptBytes
from jupyter_ext.proxy._cache import ResponseCache

URL = "http://site.test/style.css"
FRESH = [("Cache-Control", "max-age=60"), ("Content-Type", "text/css")]


def fetch(cache: ResponseCache, url: str = URL, body: bytes = b"body", partition="site",
          headers=FRESH, request=None) -> bool:  # fmt: skip
    """One request through the cache; True if it was answered without the site."""
    lookup = cache.lookup(partition, url, dict(request or {}))
    if lookup.fresh is not None:
        return True
    assert lookup.answered(200, "OK", headers) is None
    if lookup.wants_body:
        lookup.keep(200, "OK", body)
    return False


def test_a_fresh_answer_is_reused_with_its_headers_and_body() -> None:
    cache = ResponseCache(1000)
    fetch(cache)
    lookup = cache.lookup("site", URL, {})
    assert lookup.fresh is not None
    assert lookup.fresh.body == b"body" and ("content-type", "text/css") in lookup.fresh.headers


def test_what_may_not_be_reused_is_not() -> None:
    cache = ResponseCache(1000)
    for headers in ([("Cache-Control", "no-store")], [*FRESH, ("Vary", "*")]):
        assert not fetch(cache, headers=headers)
        assert not fetch(cache, headers=headers)


def test_an_answer_without_a_date_is_dated_so_that_it_ages() -> None:
    cache = ResponseCache(1000)
    fetch(cache)
    stored = cache.lookup("site", URL, {}).fresh
    assert stored is not None and any(name == "date" for name, _ in stored.headers)


def test_a_stale_answer_is_checked_and_a_304_refreshes_it() -> None:
    cache = ResponseCache(1000)
    fetch(cache, headers=[("Cache-Control", "no-cache"), ("ETag", '"a"')])
    lookup = cache.lookup("site", URL, {})
    assert lookup.fresh is None and lookup.validators == {"if-none-match": '"a"'}
    kept = lookup.answered(304, "Not Modified", [("ETag", '"a"')])
    assert kept is not None and kept.code == 200 and kept.body == b"body"


def test_a_304_for_something_else_is_not_taken_for_the_kept_answer() -> None:
    cache = ResponseCache(1000)
    fetch(cache, headers=[("Cache-Control", "no-cache"), ("ETag", '"a"')])
    lookup = cache.lookup("site", URL, {})
    assert lookup.answered(304, "Not Modified", [("ETag", '"b"')]) is None


def test_partitions_and_vary_keep_answers_apart() -> None:
    cache = ResponseCache(1000)
    fetch(cache, headers=[*FRESH, ("Vary", "Cookie")], request={"Cookie": "sid=1"})
    assert not fetch(cache, partition="other", request={"Cookie": "sid=1"})
    assert not fetch(cache, partition=None, request={"Cookie": "sid=1"})
    assert fetch(cache, request={"Cookie": "sid=1"})
    assert cache.lookup("site", URL, {"Cookie": "sid=2"}).fresh is None


def test_the_budget_drops_the_least_recently_used() -> None:
    cache = ResponseCache(1000)  # entries up to 250 bytes
    for name in "abcd":
        fetch(cache, url=f"{URL}?{name}", body=b"x" * 250)
    assert fetch(cache, url=f"{URL}?a")  # a is now the most recently used
    fetch(cache, url=f"{URL}?e", body=b"x" * 250)
    assert cache.size == 1000 and len(cache) == 4
    assert not fetch(cache, url=f"{URL}?b")  # b went first


def test_answers_larger_than_a_quarter_of_the_budget_are_not_kept() -> None:
    cache = ResponseCache(1000)
    fetch(cache, body=b"x" * 251)
    assert len(cache) == 0 and cache.size == 0
    off = ResponseCache(0)
    fetch(off, body=b"")
    assert len(off) == 0


def test_rooms_share_the_servers_budget_least_recently_used_first() -> None:
    kept = KeptBytes(600)
    one, two = ResponseCache(1000, kept), ResponseCache(1000, kept)
    fetch(one, url=f"{URL}?a", body=b"x" * 250)
    fetch(two, url=f"{URL}?b", body=b"x" * 250)
    assert fetch(one, url=f"{URL}?a")  # a is now the most recently used
    fetch(two, url=f"{URL}?c", body=b"x" * 250)
    assert kept.used == 500 and one.size == 250 and two.size == 250
    assert not fetch(two, url=f"{URL}?b")  # b went first, though its own room had space
    two.clear()
    assert len(two) == 0 and kept.used == 250

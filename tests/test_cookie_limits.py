"""The session jar's bounds: what one cookie may hold, how many a site and a jar keep, how long
they last, and that control characters never reach a Cookie header (RFC 6265bis, Chromium)."""

import re
import time
import tracemalloc

import pytest

from jupyter_ext.proxy._cookies import (
    MAX_AGE_SECONDS,
    MAX_ATTRIBUTE_OCTETS,
    MAX_NAME_VALUE_OCTETS,
    MAX_PER_JAR,
    MAX_PER_SITE,
    SessionCookieJar,
)
from jupyter_ext.proxy._sites import site_of

PAGE = "https://www.example.com/app/x"
VALID_HEADER = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")


def _stored(jar: SessionCookieJar, url: str, set_cookie: str, from_script: bool) -> bool:
    if from_script:
        return jar.store_from_script(url, set_cookie)
    return jar.store(url, [set_cookie]) == 1


def _names(header: str | None) -> set[str]:
    return {pair.split("=", 1)[0] for pair in (header or "").split("; ") if pair}


@pytest.mark.parametrize("from_script", [False, True])
def test_name_and_value_within_4096_octets(from_script: bool) -> None:
    jar = SessionCookieJar()
    jar.store(PAGE, ["keep=1; Path=/"])
    at_limit = "a=" + "v" * (MAX_NAME_VALUE_OCTETS - 1)
    assert _stored(jar, PAGE, f"{at_limit}; Path=/", from_script)
    assert not _stored(jar, PAGE, f"b=v{'v' * MAX_NAME_VALUE_OCTETS}; Path=/", from_script)
    assert not _stored(jar, PAGE, f"{'n' * MAX_NAME_VALUE_OCTETS}=vv; Path=/", from_script)
    assert not _stored(jar, PAGE, f"c={'é' * (MAX_NAME_VALUE_OCTETS // 2)}; Path=/", from_script)
    assert not _stored(jar, PAGE, f"a=25MB{'v' * 25_000_000}; Path=/", from_script)
    assert jar.header_for(PAGE) == f"keep=1; {at_limit}"


@pytest.mark.parametrize("from_script", [False, True])
def test_attribute_values_over_1024_octets_are_ignored(from_script: bool) -> None:
    jar = SessionCookieJar()
    long_path = "/" + "p" * MAX_ATTRIBUTE_OCTETS
    # The long Path is ignored, so the cookie takes the default path, /app.
    assert _stored(jar, PAGE, f"a=1; Path={long_path}", from_script)
    assert jar.header_for("https://www.example.com/app/y") == "a=1"
    assert jar.header_for(f"https://www.example.com{long_path}") is None
    # The long Domain is ignored: host-only.
    long_domain = "x." * (MAX_ATTRIBUTE_OCTETS // 2) + "example.com"
    assert _stored(jar, PAGE, f"b=1; Path=/; Domain={long_domain}", from_script)
    assert jar.header_for("https://other.example.com/") is None
    assert jar.header_for("https://www.example.com/") == "b=1"
    # One just within the limit is applied.
    fits = "/" + "p" * (MAX_ATTRIBUTE_OCTETS - 1)
    assert _stored(jar, PAGE, f"c=1; Path={fits}", from_script)
    assert jar.header_for(f"https://www.example.com{fits}") == "c=1; b=1"


def test_unknown_attributes_are_not_kept() -> None:
    """A cookie's size is bounded: attributes no browser knows do not fill the jar."""
    jar = SessionCookieJar()
    filler = "; ".join(f"x{i}={'a' * 1000}" for i in range(500))
    jar.store(PAGE, [f"a=1; Path=/; {filler}; HTTPONLY; httponly; SameSite=Strict"])
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(MAX_PER_SITE - 1):
        jar.store_from_script(PAGE, f"c{i}=1; path=/; {filler}")
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 200_000  # 179 small cookies; 90 MB if the attributes were kept
    assert jar.for_scripts(PAGE).count("=") == MAX_PER_SITE - 1  # a is HttpOnly
    assert jar.header_for(PAGE).count("=") == MAX_PER_SITE


CONTROLS = ["\r", "\n", "\r\n", "\x00", "\x01", "\x0b", "\x1f", "\x7f"]


@pytest.mark.parametrize("control", CONTROLS)
@pytest.mark.parametrize("from_script", [False, True])
def test_control_characters_make_a_cookie_ignored(control: str, from_script: bool) -> None:
    jar = SessionCookieJar()
    jar.store(PAGE, ["keep=1; Path=/"])
    for attempt in (
        f"a=1{control}2; Path=/",
        f"a{control}b=1; Path=/",
        f"keep=1{control}X-Injected: 1; Path=/",
        f"b=1; Path=/{control}",
    ):
        assert not _stored(jar, PAGE, attempt, from_script)
    header = jar.header_for(PAGE)
    assert header == "keep=1"
    assert VALID_HEADER.fullmatch(header)
    assert jar.for_scripts(PAGE) == "keep=1"


def test_a_tab_is_allowed() -> None:
    jar = SessionCookieJar()
    assert jar.store_from_script(PAGE, "a=1\t2; path=/")
    assert jar.header_for(PAGE) == "a=1\t2"


def test_a_site_keeps_its_most_recently_used_cookies() -> None:
    jar = SessionCookieJar()
    jar.store(PAGE, ["sid=1; Path=/; HttpOnly"])
    for i in range(MAX_PER_SITE - 1):
        jar.store(PAGE, [f"t{i}=1; Path=/app"])
    assert jar.header_for("https://www.example.com/") == "sid=1"  # sid is the freshest now
    # Subdomains count against the same site; sid goes with every request to the site root.
    for i in range(200):
        assert jar.store_from_script("https://b.example.com/", f"u{i}=1; path=/")
        assert jar.header_for("https://www.example.com/") == "sid=1"
    kept = _names(jar.header_for(PAGE)) | _names(jar.header_for("https://b.example.com/"))
    assert len(kept) <= MAX_PER_SITE
    assert "sid" in kept
    assert "u199" in kept
    assert "t0" not in kept  # the least recently used went first


def test_a_jar_keeps_at_most_its_total_and_spares_small_sites() -> None:
    jar = SessionCookieJar()
    jar.store("https://victim.example/", [f"v{i}=1; Path=/" for i in range(5)])
    hostile = [f"https://s{n}.github.io/" for n in range(MAX_PER_JAR // MAX_PER_SITE + 3)]
    assert len({site_of(url) for url in hostile}) == len(hostile)  # each is a site of its own
    for url in hostile:
        for i in range(MAX_PER_SITE):
            jar.store(url, [f"c{i}=1; Path=/"])
    counts = [len(_names(jar.header_for(url))) for url in hostile]
    assert sum(counts) + 5 <= MAX_PER_JAR
    assert max(counts) <= MAX_PER_SITE
    assert len(_names(jar.header_for("https://victim.example/"))) == 5


def test_expiry_is_clamped_to_400_days() -> None:
    jar = SessionCookieJar()
    jar.store(PAGE, ["a=1; Path=/; Max-Age=9999999999", "b=1; Path=/; Expires=Fri, 31 Dec 9999"])
    jar.store_from_script(PAGE, "c=1; path=/; max-age=9999999999")
    latest = time.time() + MAX_AGE_SECONDS + 5
    expiries = [cookie.expires for cookie in jar._jar]  # no public view of expiry
    assert len(expiries) == 3
    assert all(expires is not None and expires <= latest for expires in expiries)


def test_memory_after_ten_thousand_oversized_and_over_count_cookies() -> None:
    jar = SessionCookieJar()
    jar.header_for(PAGE)  # load what the jar needs once, outside the measure
    jar.store(PAGE, ["warm=1; Path=/; Domain=example.com"])
    big = "v" * (MAX_NAME_VALUE_OCTETS - 10)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(5_000):
        jar.store_from_script(PAGE, f"o{i}={big}{big}; path=/")  # oversized
        jar.store_from_script(PAGE, f"c{i}={big}; path=/")  # over the site's count
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 2 * MAX_PER_SITE * MAX_NAME_VALUE_OCTETS  # about 0.8 MB; 60 MB unbounded

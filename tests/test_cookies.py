import time
from email.utils import formatdate

import pytest

from jupyter_ext._cookies import SessionCookieJar

SET_AT = "https://www.example.com/app/login"


@pytest.mark.parametrize(
    ("set_cookie", "url", "expected"),
    [
        (["a=1"], "https://www.example.com/app/x", "a=1"),
        (["a=1"], "http://www.example.com/app/x", "a=1"),
        (["a=1"], "https://www.example.com/other", None),
        (["a=1; Path=/"], "https://www.example.com/other", "a=1"),
        (["a=1; Path=/app/sub"], "https://www.example.com/app/", None),
        (["a=1; Path=/app/sub"], "https://www.example.com/app/sub/page", "a=1"),
        (["a=1; Path=/"], "https://other.example.com/", None),
        (["a=1; Path=/"], "https://evil.org/", None),
        (["a=1; Path=/; Domain=example.com"], "https://other.example.com/", "a=1"),
        (["a=1; Path=/; Domain=.example.com"], "https://example.com/", "a=1"),
        (["a=1; Path=/; Domain=evil.org"], "https://evil.org/", None),
        (["a=1; Path=/; Secure"], "https://www.example.com/", "a=1"),
        (["a=1; Path=/; Secure"], "http://www.example.com/", None),
        (["a=1; Path=/; HttpOnly; SameSite=Lax"], "https://www.example.com/", "a=1"),
        (["a=1; Path=/; Max-Age=0"], "https://www.example.com/", None),
        (["a=1; Path=/; Max-Age=3600"], "https://www.example.com/", "a=1"),
        (["a=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], "https://www.example.com/", None),
        (["a=1; Path=/", "a=2; Path=/"], "https://www.example.com/", "a=2"),
        (["a=1; Path=/", "b=2; Path=/app"], "https://www.example.com/app/x", "b=2; a=1"),
        ([], "https://www.example.com/", None),
    ],
)
def test_store_and_send(set_cookie: list[str], url: str, expected: str | None) -> None:
    jar = SessionCookieJar()
    jar.store(SET_AT, set_cookie)
    assert jar.header_for(url) == expected


@pytest.mark.parametrize(
    ("later", "expected"),
    [
        ("a=1; Path=/; Max-Age=0", None),
        ("a=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", None),
        ("a=3; Path=/", "a=3"),
        ("a=1; Path=/app", "a=1; a=2"),
    ],
)
def test_later_responses_update_the_jar(later: str, expected: str | None) -> None:
    jar = SessionCookieJar()
    jar.store(SET_AT, ["a=2; Path=/"])
    jar.store(SET_AT, [later])
    assert jar.header_for("https://www.example.com/app/x") == expected


def test_expires_in_the_future() -> None:
    jar = SessionCookieJar()
    expires = formatdate(time.time() + 3600, usegmt=True)
    jar.store(SET_AT, [f"a=1; Path=/; Expires={expires}"])
    assert jar.header_for("https://www.example.com/") == "a=1"


def test_sessions_are_separate() -> None:
    first, second = SessionCookieJar(), SessionCookieJar()
    first.store(SET_AT, ["a=1; Path=/"])
    assert second.header_for("https://www.example.com/") is None


def test_cookie_for_ip_host_and_port() -> None:
    jar = SessionCookieJar()
    jar.store("http://127.0.0.1:8888/x", ["a=1; Path=/"])
    assert jar.header_for("http://127.0.0.1:9999/") == "a=1"
    assert jar.header_for("http://127.0.0.2:8888/") is None


def test_scripts_see_only_cookies_without_httponly_that_apply() -> None:
    jar = SessionCookieJar()
    jar.store(
        "https://a.example/x/y",
        ["sid=1; HttpOnly; Path=/", "theme=dark; Path=/", "deep=1; Path=/x", "other=1; Path=/z"],
    )
    assert jar.for_scripts("https://a.example/x/y") == "deep=1; theme=dark"
    assert jar.for_scripts("https://b.example/") == ""


def test_scripts_cannot_set_httponly_cookies() -> None:
    jar = SessionCookieJar()
    jar.store_from_script("https://a.example/", "pref=1; path=/; HttpOnly")
    jar.store_from_script("https://a.example/", "gone=1; path=/")
    jar.store_from_script("https://a.example/", "gone=; path=/; max-age=0")
    assert jar.for_scripts("https://a.example/") == "pref=1"
    assert jar.header_for("https://a.example/") == "pref=1"


def test_httponly_in_any_case_is_hidden_from_scripts_and_kept_from_them() -> None:
    jar = SessionCookieJar()
    jar.store("https://a.example/", ["_app_session=SECRET; path=/; httponly", "theme=1; path=/"])
    assert jar.for_scripts("https://a.example/") == "theme=1"
    jar.store_from_script("https://a.example/", "_app_session=evil; path=/")
    assert "_app_session=SECRET" in (jar.header_for("https://a.example/") or "")
    assert "evil" not in (jar.header_for("https://a.example/") or "")


@pytest.mark.parametrize(
    ("cross_site", "safe_method", "expected"),
    [
        (False, True, "strict=1; lax=1; none=1; unsaid=1"),
        (False, False, "strict=1; lax=1; none=1; unsaid=1"),
        (True, True, "lax=1; none=1; unsaid=1"),  # a link from another site
        (True, False, "none=1"),  # a form post from another site
    ],
)
def test_same_site(cross_site: bool, safe_method: bool, expected: str) -> None:
    jar = SessionCookieJar()
    jar.store(
        "https://a.example/",
        [
            "strict=1; path=/; SameSite=Strict",
            "lax=1; path=/; samesite=lax",
            "none=1; path=/; SameSite=None; Secure",
            "unsaid=1; path=/",
        ],
    )
    header = jar.header_for("https://a.example/", cross_site=cross_site, safe_method=safe_method)
    assert sorted((header or "").split("; ")) == sorted(expected.split("; "))

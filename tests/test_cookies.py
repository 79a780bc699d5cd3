import time
from email.utils import formatdate

import pytest

from jupyter_ext.proxy._cookies import SessionCookieJar

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
    assert not jar.store_from_script("https://a.example/", "pref=1; path=/; HttpOnly")
    assert jar.store_from_script("https://a.example/", "gone=1; path=/")
    assert jar.store_from_script("https://a.example/", "gone=; path=/; max-age=0")
    jar.store_from_script("https://a.example/", "kept=1; path=/")
    assert jar.for_scripts("https://a.example/") == "kept=1"
    assert jar.header_for("https://a.example/") == "kept=1"


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


def test_scripts_cannot_delete_and_then_replace_an_httponly_cookie() -> None:
    jar = SessionCookieJar()
    jar.store("https://a.example/login", ["sid=SECRET; Path=/; HttpOnly; Secure"])
    assert not jar.store_from_script("https://a.example/", "sid=; path=/; max-age=0")
    assert not jar.store_from_script("https://a.example/", "sid=evil; path=/")
    assert not jar.store_from_script("https://a.example/", "sid=evil; path=/; secure")
    assert jar.header_for("https://a.example/") == "sid=SECRET"
    # The site itself may still replace or delete it.
    jar.store("https://a.example/logout", ["sid=; Path=/; Max-Age=0"])
    assert jar.header_for("https://a.example/") is None


@pytest.mark.parametrize(
    ("set_at", "set_cookie", "elsewhere"),
    [
        ("https://evil.github.io/", "a=1; Path=/; Domain=github.io", "https://victim.github.io/"),
        ("https://www.evil.co.uk/", "a=1; Path=/; Domain=co.uk", "https://victim.co.uk/"),
        (
            "https://x.herokuapp.com/",
            "a=1; Path=/; Domain=.herokuapp.com",
            "https://h.herokuapp.com",
        ),
        ("https://x.example.com/", "a=1; Path=/; Domain=com", "https://victim.com/"),
        ("http://127.0.0.1:8000/", "a=1; Path=/; Domain=0.0.1", "http://10.0.0.1/"),
        ("http://127.0.0.1:8000/", "a=1; Path=/; Domain=0.1", "http://10.0.0.1/"),
        ("http://127.0.0.1:8000/", "a=1; Path=/; Domain=1", "http://10.0.0.1/"),
    ],
)
def test_domain_may_not_be_a_public_suffix_or_part_of_an_ip(
    set_at: str, set_cookie: str, elsewhere: str
) -> None:
    jar = SessionCookieJar()
    assert jar.store(set_at, [set_cookie]) == 0
    assert jar.header_for(elsewhere) is None
    assert jar.header_for(set_at) is None


@pytest.mark.parametrize(
    ("host", "subdomain"),
    [("https://github.io/", "https://x.github.io/"), ("http://127.0.0.1:8000/", None)],
)
def test_domain_that_is_the_public_suffix_or_ip_host_itself_is_host_only(
    host: str, subdomain: str | None
) -> None:
    domain = host.split("/")[2].split(":")[0]
    jar = SessionCookieJar()
    assert jar.store(host, [f"a=1; Path=/; Domain={domain}"]) == 1
    assert jar.header_for(host) == "a=1"
    if subdomain:
        assert jar.header_for(subdomain) is None


def test_host_only_cookies_stay_on_their_host() -> None:
    jar = SessionCookieJar()
    jar.store("https://example.com/", ["a=1; Path=/"])
    assert jar.header_for("https://example.com/") == "a=1"
    assert jar.header_for("https://sub.example.com/") is None


def test_a_site_cannot_delete_another_sites_cookie() -> None:
    jar = SessionCookieJar()
    jar.store("https://victim.example/", ["sid=1; Path=/; Domain=victim.example"])
    deletion = "sid=; Path=/; Domain=victim.example; Max-Age=0"
    assert jar.store("https://evil.example/", [deletion]) == 0
    assert jar.header_for("https://victim.example/") == "sid=1"


HTTPS = "https://www.example.com/app/x"


@pytest.mark.parametrize(
    ("url", "set_cookie", "taken"),
    [
        (HTTPS, "__Secure-a=1; Path=/; Secure", True),
        (HTTPS, "__Secure-a=1; Path=/", False),
        (HTTPS, "__secure-a=1; Path=/", False),
        ("http://www.example.com/", "__Secure-a=1; Path=/; Secure", False),
        (HTTPS, "__Host-a=1; Path=/; Secure", True),
        (HTTPS, "__Host-a=1; Path=/", False),
        (HTTPS, "__HOST-a=1; Path=/", False),
        (HTTPS, "__Host-a=1; Path=/; Secure; Domain=www.example.com", False),
        (HTTPS, "__Host-a=1; Path=/; Secure; Domain=example.com", False),
        (HTTPS, "__Host-a=1; Path=/app; Secure", False),
        (HTTPS, "__Host-a=1; Secure", False),  # the default path here is /app
        ("http://www.example.com/", "__Host-a=1; Path=/; Secure", False),
    ],
)
def test_cookie_prefixes(url: str, set_cookie: str, taken: bool) -> None:
    for from_script in (False, True):
        jar = SessionCookieJar()
        stored = (
            jar.store_from_script(url, set_cookie)
            if from_script
            else jar.store(url, [set_cookie]) == 1
        )
        assert stored is taken
        assert (jar.header_for(HTTPS) is not None) is taken


def test_insecure_requests_cannot_set_secure_cookies() -> None:
    jar = SessionCookieJar()
    assert jar.store("http://www.example.com/", ["a=1; Path=/; Secure"]) == 0
    assert not jar.store_from_script("http://www.example.com/", "a=1; path=/; secure")
    assert jar.header_for("https://www.example.com/") is None


@pytest.mark.parametrize(
    ("url", "set_cookie"),
    [
        ("http://www.example.com/", "sid=evil; Path=/"),
        ("http://www.example.com/", "sid=; Path=/; Max-Age=0"),
        ("http://www.example.com/app/x", "sid=evil; Path=/app"),
        ("http://other.example.com/", "sid=evil; Path=/; Domain=example.com"),
    ],
)
def test_insecure_requests_cannot_overwrite_or_delete_secure_cookies(
    url: str, set_cookie: str
) -> None:
    jar = SessionCookieJar()
    jar.store("https://www.example.com/", ["sid=SECRET; Path=/; Secure"])
    assert jar.store(url, [set_cookie]) == 0
    assert not jar.store_from_script(url, set_cookie)
    assert jar.header_for("https://www.example.com/app/x") == "sid=SECRET"
    # Another name, or the same name from https, is fine.
    assert jar.store(url, ["other=1; Path=/"]) == 1
    assert jar.header_for(url) == "other=1"
    assert jar.store("https://www.example.com/", ["sid=new; Path=/; Secure"]) == 1
    assert "sid=new" in (jar.header_for("https://www.example.com/") or "").split("; ")

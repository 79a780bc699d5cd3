import pytest

from jupyter_ext.rewrite._urls import from_proxy, rewrite_location, rewrite_url, to_proxy

P = "/cobrowse/proxy/TOKEN/"
BASE = "https://docs.python.org/3/tutorial/index.html"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://docs.python.org/3/x.html", "https/docs.python.org/3/x.html"),
        ("http://example.com", "http/example.com/"),
        ("https://example.com?q=1", "https/example.com/?q=1"),
        ("https://example.com#top", "https/example.com/#top"),
        ("HTTPS://Example.COM/Path/A", "https/example.com/Path/A"),
        ("https://example.com:443/a", "https/example.com/a"),
        ("http://example.com:80/a", "http/example.com/a"),
        ("http://example.com:443/a", "http/example.com:443/a"),
        (
            "https://docs.python.org:8443/3/i.html?q=1#x",
            "https/docs.python.org:8443/3/i.html?q=1#x",
        ),
        ("https://example.com:/a", "https/example.com/a"),
        ("https://user:pw@example.com/a", "https/example.com/a"),
        ("https://[::1]:8080/a", "https/[::1]:8080/a"),
        ("https://[2001:DB8::1]/", "https/[2001:db8::1]/"),
        ("https://127.0.0.1:8888/", "https/127.0.0.1:8888/"),
        (
            "https://example.com/a%20b/%2F?x=%26&amp;y#f",
            "https/example.com/a%20b/%2F?x=%26&amp;y#f",
        ),
        ("https://example.com/a b", "https/example.com/a b"),
        ("https://bücher.example/", "https/xn--bcher-kva.example/"),
        ("https://example.com./", "https/example.com./"),
        ("wss://Chat.Example.com/socket?room=1", "wss/chat.example.com/socket?room=1"),
        ("ws://example.com:80/s", "ws/example.com/s"),
        ("wss://example.com:443/s", "wss/example.com/s"),
        ("ws://example.com:443/s", "ws/example.com:443/s"),
        ("WSS://example.com", "wss/example.com/"),
    ],
)
def test_to_proxy(url: str, expected: str) -> None:
    assert to_proxy(url, P) == P + expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "wsx://example.com/",
        "javascript:alert(1)",
        "/relative",
        "https:/example.com",
        "https://",
        "https:///path",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://example.com:ab/",
        "https://exa mple.com/",
        "https://[::1/",
        "https://[fe80::1%25eth0]/",
        "https://a..b/",
    ],
)
def test_to_proxy_rejects(url: str) -> None:
    with pytest.raises(ValueError):
        to_proxy(url, P)


@pytest.mark.parametrize(
    ("rest", "query", "expected"),
    [
        ("https/docs.python.org/3/x.html", "", "https://docs.python.org/3/x.html"),
        ("https/docs.python.org", "", "https://docs.python.org/"),
        ("https/docs.python.org/", "", "https://docs.python.org/"),
        ("http/example.com:8080/a/b/", "q=1&r=%20", "http://example.com:8080/a/b/?q=1&r=%20"),
        ("https/Example.COM:443/a%2Fb", "", "https://example.com/a%2Fb"),
        ("https/[::1]:9/x", "", "https://[::1]:9/x"),
        ("http/127.0.0.1/", "", "http://127.0.0.1/"),
        ("wss/chat.example.com/socket", "room=1", "wss://chat.example.com/socket?room=1"),
        ("ws/example.com:80/s", "", "ws://example.com/s"),
        ("ws/example.com:8080", "", "ws://example.com:8080/"),
    ],
)
def test_from_proxy(rest: str, query: str, expected: str) -> None:
    assert from_proxy(rest, query) == expected


@pytest.mark.parametrize(
    "rest",
    [
        "ftp/example.com/",
        "HTTPS/example.com/",
        "WSS/example.com/",
        "wsx/example.com/",
        "_/agent.js",
        "https",
        "https/",
        "https//x",
        "https/user@example.com/",
        "https/exa mple.com/",
        "https/example.com:x/",
        "https/example.com:70000/",
        "https/%65xample.com/",
        "https/[::1/",
        "https/example.com\\@evil/",
    ],
)
def test_from_proxy_rejects(rest: str) -> None:
    with pytest.raises(ValueError):
        from_proxy(rest)


@pytest.mark.parametrize(
    "url",
    [
        "https://docs.python.org/3/tutorial/index.html?q=a%20b&r=1#sec",
        "http://example.com:8080/",
        "https://[2001:db8::1]:8443/x",
        "wss://example.com/socket?room=a%20b",
        "ws://example.com:8080/",
    ],
)
def test_round_trip(url: str) -> None:
    path, _, query = to_proxy(url, P).removeprefix(P).partition("#")[0].partition("?")
    assert from_proxy(path, query) == url.partition("#")[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/a?b#c", P + "https/example.com/a?b#c"),
        ("HTTP://Example.com", P + "http/example.com/"),
        ("//cdn.example.com/lib.js", P + "https/cdn.example.com/lib.js"),
        ("/static/app.css", P + "https/docs.python.org/static/app.css"),
        ("/", P + "https/docs.python.org/"),
        ("  /a.png\n", "  " + P + "https/docs.python.org/a.png\n"),
        ("\thttps://x.org/ ", "\t" + P + "https/x.org/ "),
        ("ht\ntps://x.\torg/a\rb", P + "https/x.org/ab"),
        ("/a?x=1&amp;y=2", P + "https/docs.python.org/a?x=1&amp;y=2"),
        ("a/b.html", "a/b.html"),
        ("../c", "../c"),
        ("./d", "./d"),
        ("?q=1", "?q=1"),
        ("#frag", "#frag"),
        ("", ""),
        ("   ", "   "),
        ("data:image/png;base64,AAAA", "data:image/png;base64,AAAA"),
        ("javascript:void(0)", "javascript:void(0)"),
        ("JavaScript:alert(1)", "JavaScript:alert(1)"),
        ("mailto:a@b.c", "mailto:a@b.c"),
        ("tel:+123", "tel:+123"),
        ("blob:https://x/uuid", "blob:https://x/uuid"),
        ("about:blank", "about:blank"),
        ("ftp://example.com/", "ftp://example.com/"),
        ("wss://live.example.com/feed", P + "wss/live.example.com/feed"),
        ("WS://Live.example.com:80/", P + "ws/live.example.com/"),
        ("https://exa mple.com/", "https://exa mple.com/"),
        ("https://[bad/", "https://[bad/"),
        ("//", "//"),
    ],
)
def test_rewrite_url(value: str, expected: str) -> None:
    assert rewrite_url(value, BASE, P) == expected


D = P + "https/docs.python.org"  # BASE's proxied origin


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The browser reads `\` as `/` in http(s) URLs: each of these leaves for evil.example.
        ("\\\\evil.example\\x.png", P + "https/evil.example/x.png"),
        ("/\\evil.example/", P + "https/evil.example/"),
        ("\\/evil.example/", P + "https/evil.example/"),
        ("https:\\\\evil.example/", P + "https/evil.example/"),
        ("https:/\\evil.example", P + "https/evil.example/"),
        ("https:\\evil.example\\a\\b", D + "/evil.example/a/b"),  # same scheme: rooted
        ("HTTPS:\t\\\\evil.example", P + "https/evil.example/"),
        ("///evil.example/x", P + "https/evil.example/x"),
        ("https:///evil.example", P + "https/evil.example/"),
        # `http:x` is absolute under an https base, relative under an http one (below).
        ("http:evil.example", P + "http/evil.example/"),
        ("http:/evil.example/x", P + "http/evil.example/x"),
        ("wss:relative", P + "wss/relative/"),
        ("https:sibling.html", D + "/3/tutorial/sibling.html"),
        ("https:/rooted", D + "/rooted"),
        # `..` clamps at the site's root upstream; under the proxy it must not climb further.
        ("../../../../api/kernels", D + "/api/kernels"),
        ("../../../../../../lab?x#y", D + "/lab?x#y"),
        ("%2e%2e/%2E%2e/.%2e/%2e./x", D + "/x"),
        ("..\\..\\..\\x", D + "/x"),
        ("a/../../../../x", D + "/x"),
        (".\n./.\t./..\r/x", D + "/x"),
        ("/../../x", D + "/x"),
        ("/a/%2e%2e/%2e%2e/%2e%2e/x", D + "/x"),
        ("../../other.example/x", "../../other.example/x"),  # the site's own /other.example/x
        ("../../x?a=..", "../../x?a=.."),
        ("../library/", "../library/"),
        ("./d\\e", "./d\\e"),
        ("a\\b", "a\\b"),
        # A host browsers accept and the proxy does not stays in the proxy, refused there.
        ("https://a$b.example/x", P + "https/a%24b.example/x"),
        ("//a{b}.example/", P + "https/a%7Bb%7D.example/"),
        ("https://%65vil.example/", P + "https/evil.example/"),
    ],
)
def test_rewrite_url_resolves_as_the_browser(value: str, expected: str) -> None:
    assert rewrite_url(value, BASE, P) == expected


@pytest.mark.parametrize(
    ("base", "value", "expected"),
    [
        ("http://a.org:8080/x/y", "/z", P + "http/a.org:8080/z"),
        ("http://a.org/x/y", "//b.org/z", P + "http/b.org/z"),
        ("https://u:p@a.org/x", "/z", P + "https/a.org/z"),
        ("about:blank", "/z", "/z"),
        ("not a url", "//b.org/z", "//b.org/z"),
        ("http://a.org/x/y", "http:z", P + "http/a.org/x/z"),  # relative under http
        ("http://a.org/x/y", "http:../../../../z", P + "http/a.org/z"),
        ("http://a.org/x/y", "https:z", P + "https/z/"),
        ("https://a.org/", "../../../x", P + "https/a.org/x"),
    ],
)
def test_rewrite_url_bases(base: str, value: str, expected: str) -> None:
    assert rewrite_url(value, base, P) == expected


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://other.org/a?b", P + "https/other.org/a?b"),
        ("/login?next=/3/", P + "https/docs.python.org/login?next=/3/"),
        ("other.html", P + "https/docs.python.org/3/tutorial/other.html"),
        ("../library/", P + "https/docs.python.org/3/library/"),
        ("//cdn.org/x", P + "https/cdn.org/x"),
        (" /padded ", P + "https/docs.python.org/padded"),
        ("mailto:a@b.c", "mailto:a@b.c"),
        ("wss://x.org/s", P + "wss/x.org/s"),
        ("ftp://x.org/", "ftp://x.org/"),
        ("http://[bad/", "http://[bad/"),
        ("\\\\evil.example\\x", P + "https/evil.example/x"),
        ("/\\evil.example", P + "https/evil.example/"),
        ("https:\\\\evil.example/", P + "https/evil.example/"),
        ("https:/\\evil.example", P + "https/evil.example/"),
        ("http:evil.example", P + "http/evil.example/"),
        ("https:same-site", P + "https/docs.python.org/3/tutorial/same-site"),
        ("../../../../../api", P + "https/docs.python.org/api"),
        ("https://a$b.example/", P + "https/a%24b.example/"),
    ],
)
def test_rewrite_location(location: str, expected: str) -> None:
    assert rewrite_location(location, BASE, P) == expected

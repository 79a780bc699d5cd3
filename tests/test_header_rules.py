"""The header rule table (jupyter_ext/proxy/_headers.py): what crosses the proxy in each
direction, and the Origin and Referer a tab at the site would send; pure, then through a real
Jupyter server."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from jupyter_ext.proxy._headers import (
    PAGE_AUTHORIZATION,
    browser_response_headers,
    tab_context,
    upstream_request_headers,
)

from .conftest import ORIGIN_HOST, OTHER_HOST, get, proxied

PREFIX = "/cobrowse/proxy/tok/"
PAGE = "https://www.example.org/app/page?x=1#top"


def test_a_pages_own_headers_go_up_and_what_the_browser_attaches_stays_behind() -> None:
    browser = [
        ("X-CSRFToken", "t0k"),
        ("X-Requested-With", "XMLHttpRequest"),
        ("X-Api-Key", "k3y"),
        ("X-XSRF-TOKEN", "angular"),
        ("Accept", "application/json"),
        ("If-None-Match", '"v1"'),
        ("Content-Type", "application/json"),
        ("Cookie", "_xsrf=jupyter; username-127-0-0-1-8888=secret"),
        ("Authorization", "Basic anVweXRlcjpodWI="),  # cached for Jupyter's origin
        ("Proxy-Authorization", "Basic cHJveHk="),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-CH-UA-Platform", '"Linux"'),
        ("X-Forwarded-For", "10.1.2.3"),
        ("Forwarded", "for=10.1.2.3"),
        ("Via", "1.1 hub"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "about this connection only"),
        ("Host", "127.0.0.1:8888"),
        ("Accept-Encoding", "gzip, zstd, dcb"),
        ("Available-Dictionary", ":pZGm1Av0IEBKARczz7exkNYsZb8LzaMrV7J32a2fFG4=:"),
        ("Origin", "null"),
        ("Referer", "http://127.0.0.1:8888/lab"),
        ("Accept-Language", "en"),
        ("Accept-Language", "de;q=0.5"),
    ]
    up = upstream_request_headers(browser)
    assert up == {
        "X-CSRFToken": "t0k",
        "X-Requested-With": "XMLHttpRequest",
        "X-Api-Key": "k3y",
        "X-XSRF-TOKEN": "angular",
        "Accept": "application/json",
        "If-None-Match": '"v1"',
        "Content-Type": "application/json",
        "Accept-Language": "en, de;q=0.5",
    }


def test_a_page_scripts_authorization_is_restored_for_the_site() -> None:
    browser = [("Authorization", "Basic jupyters"), (PAGE_AUTHORIZATION, "Bearer page-token")]
    assert upstream_request_headers(browser) == {"Authorization": "Bearer page-token"}


SITE_ANSWER = [
    ("Content-Type", "application/json"),
    ("Link", "</style.css>; rel=preload; as=style, <https://cdn.example/f.woff2>; rel=preload"),
    ("Allow", "GET, POST"),
    ("WWW-Authenticate", 'Bearer realm="api"'),
    ("Retry-After", "120"),
    ("X-Total-Count", "42"),
    ("X-Request-Id", "abc"),
    ("Cache-Control", "no-cache"),
    ("Location", "/next"),
    ("Set-Cookie", "sid=1"),
    ("Content-Security-Policy", "default-src 'self'"),
    ("X-Frame-Options", "DENY"),
    ("Strict-Transport-Security", "max-age=31536000"),
    ("Clear-Site-Data", '"*"'),
    ("Alt-Svc", 'h3=":443"'),
    ("NEL", '{"report_to": "x"}'),
    ("Accept-CH", "Sec-CH-UA-Model"),
    ("Use-As-Dictionary", 'match="/static/*"'),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
    ("Access-Control-Allow-Origin", "https://www.example.org"),
    ("Referrer-Policy", "unsafe-url"),
    ("Content-Encoding", "gzip"),
    ("Content-Length", "10"),
    ("Connection", "close, X-Hop"),
    ("X-Hop", "1"),
]


def test_what_a_site_answers_reaches_the_page_unless_it_acts_on_jupyters_origin() -> None:
    down = browser_response_headers(SITE_ANSWER, "https://www.example.org/api/x", PREFIX)
    names = [name for name, _ in down]
    assert names == [
        "Link", "Allow", "WWW-Authenticate", "Retry-After", "X-Total-Count", "X-Request-Id",
        "Cache-Control", "Location", "Content-Type", "Access-Control-Expose-Headers",
    ]  # fmt: skip
    values = dict(down)
    assert values["Link"] == (
        f"<{PREFIX}https/www.example.org/style.css>; rel=preload; as=style, "
        f"<{PREFIX}https/cdn.example/f.woff2>; rel=preload"
    )
    assert values["Location"] == f"{PREFIX}https/www.example.org/next"
    exposed = values["Access-Control-Expose-Headers"].split(", ")
    assert exposed == [name.lower() for name in names[:-1]]


def test_a_navigation_never_gets_a_password_prompt() -> None:
    """The browser would ask for a password and send it to every page of Jupyter's origin."""
    down = browser_response_headers(SITE_ANSWER, "https://www.example.org/", PREFIX, True)
    assert "WWW-Authenticate" not in dict(down)


@pytest.mark.parametrize(
    ("page", "target", "method", "sends_origin", "expected"),
    [
        # A script's same-origin GET: no Origin, the whole page address as Referer.
        (PAGE, "https://www.example.org/api", "GET", True,
         {"Referer": "https://www.example.org/app/page?x=1"}),
        # Its same-origin POST (Django's AJAX pattern): the page's origin too.
        (PAGE, "https://www.example.org/api", "POST", True,
         {"Origin": "https://www.example.org", "Referer": "https://www.example.org/app/page?x=1"}),
        # Another origin, even of the same site: the page's origin only.
        (PAGE, "https://api.example.org/v1", "GET", True,
         {"Origin": "https://www.example.org", "Referer": "https://www.example.org/"}),
        # An image (no-cors: the browser sent no Origin): a Referer only.
        (PAGE, "https://cdn.example/i.png", "GET", False, {"Referer": "https://www.example.org/"}),
        # From https to http: no Referer.
        (PAGE, "http://plain.example/x", "POST", True, {"Origin": "https://www.example.org"}),
        # Credentials in the page's address never leave in a Referer.
        ("https://u:p@www.example.org/a", "https://www.example.org/b", "GET", False,
         {"Referer": "https://www.example.org/a"}),
        # No page known (a typed address): nothing, or the opaque origin the browser sent.
        (None, "https://www.example.org/", "GET", False, {}),
        (None, "https://www.example.org/", "POST", True, {"Origin": "null"}),
    ],
)  # fmt: skip
def test_origin_and_referer_are_what_a_tab_at_the_site_sends(
    page, target, method, sends_origin, expected
) -> None:
    assert tab_context(page, target, method, sends_origin) == expected


# Through the real server: the page the proxy last loaded under a token is where its requests
# come from.


async def test_a_script_on_a_loaded_page_sends_the_pages_origin_and_referer(
    open_session, origin, fetch_proxied, site_prefix, http_server_client
):
    entry = await open_session("origin-referer")
    mine = await site_prefix(entry, origin.url("/"))
    page = await fetch_proxied(proxied(mine, origin.url("/page?p=1")))
    assert page.code == 200
    site = f"http://{ORIGIN_HOST}:{origin.port}"
    script = {"Origin": "null", "Content-Type": "application/json"}  # what Chromium sends

    await get(http_server_client, proxied(mine, origin.url("/echo")), method="POST", body="{}",
              headers=script)  # fmt: skip
    seen = origin.requests[-1]
    assert (seen["origin"], seen["referer"]) == (site, f"{site}/page?p=1")

    await get(http_server_client, proxied(mine, origin.url("/echo")), headers=script)
    seen = origin.requests[-1]
    assert "origin" not in seen and seen["referer"] == f"{site}/page?p=1"

    await get(http_server_client, proxied(mine, origin.other_url("/echo")), headers=script)
    seen = origin.requests[-1]
    assert (seen["origin"], seen["referer"]) == (site, f"{site}/")


async def test_a_typed_address_has_no_referer(open_session, origin, fetch_proxied, site_prefix):
    """A navigation the widget starts (same-origin to the proxy) is a typed address; one the
    page starts (cross-site from its opaque origin) comes from the page."""
    entry = await open_session("typed")
    mine = await site_prefix(entry, origin.url("/"))
    await fetch_proxied(proxied(mine, origin.url("/page")))
    await fetch_proxied(
        proxied(mine, origin.url("/echo")), headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert "referer" not in origin.requests[-1]
    await fetch_proxied(
        proxied(mine, origin.url("/echo")), headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert origin.requests[-1]["referer"] == origin.url("/page")


async def test_a_form_posted_to_another_site_names_the_page_it_came_from(
    open_session, origin, fetch_proxied, site_prefix
):
    entry = await open_session("cross-form")
    mine = await site_prefix(entry, origin.url("/"))
    await fetch_proxied(proxied(mine, origin.url("/page")))
    answer = await fetch_proxied(
        proxied(mine, origin.other_url("/echo")), method="POST", body="q=1",
        headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    )  # fmt: skip
    assert answer.code == 200
    seen = json.loads(answer.body)["headers"]
    assert seen["host"] == f"{OTHER_HOST}:{origin.other_port}"
    site = f"http://{ORIGIN_HOST}:{origin.port}"
    assert (seen["origin"], seen["referer"]) == (site, f"{site}/")


async def test_response_headers_reach_the_script_and_it_may_read_them(
    open_session, origin, fetch_proxied, site_prefix, http_server_client
):
    entry = await open_session("exposed")
    mine = await site_prefix(entry, origin.url("/"))
    query = (
        "status=401&WWW-Authenticate=Bearer&Retry-After=5&X-Total-Count=3&Link=</a.css>;rel=preload"
        "&Clear-Site-Data=*&Alt-Svc=h3&Strict-Transport-Security=max-age=9"
    )
    url = proxied(mine, origin.url(f"/headers?{query}"))
    script = await get(http_server_client, url, headers={"Origin": "null"})
    assert script.code == 401
    for name in ("WWW-Authenticate", "Retry-After", "X-Total-Count"):
        assert script.headers[name]
    assert script.headers["Link"] == f"<{mine}http/{ORIGIN_HOST}:{origin.port}/a.css>;rel=preload"
    for name in ("Clear-Site-Data", "Alt-Svc", "Strict-Transport-Security"):
        assert name not in script.headers
    exposed = script.headers["Access-Control-Expose-Headers"].split(", ")
    assert {"www-authenticate", "retry-after", "x-total-count", "link"} <= set(exposed)
    navigation = await fetch_proxied(url)
    assert navigation.code == 401 and "WWW-Authenticate" not in navigation.headers


async def test_a_websocket_names_its_pages_origin(
    open_session, origin, fetch_proxied, site_prefix, jp_http_port
):
    """Socket servers check Origin against their app's (Socket.IO, Phoenix, Action Cable)."""
    mine = await site_prefix(await open_session("socket-origin"), origin.url("/"))
    await fetch_proxied(proxied(mine, origin.url("/page")))
    url = f"ws://127.0.0.1:{jp_http_port}{mine}ws/{OTHER_HOST}:{origin.other_port}/socket"
    ws = await websocket_connect(HTTPRequest(url, headers={"Origin": "null"}))
    ws.close()
    assert origin.requests[-1]["origin"] == f"http://{ORIGIN_HOST}:{origin.port}"

"""The extension against a real Jupyter server (pytest-jupyter) and a real loopback origin."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from tornado.httpclient import HTTPClientError

from .conftest import ORIGIN_HOST, PASS_COOKIE, as_browser, get, proxied


def test_extension_is_enabled_by_install():
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = listing.stdout + listing.stderr
    assert "jupyter_ext" in text
    assert "enabled" in text.split("jupyter_ext", 1)[1].splitlines()[0]


async def test_session_needs_an_authenticated_user(fetch_proxied):
    response = await fetch_proxied("/cobrowse/api/session", method="POST", body='{"room": "r"}')
    assert response.code == 403


async def test_the_widget_frame_gets_the_sandbox_of_every_answer(
    open_session, jp_fetch, origin, fetch_proxied, site_prefix
):
    answer = json.loads(
        (await jp_fetch("cobrowse", "api", "session", method="POST", body='{"room": "s"}')).body
    )
    page = await fetch_proxied(proxied(await open_session("s"), origin.url("/page")))
    assert page.headers["Content-Security-Policy"] == f"sandbox {answer['sandbox']}"
    assert "allow-same-origin" not in answer["sandbox"]


async def test_session_rejects_bad_room_names(jp_fetch):
    with pytest.raises(HTTPClientError) as err:
        await jp_fetch("cobrowse", "api", "session", method="POST", body='{"room": "a/b"}')
    assert err.value.code == 400


async def test_same_room_shares_one_capability(open_session):
    assert await open_session("r1") == await open_session("r1")
    assert await open_session("r1") != await open_session("r2")


async def test_practising_a_user_gets_a_session_of_their_own(jp_fetch):
    async def ask(body: str) -> tuple[str, str]:
        answer = json.loads(
            (await jp_fetch("cobrowse", "api", "session", method="POST", body=body)).body
        )
        return answer["user"]["username"], answer["prefix"]

    _, room = await ask('{"room": "p"}')
    (one, own), (two, again) = (
        await ask('{"room": "p", "own": true}'),
        await ask('{"room": "p", "own": true}'),
    )
    assert room not in (own, again) and (own == again) == (one == two)
    assert (await ask('{"room": "p", "own": false}'))[1] == room
    with pytest.raises(HTTPClientError) as err:
        await ask('{"room": "p", "own": "yes"}')
    assert err.value.code == 400


async def test_page_is_rewritten_and_sandboxed(open_session, origin, fetch_proxied, site_prefix):
    prefix = await open_session()
    response = await fetch_proxied(proxied(prefix, origin.url("/page")))
    prefix = await site_prefix(prefix, origin.url("/page"))  # the page lives under its site's
    assert response.code == 200
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox allow-scripts allow-forms") and "allow-same-origin" not in csp
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    for dropped in ("X-Frame-Options", "Strict-Transport-Security", "Set-Cookie"):
        assert dropped not in response.headers
    body = response.body.decode()
    head = body.index("<head>") + len("<head>")
    assert body[head:].startswith(f'<script data-cobrowse-url="{origin.url("/page")}"')
    assert f'data-cobrowse-prefix="{prefix}"' in body
    page = proxied(prefix, origin.url(""))
    assert f'id="abs" href="{page}/next"' in body
    assert f'id="root" href="{page}/next"' in body
    assert 'id="rel" href="next"' in body
    assert f'srcset="{page}/a.png 1x, {page}/b.png 2x"' in body
    assert f'action="{page}/echo"' in body
    assert "integrity" not in body


async def test_origin_never_sees_jupyter_credentials(open_session, origin, fetch_proxied):
    prefix = await open_session()
    await fetch_proxied(
        proxied(prefix, origin.url("/echo")),
        headers={
            "Cookie": "_xsrf=2|abc; username-127-0-0-1-8888=secret-login",
            "Authorization": "token jupyter-token",
            "X-XSRFToken": "2|abc",
            "Origin": "null",
            "Referer": "http://127.0.0.1:8888/lab",
        },
    )
    seen = origin.requests[-1]
    for header in ("cookie", "authorization", "referer"):  # what the browser attaches itself
        assert header not in seen, header
    assert seen["origin"] == "null"  # no page of the site was loaded: its origin is unknown
    assert seen["host"] == f"{ORIGIN_HOST}:{origin.port}"


async def test_cookies_live_in_the_session_jar(open_session, origin, fetch_proxied):
    prefix = await open_session("jar-room")
    first = await fetch_proxied(proxied(prefix, origin.url("/setcookie")))
    assert "Set-Cookie" not in first.headers
    await fetch_proxied(proxied(prefix, origin.url("/echo")))
    assert origin.requests[-1]["cookie"] == "sid=s3cret"
    other = await open_session("another-room")
    await fetch_proxied(proxied(other, origin.url("/echo")))
    assert "cookie" not in origin.requests[-1]


async def test_each_site_gets_its_own_capability(
    open_session, origin, fetch_proxied, site_prefix, http_server_client, browser_pass
):
    """A site's pages only learn their own site's token, and a token carries the room's cookies
    only to its own site: another site's scripts cannot read this one's logged-in pages."""
    entry = await open_session("sites")
    await fetch_proxied(proxied(entry, origin.url("/setcookie")))  # logs in on 127.0.0.2
    mine = await site_prefix(entry, origin.url("/"))
    theirs = await site_prefix(entry, origin.other_url("/"))
    assert len({entry, mine, theirs}) == 3

    # The site's own scripts (CORS mode) read it logged in.
    cors = {"Sec-Fetch-Mode": "cors"}
    await get(http_server_client, proxied(mine, origin.url("/echo")), headers=cors)
    assert origin.requests[-1]["cookie"] == "sid=s3cret"
    # Another site's scripts and elements reach it without the cookies, and are not moved.
    for mode in ("cors", "no-cors"):
        response = await get(
            http_server_client,
            proxied(theirs, origin.url("/echo")),
            headers={"Sec-Fetch-Mode": mode},
            follow_redirects=False,
        )
        assert response.code == 200
        assert "cookie" not in origin.requests[-1]
    # A navigation there moves to the target site's own capability (307 keeps a form post).
    moved = await get(
        http_server_client,
        proxied(theirs, origin.url("/echo")),
        method="POST",
        body="a=1",
        headers=as_browser({"Sec-Fetch-Mode": "navigate"}, browser_pass),
        follow_redirects=False,
    )
    assert moved.code == 307 and moved.headers["Location"] == proxied(mine, origin.url("/echo"))
    # Without fetch metadata (browsers send it to secure contexts only) nothing is moved.
    unmarked = await get(
        http_server_client, proxied(theirs, origin.url("/echo")), follow_redirects=False
    )
    assert unmarked.code == 200 and "cookie" not in origin.requests[-1]
    # And a site cannot set another site's cookies through the agent's cookie endpoint.
    refused = await get(
        http_server_client, f"{theirs}_/cookie?url={origin.url('/')}", method="POST", body="x=1"
    )
    assert refused.code == 403


async def test_form_post_is_forwarded(open_session, origin, fetch_proxied):
    prefix = await open_session()
    response = await fetch_proxied(
        proxied(prefix, origin.url("/echo")),
        method="POST",
        body="q=hello+world",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.code == 200
    assert json.loads(response.body)["body"] == "q=hello+world"


async def test_redirect_location_points_into_the_proxy(
    open_session, origin, site_prefix, http_server_client
):
    prefix = await site_prefix(await open_session(), origin.url("/"))
    response = await get(
        http_server_client,
        proxied(prefix, origin.url("/redirect?to=/page")),
        follow_redirects=False,
    )
    assert response.code == 302
    assert response.headers["Location"] == proxied(prefix, origin.url("/page"))


@pytest.mark.parametrize("token", ["x" * 43, "A" * 20])
async def test_unknown_capability_is_refused(token, origin, fetch_proxied, jp_base_url):
    path = f"{jp_base_url}cobrowse/proxy/{token}/{proxied('', origin.url('/echo'))}"
    response = await fetch_proxied(path)
    assert response.code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    assert not origin.requests


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "2130706433", "[::1]", "169.254.169.254"]
)
async def test_private_addresses_are_refused(host, open_session, fetch_proxied, jp_http_port):
    prefix = await open_session()
    response = await fetch_proxied(f"{prefix}http/{host}:{jp_http_port}/api/status")
    assert response.code == 502
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "allowed_private_hosts" in response.body.decode()


async def test_upstream_failures_are_readable_text(open_session, origin, fetch_proxied):
    prefix = await open_session()
    boom = await fetch_proxied(proxied(prefix, origin.url("/boom")))
    assert boom.code == 500
    assert "the site answered 500" in boom.body.decode()
    # A script's request gets the site's own error, to handle as the site intended.
    api = await fetch_proxied(
        proxied(prefix, origin.url("/boom")), headers={"Sec-Fetch-Mode": "cors"}
    )
    assert api.code == 500 and json.loads(api.body) == {"error": "boom"}
    closed = await fetch_proxied(f"{prefix}http/{ORIGIN_HOST}:9/")
    assert closed.code == 502
    assert closed.headers["Content-Type"].startswith("text/plain")
    assert "could not be loaded" in closed.body.decode()
    nowhere = await fetch_proxied(f"{prefix}https/no-such-host.invalid/")
    assert nowhere.code == 502
    assert "<" not in nowhere.body.decode()


async def test_demo_site_and_agent_are_served(open_session, fetch_proxied, site_prefix):
    entry = await open_session()
    page = await fetch_proxied(f"{entry}https/demo.cobrowse.invalid/")
    prefix = await site_prefix(entry, "https://demo.cobrowse.invalid/")
    assert page.code == 200
    body = page.body.decode()
    assert '<script data-cobrowse-url="https://demo.cobrowse.invalid/"' in body
    assert body.count("</script>") == 1  # the inlined agent, and nothing cut it short
    assert f'href="{prefix}https/demo.cobrowse.invalid/style.css"' in body
    css = await fetch_proxied(f"{prefix}https/demo.cobrowse.invalid/style.css")
    assert f'url("{prefix}https/demo.cobrowse.invalid/img/waves.svg")' in css.body.decode()
    for bad in ("../x", "..%5C..%5Cx", "a/C:/x", "%2e%2e/x"):
        missing = await fetch_proxied(f"{prefix}https/demo.cobrowse.invalid/{bad}")
        assert missing.code in (400, 404), bad
    own = await fetch_proxied(f"{prefix}_/nothing")
    assert own.code == 404 and own.headers["Content-Type"].startswith("text/plain")


async def test_every_redirect_hop_is_checked_again(
    open_session, origin, site_prefix, http_server_client, jp_http_port
):
    """An allowed site redirecting to a private address gets no further: the browser follows the
    rewritten Location through the proxy, which resolves and checks the new host again."""
    prefix = await site_prefix(await open_session(), origin.url("/"))
    inside = f"http://127.0.0.1:{jp_http_port}/api/status"
    hop = await get(
        http_server_client,
        proxied(prefix, origin.url(f"/redirect?to={inside}")),
        follow_redirects=False,
    )
    assert hop.code == 302
    location = hop.headers["Location"]
    assert location.endswith(f"/http/127.0.0.1:{jp_http_port}/api/status")
    refused = await get(http_server_client, location, follow_redirects=False)
    if refused.code == 302:  # first moved to the private site's own capability
        refused = await get(http_server_client, refused.headers["Location"])
    assert refused.code == 502
    assert "allowed_private_hosts" in refused.body.decode()


async def test_navigations_from_another_site_follow_same_site_rules(
    open_session, origin, fetch_proxied, site_prefix, http_server_client, browser_pass
):
    """The origin's session cookie says no SameSite (so Lax): a link from another site's page
    carries it, a form post from there does not, and the user's own navigation always does."""
    entry = await open_session("samesite")
    await fetch_proxied(proxied(entry, origin.url("/setcookie")))
    theirs = await site_prefix(entry, origin.other_url("/"))

    def moved_from_theirs(method: str):
        body = "a=1" if method == "POST" else None
        return fetch_proxied(proxied(theirs, origin.url("/echo")), method=method, body=body)

    await moved_from_theirs("GET")
    assert origin.requests[-1]["cookie"] == "sid=s3cret"
    await moved_from_theirs("POST")
    assert origin.requests[-1]["_method"] == "POST" and "cookie" not in origin.requests[-1]
    # Two forms posting to the same place are two crossings: neither carries the cookie.
    moved = [
        await get(
            http_server_client,
            proxied(theirs, origin.url("/echo")),
            method="POST",
            body="a=1",
            headers=as_browser({"Sec-Fetch-Mode": "navigate"}, browser_pass),
            follow_redirects=False,
        )
        for _ in range(2)
    ]
    for response in moved:
        await fetch_proxied(response.headers["Location"], method="POST", body="a=1")
        assert "cookie" not in origin.requests[-1]
    await fetch_proxied(proxied(entry, origin.url("/echo")), method="POST", body="a=1")
    assert origin.requests[-1]["cookie"] == "sid=s3cret"


async def test_a_client_outside_the_browser_cannot_move_to_another_sites_token(
    open_session, origin, fetch_proxied, site_prefix, http_server_client
):
    """A hostile site's server knows its own token (its page can read its address). Forging
    `Sec-Fetch-Mode: navigate` on it, to a path on another site, must not hand out that site's
    token, which carries the room's (HttpOnly) cookies there: moves need the browser pass.
    Without it, the navigation goes to the site's anonymous token, which carries no cookies."""
    entry = await open_session("outside")
    await fetch_proxied(proxied(entry, origin.url("/setcookie")))  # the room logs in there
    victim = await site_prefix(entry, origin.url("/"))
    hostile = await site_prefix(entry, origin.other_url("/"))
    forged = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe", "Cookie": "x=1"}
    for method, body, wrong_pass in (("GET", None, False), ("POST", "a=1", False),
                                     ("GET", None, True)):  # fmt: skip
        cookie = f"{PASS_COOKIE}=guess" if wrong_pass else "x=1"
        moved = await get(
            http_server_client,
            proxied(hostile, origin.url("/echo")),
            method=method,
            body=body,
            headers={**forged, "Cookie": cookie},
            follow_redirects=False,
        )
        assert moved.code in (302, 307), moved.code
        location = moved.headers["Location"]
        assert not location.startswith(victim) and not location.startswith(hostile)
        answer = await get(
            http_server_client, location, method=method, body=body, headers=forged,
            follow_redirects=False,
        )  # fmt: skip
        assert answer.code == 200 and origin.requests[-1]["_method"] == method
        assert "cookie" not in origin.requests[-1]


async def test_a_frame_a_page_embeds_from_another_site_never_runs_under_its_token(
    open_session, origin, fetch_proxied, site_prefix, http_server_client
):
    """Chromium sends the browser pass with the widget frame's navigations only, not with those
    of frames nested in the (opaque) page. Such a frame from another site (an ad, an embed) must
    not be served under the embedding site's token, whose requests to that site carry the
    room's cookies: it goes to its own site's anonymous token, which carries none anywhere."""
    entry = await open_session("embeds")
    await fetch_proxied(proxied(entry, origin.url("/setcookie")))  # logged in on the page's site
    page = await site_prefix(entry, origin.url("/"))
    nested = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}  # no pass
    moved = await get(
        http_server_client,
        proxied(page, origin.other_url("/page")),
        headers=nested,
        follow_redirects=False,
    )
    assert moved.code == 302
    frame = moved.headers["Location"].split("/http/", 1)[0] + "/"
    framed = await get(
        http_server_client, proxied(frame, origin.other_url("/page")), headers=nested
    )
    assert framed.code == 200 and f'data-cobrowse-prefix="{frame}"' in framed.body.decode()
    assert page not in framed.body.decode()
    # The embedded page's scripts, under its token, reach the embedding site and its own
    # without the room's cookies (they used to be served under the page's token: logged in).
    for url in (origin.url("/echo"), origin.other_url("/echo")):
        await get(http_server_client, proxied(frame, url), headers={"Sec-Fetch-Mode": "cors"})
        assert "cookie" not in origin.requests[-1]
    refused = await get(
        http_server_client, f"{frame}_/cookie?url={origin.other_url('/')}", method="POST",
        body="x=1",
    )  # fmt: skip
    assert refused.code == 403
    # The embedding page's own requests are still logged in.
    await get(
        http_server_client, proxied(page, origin.url("/echo")), headers={"Sec-Fetch-Mode": "cors"}
    )
    assert origin.requests[-1]["cookie"] == "sid=s3cret"

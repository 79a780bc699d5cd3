"""A reader's proxy capabilities only read: the room's logged-in jar is not theirs to act with."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth import Authorizer

from .conftest import PASS_COOKIE, as_browser, get, proxied, server_config


class AsyncReader(Authorizer):
    """Grants only reading co-browsing rooms, answering asynchronously."""

    async def is_authorized(self, handler, user, action, resource) -> bool:  # type: ignore[override]
        return resource != "cobrowse" or action == "read"


@pytest.fixture
def jp_server_config() -> dict:
    return server_config({"authorizer_class": AsyncReader})


async def test_a_readers_tokens_only_read(
    jp_serverapp, jp_fetch, http_server_client, origin, browser_pass
):
    cobrowse = jp_serverapp.extension_manager.extension_apps["jupyter_ext"].pop()
    session = cobrowse.sessions.for_room("class")
    session.jar.store(origin.url("/"), ["sid=teacher"])  # the room is logged in
    answer = await jp_fetch(
        "cobrowse", "api", "session", method="POST", body=json.dumps({"room": "class"})
    )
    reply = json.loads(answer.body)
    assert reply["permissions"] == {"write": False, "lead": False}
    assert session.token not in reply["prefix"] and session.reader_token in reply["prefix"]
    for header in answer.headers.get_list("Set-Cookie"):
        if header.startswith(f"{PASS_COOKIE}="):
            browser_pass["Cookie"] = header.split(";", 1)[0]
    entry = reply["prefix"]
    navigate = as_browser({"Sec-Fetch-Mode": "navigate"}, browser_pass)

    # Reading: the page loads as the room sees it, under a reader's token for the site.
    moved = await get(
        http_server_client,
        proxied(entry, origin.url("/setcookie")),
        headers=navigate,
        follow_redirects=False,
    )
    site = moved.headers["Location"].split("/http/", 1)[0] + "/"
    assert cobrowse.sessions.find(site.rstrip("/").rsplit("/", 1)[1]).read_only
    page = await get(http_server_client, proxied(site, origin.url("/setcookie")), headers=navigate)
    assert page.code == 200 and origin.requests[-1]["cookie"] == "sid=teacher"
    assert session.jar.header_for(origin.url("/")) == "sid=teacher"  # its Set-Cookie ignored

    # Acting: no form posts, no other unsafe methods, no cookies set by the page's scripts.
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        refused = await get(
            http_server_client,
            proxied(site, origin.url("/echo")),
            method=method,
            body="a=1" if method != "DELETE" else None,
            headers=navigate,
            allow_nonstandard_methods=True,
        )
        assert refused.code == 403, method
    cookie = await get(
        http_server_client, f"{site}_/cookie?url={origin.url('/')}", method="POST", body="sid=x"
    )
    assert cookie.code == 403
    assert all(r["_method"] == "GET" for r in origin.requests)
    assert session.jar.header_for(origin.url("/")) == "sid=teacher"

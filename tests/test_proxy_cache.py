"""The room's sub-resource cache, through a real Jupyter server and a loopback site."""

from __future__ import annotations

import pytest

from .conftest import get, proxied


@pytest.fixture
def new_prefix(open_session, origin, site_prefix):
    """A new room's capability prefix for the test site."""

    async def create() -> str:
        return await site_prefix(await open_session(), origin.url("/"))

    return create


def hits(origin, path: str) -> int:
    return sum(request["_path"].startswith(path) for request in origin.requests)


async def test_a_fresh_sub_resource_is_answered_from_the_cache(
    new_prefix, origin, http_server_client
):
    prefix = await new_prefix()
    url = proxied(prefix, origin.url("/cacheable?type=text/css"))
    first = await get(http_server_client, url)
    second = await get(http_server_client, url)
    assert hits(origin, "/cacheable") == 1
    assert second.body == first.body and second.code == 200
    assert second.headers["Content-Type"] == "text/css"
    assert second.headers["Content-Security-Policy"].startswith("sandbox")  # still the proxy's


async def test_no_store_is_fetched_every_time(new_prefix, origin, http_server_client):
    prefix = await new_prefix()
    url = proxied(prefix, origin.url("/cacheable?cc=no-store"))
    first = await get(http_server_client, url)
    second = await get(http_server_client, url)
    assert hits(origin, "/cacheable") == 2 and first.body != second.body


async def test_a_stale_answer_is_checked_with_the_site(new_prefix, origin, http_server_client):
    """no-cache: kept, but confirmed by the site (If-None-Match, 304) before every use; the
    browser gets the whole answer, not the 304 it never asked for."""
    prefix = await new_prefix()
    url = proxied(prefix, origin.url("/cacheable?cc=no-cache"))
    first = await get(http_server_client, url)
    second = await get(http_server_client, url)
    assert hits(origin, "/cacheable") == 2
    assert origin.requests[-1]["if-none-match"] == '"v1"'
    assert second.code == 200 and second.body == first.body


async def test_page_loads_are_never_answered_from_the_cache(
    new_prefix, origin, fetch_proxied, http_server_client
):
    prefix = await new_prefix()
    url = proxied(prefix, origin.url("/cacheable?type=text/html"))
    await get(http_server_client, url)
    await fetch_proxied(url)
    assert hits(origin, "/cacheable") == 2


async def test_requests_with_their_own_conditions_or_ranges_go_to_the_site(
    new_prefix, origin, http_server_client
):
    prefix = await new_prefix()
    url = proxied(prefix, origin.url("/cacheable"))
    await get(http_server_client, url)
    checked = await get(http_server_client, url, headers={"If-None-Match": '"v1"'})
    await get(http_server_client, url, headers={"Range": "bytes=0-1"})
    assert hits(origin, "/cacheable") == 3 and checked.code == 304


async def test_the_cache_is_partitioned_by_the_pages_site(
    open_session, origin, site_prefix, http_server_client
):
    """A response one site's pages fetched (with its cookies) never answers another site's."""
    session = await open_session()
    own = await site_prefix(session, origin.url("/"))
    other = await site_prefix(session, origin.other_url("/"))
    url = origin.url("/cacheable")
    await get(http_server_client, proxied(own, url))
    await get(http_server_client, proxied(other, url))
    await get(http_server_client, proxied(other, url))
    assert hits(origin, "/cacheable") == 2


async def test_rooms_do_not_share_a_cache(open_session, origin, site_prefix, http_server_client):
    url = origin.url("/cacheable")
    for room in ("a", "b"):
        await get(
            http_server_client, proxied(await site_prefix(await open_session(room), url), url)
        )
    assert hits(origin, "/cacheable") == 2


async def test_vary_cookie_keeps_logged_in_answers_apart(
    new_prefix, origin, fetch_proxied, http_server_client
):
    prefix = await new_prefix()
    url = proxied(prefix, origin.url("/cacheable?vary=Cookie"))
    await get(http_server_client, url)
    await fetch_proxied(proxied(prefix, origin.url("/setcookie")))  # the jar gets a cookie
    await get(http_server_client, url)
    assert hits(origin, "/cacheable") == 2


async def test_a_change_to_a_resource_forgets_its_kept_answer(
    new_prefix, origin, http_server_client
):
    prefix = await new_prefix()
    url = proxied(prefix, origin.url("/cacheable"))
    await get(http_server_client, url)
    await get(http_server_client, url, method="POST", body="new")
    await get(http_server_client, url)
    assert [r["_method"] for r in origin.requests] == ["GET", "POST", "GET"]

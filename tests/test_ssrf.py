import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from jupyter_ext._ssrf import AddressPolicy, BlockedAddressError, GuardedResolver

REFUSED = [
    "127.0.0.1",
    "127.1.2.3",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "::ffff:0:127.0.0.1",
    "64:ff9b::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::10.0.0.1",
    "2002:7f00:1::",
    "2002:a9fe:a9fe::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "not an address",
]

ALLOWED = [
    "93.184.215.14",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_refused_by_default(address: str) -> None:
    assert not AddressPolicy().allows("example.com", address)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_allowed(address: str) -> None:
    assert AddressPolicy().allows("example.com", address)


@pytest.mark.parametrize(
    ("allowed", "host", "address", "expected"),
    [
        (["127.0.0.1"], "localhost", "127.0.0.1", True),
        (["127.0.0.1"], "localhost", "127.0.0.2", False),
        (["127.0.0.1"], "x", "::ffff:127.0.0.1", True),
        (["127.0.0.0/8"], "x", "127.9.9.9", True),
        (["10.0.0.1/8"], "x", "10.200.0.1", True),
        (["10.0.0.0/8"], "x", "192.168.0.1", False),
        (["::1"], "x", "::1", True),
        (["[::1]"], "x", "::1", True),
        (["fd00::/8"], "x", "fd12::1", True),
        (["fd00::/8"], "x", "10.0.0.1", False),
        (["LocalHost"], "localhost", "127.0.0.1", True),
        (["localhost"], "LOCALHOST.", "::1", True),
        (["localhost"], "[::1]", "::1", False),
        (["intranet.example"], "intranet.example", "10.0.0.5", True),
        (["intranet.example"], "other.example", "10.0.0.5", False),
        (["169.254.169.254"], "x", "169.254.169.254", True),
        ([], "x", "8.8.8.8", True),
    ],
)
def test_allow_list(allowed: list[str], host: str, address: str, expected: bool) -> None:
    assert AddressPolicy(allowed).allows(host, address) is expected


@pytest.mark.parametrize(
    "entry",
    [
        "",
        " ",
        "10.0.0.0/33",
        "10.0.0.300",
        "1.2.3",
        "::g",
        "fd00::/129",
        "a b",
        "*.example.com",
        "h@x",
    ],
)
def test_invalid_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="invalid allowed"):
        AddressPolicy([entry])


def test_error_message() -> None:
    error = BlockedAddressError("intranet", ["10.0.0.5"])
    assert isinstance(error, OSError)
    assert error.host == "intranet"
    text = str(error)
    assert "intranet" in text and "10.0.0.5" in text
    assert "private" in text and "loopback" in text
    assert "c.CoBrowse.allowed_private_hosts" in text


class _Hello(RequestHandler):
    def get(self) -> None:
        self.write("hello")


async def _with_server(test: Callable[[int], Awaitable[None]]) -> None:
    sockets = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    server = HTTPServer(Application([(r"/", _Hello)]))
    server.add_sockets(sockets)
    try:
        await test(sockets[0].getsockname()[1])
    finally:
        server.stop()
        await server.close_all_connections()


async def _fetch(policy: AddressPolicy, url: str) -> bytes:
    resolver = GuardedResolver(policy)
    client = AsyncHTTPClient(force_instance=True, resolver=resolver)
    try:
        response = await client.fetch(url, request_timeout=10)
        return response.body
    finally:
        client.close()
        resolver.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "017700000001"])
def test_client_refuses_loopback_by_default(host: str) -> None:
    async def check(port: int) -> None:
        with pytest.raises(BlockedAddressError, match="allowed_private_hosts"):
            await _fetch(AddressPolicy(), f"http://{host}:{port}/")

    asyncio.run(_with_server(check))


@pytest.mark.parametrize("allowed", [["127.0.0.1"], ["127.0.0.0/8"], ["localhost"]])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433"])
def test_client_allows_listed(allowed: list[str], host: str) -> None:
    async def check(port: int) -> None:
        if allowed == ["localhost"] and host != "localhost":
            with pytest.raises(BlockedAddressError):
                await _fetch(AddressPolicy(allowed), f"http://{host}:{port}/")
        else:
            assert await _fetch(AddressPolicy(allowed), f"http://{host}:{port}/") == b"hello"

    asyncio.run(_with_server(check))


@pytest.mark.parametrize(
    ("host", "addresses"),
    [
        ("2130706433", {"127.0.0.1"}),
        ("0x7f.1", {"127.0.0.1"}),
        ("017700000001", {"127.0.0.1"}),
        ("127.1", {"127.0.0.1"}),
        ("::ffff:127.0.0.1", {"::ffff:127.0.0.1"}),
    ],
)
def test_resolver_refuses_disguised_loopback(host: str, addresses: set[str]) -> None:
    async def check() -> None:
        resolver = GuardedResolver(AddressPolicy())
        try:
            with pytest.raises(BlockedAddressError) as caught:
                await resolver.resolve(host, 80)
            assert set(caught.value.addresses) == addresses
            allowing = GuardedResolver(AddressPolicy(["127.0.0.0/8"]))
            resolved = await allowing.resolve(host, 80)
            assert {addr[0] for _, addr in resolved} == addresses
            allowing.close()
        finally:
            resolver.close()

    asyncio.run(check())


def test_client_refuses_bracketed_mapped_literal() -> None:
    async def check(port: int) -> None:
        with pytest.raises(BlockedAddressError):
            await _fetch(AddressPolicy(), f"http://[::ffff:127.0.0.1]:{port}/")

    asyncio.run(_with_server(check))

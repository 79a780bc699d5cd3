import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler
from tornado.websocket import WebSocketHandler, websocket_connect

from jupyter_ext.proxy._fetch import Upstream
from jupyter_ext.proxy._host_addresses import machine_addresses
from jupyter_ext.proxy._pages import failure_reason
from jupyter_ext.proxy._ssrf import AddressPolicy, BlockedAddressError, GuardedResolver, Refusal

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
    assert not AddressPolicy().allows("example.com", address, 80)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_allowed(address: str) -> None:
    assert AddressPolicy().allows("example.com", address, 443)


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
    assert AddressPolicy(allowed).allows(host, address, 8000) is expected


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
        "localhost:",
        "localhost:0",
        "localhost:65536",
        "localhost:http",
        "localhost:\uff18\uff10",  # full-width digits
        "127.0.0.1:8000:1",
        "[::1]:",
        "[::1",
        "[::1]x",
        "[::1]:99999",
        "[localhost]:8000",
        "10.0.0.0/33:80",
    ],
)
def test_invalid_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="invalid allowed"):
        AddressPolicy([entry])


def test_invalid_entry_says_what_is_expected() -> None:
    with pytest.raises(ValueError, match=r"'localhost:99999': a port is a number from 1 to 65535"):
        AddressPolicy(["localhost:99999"])
    with pytest.raises(ValueError, match=r"such as localhost:8000, 127.0.0.1:8000, \[::1\]:8000"):
        AddressPolicy(["a b"])


@pytest.mark.parametrize(
    ("entry", "host", "address", "port", "expected"),
    [
        ("127.0.0.1:8000", "127.0.0.1", "127.0.0.1", 8000, True),
        ("127.0.0.1:8000", "127.0.0.1", "127.0.0.1", 8001, False),
        ("127.0.0.1:8000", "x", "::ffff:127.0.0.1", 8000, True),
        ("127.0.0.1:8000", "x", "::ffff:127.0.0.1", 8888, False),
        ("localhost:8000", "localhost", "127.0.0.1", 8000, True),
        ("localhost:8000", "LocalHost.", "::1", 8000, True),
        ("localhost:8000", "localhost", "127.0.0.1", 8888, False),
        ("[::1]:8000", "x", "::1", 8000, True),
        ("[::1]:8000", "x", "::1", 80, False),
        ("[::1]", "x", "::1", 80, True),
        ("::1", "x", "::1", 80, True),
        ("10.0.0.0/8:8000", "x", "10.1.2.3", 8000, True),
        ("10.0.0.0/8:8000", "x", "10.1.2.3", 8080, False),
        ("[fd00::/8]:443", "x", "fd12::1", 443, True),
        ("[fd00::/8]:443", "x", "fd12::1", 80, False),
        ("fd00::/8", "x", "fd12::1", 80, True),
        ("intranet.example:8080", "intranet.example", "10.0.0.5", 8080, True),
        ("intranet.example:8080", "intranet.example", "10.0.0.5", 80, False),
        (" 127.0.0.1:8000 ", "x", "127.0.0.1", 8000, True),
    ],
)
def test_ports_in_entries(entry: str, host: str, address: str, port: int, expected: bool) -> None:
    assert AddressPolicy([entry]).allows(host, address, port) is expected


@dataclass
class _Server:
    """Where a Jupyter server listens, as a ServerApp tells it."""

    ip: str
    port: int


JUPYTER = 8888
EVERYTHING = ["0.0.0.0/0", "::/0", "localhost", "intranet.example"]
THIS_MACHINE = [
    "127.0.0.1",
    "127.9.9.9",
    "::1",
    "0.0.0.0",
    "0.1.2.3",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:0.0.0.0",
    "::127.0.0.1",
    "::ffff:0:127.0.0.1",
    "64:ff9b::127.0.0.1",
    "2002:7f00:1::",
    "0:0:0:0:0:ffff:7f00:0001",
]


@pytest.mark.parametrize("address", THIS_MACHINE)
@pytest.mark.parametrize("host", ["localhost", "intranet.example", "x"])
def test_own_server_is_refused_whatever_the_allow_list(host: str, address: str) -> None:
    policy = AddressPolicy(EVERYTHING, server=_Server("localhost", JUPYTER))
    assert policy.refusal(host, address, JUPYTER) is Refusal.OWN_SERVER
    assert policy.allows(host, address, JUPYTER + 1)  # another service on this machine


@pytest.mark.parametrize("entry", ["127.0.0.1", "127.0.0.1:8888", "localhost:8888", "[::1]:8888"])
def test_an_entry_naming_the_server_port_does_not_open_it(entry: str) -> None:
    policy = AddressPolicy([entry], server=_Server("127.0.0.1", JUPYTER))
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert policy.refusal("localhost", address, JUPYTER) is Refusal.OWN_SERVER


def test_own_server_on_this_machines_interface_addresses() -> None:
    """A server listening on every interface is reached through each of them; public ones are
    allowed without any entry, so they must be refused as the server's."""
    mine = machine_addresses()
    outside = [a for a in mine if not (a.is_loopback or a.is_unspecified)]
    if not outside:
        pytest.skip(f"this machine has no interface address besides loopback: {mine}")
    policy = AddressPolicy(EVERYTHING, server=_Server("", JUPYTER))
    for address in outside:
        assert policy.refusal("x", str(address), JUPYTER) is Refusal.OWN_SERVER, address
        if address.version == 4:
            mapped = f"::ffff:{address}"
            assert policy.refusal("x", mapped, JUPYTER) is Refusal.OWN_SERVER, mapped
        assert policy.allows("x", str(address), JUPYTER + 1)


def test_own_server_on_its_listening_address() -> None:
    policy = AddressPolicy(EVERYTHING, server=_Server("203.0.113.9", JUPYTER))
    assert policy.refusal("x", "203.0.113.9", JUPYTER) is Refusal.OWN_SERVER
    assert policy.allows("x", "203.0.113.9", 443)
    public = AddressPolicy([], server=_Server("8.8.4.4", JUPYTER))
    assert public.refusal("dns.example", "8.8.4.4", JUPYTER) is Refusal.OWN_SERVER
    assert public.allows("dns.example", "8.8.4.4", 443)


def test_own_server_port_is_read_when_checking() -> None:
    """The server binds its port after extensions load (and may take another one)."""
    server = _Server("localhost", 0)
    policy = AddressPolicy(["127.0.0.1"], server=server)
    assert policy.allows("x", "127.0.0.1", 9999)
    server.port = 9999
    assert policy.refusal("x", "127.0.0.1", 9999) is Refusal.OWN_SERVER


def test_without_a_server_only_the_allow_list_decides() -> None:
    assert AddressPolicy(["127.0.0.1"]).allows("x", "127.0.0.1", JUPYTER)


def test_permitted_keeps_the_allowed_and_says_why_not() -> None:
    policy = AddressPolicy(["10.0.0.0/8"], server=_Server("localhost", JUPYTER))
    assert policy.permitted("x", ["127.0.0.1", "10.0.0.1", "8.8.8.8"], JUPYTER) == [
        "10.0.0.1",
        "8.8.8.8",
    ]
    with pytest.raises(BlockedAddressError) as own:
        policy.permitted("localhost", ["127.0.0.1", "::1", "127.0.0.1"], JUPYTER)
    assert own.value.own_server and own.value.addresses == ["127.0.0.1", "::1"]
    text = str(own.value)
    assert text.startswith("refusing to connect to localhost:8888 (127.0.0.1, ::1): ")
    assert "this Jupyter server itself" in text
    with pytest.raises(BlockedAddressError) as private:
        policy.permitted("::1", ["::1"], 8000)
    assert not private.value.own_server
    assert "add '[::1]:8000' to c.CoBrowse.allowed_private_hosts" in str(private.value)


def test_error_message() -> None:
    error = BlockedAddressError("intranet", ["10.0.0.5"], 8080)
    assert isinstance(error, OSError)
    assert error.host == "intranet"
    text = str(error)
    assert "intranet" in text and "10.0.0.5" in text
    assert "private" in text and "loopback" in text
    assert "add 'intranet:8080' to c.CoBrowse.allowed_private_hosts" in text


class _Hello(RequestHandler):
    def get(self) -> None:
        self.write("hello")


class _Echo(WebSocketHandler):
    def on_message(self, message: str | bytes) -> None:
        self.write_message(message)


async def _with_server(test: Callable[[int], Awaitable[None]]) -> None:
    sockets = bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    server = HTTPServer(Application([(r"/", _Hello), (r"/ws", _Echo)]))
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


LOOPBACK_SPELLINGS = ["127.0.0.1", "localhost", "2130706433", "127.1", "[::ffff:127.0.0.1]"]


def _two_servers(test: Callable[[int, int], Awaitable[None]]) -> None:
    """Runs `test(jupyter_port, other_port)` with two real servers on 127.0.0.1."""

    async def outer(jupyter: int) -> None:
        await _with_server(lambda other: test(jupyter, other))

    asyncio.run(_with_server(outer))


def _own_policy(jupyter: int) -> AddressPolicy:
    return AddressPolicy(["127.0.0.1", "localhost"], server=_Server("localhost", jupyter))


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_tornado_client_never_reaches_own_server(host: str) -> None:
    async def check(jupyter: int, other: int) -> None:
        policy = _own_policy(jupyter)
        with pytest.raises(BlockedAddressError, match="this Jupyter server itself"):
            await _fetch(policy, f"http://{host}:{jupyter}/")
        assert await _fetch(policy, f"http://{host}:{other}/") == b"hello"

    _two_servers(check)


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_websocket_never_reaches_own_server(host: str) -> None:
    """tornado resolves IP literals through the resolver too, so the proxy's WebSocket path is
    checked whatever the spelling."""

    async def check(jupyter: int, other: int) -> None:
        resolver = GuardedResolver(_own_policy(jupyter))
        try:
            with pytest.raises(BlockedAddressError, match="this Jupyter server itself"):
                await websocket_connect(f"ws://{host}:{jupyter}/ws", resolver=resolver)
            ws = await websocket_connect(f"ws://{host}:{other}/ws", resolver=resolver)
            await ws.write_message("hi")
            assert await ws.read_message() == "hi"
            ws.close()
        finally:
            resolver.close()

    _two_servers(check)


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_upstream_never_reaches_own_server(host: str) -> None:
    """The aiohttp client the proxy fetches pages with: names through its resolver, IP literals
    (which aiohttp connects to without resolving) checked before the request."""

    async def check(jupyter: int, other: int) -> None:
        upstream = Upstream(_own_policy(jupyter), 5.0, 1024, 5.0)
        try:
            url = f"http://{host}:{jupyter}/"
            with pytest.raises(Exception) as refused:  # aiohttp wraps what its resolver raised
                await upstream.open("GET", url, {}, None)
            assert "this Jupyter server itself" in failure_reason(refused.value, url)
            if host in ("2130706433", "127.1"):
                return  # aiohttp refuses legacy numeric forms itself
            response = await upstream.open("GET", f"http://{host}:{other}/", {}, None)
            assert response.code == 200
            assert b"".join([chunk async for chunk in response.chunks()]) == b"hello"
            response.release()
        finally:
            await upstream.close()

    _two_servers(check)

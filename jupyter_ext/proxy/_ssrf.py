"""The SSRF guard: refuse private, loopback and link-local addresses at connect time, and the
Jupyter server itself whatever the allow-list says."""

from __future__ import annotations

import enum
import ipaddress
import math
import re
import socket
import time
from collections.abc import Iterable
from typing import Any, Protocol

from tornado.netutil import DefaultLoopResolver, Resolver

from ._host_addresses import IPAddress, addresses_of, machine_addresses

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_HOSTNAME = re.compile(r"[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_-]+)*")
_BRACKETED = re.compile(r"\[([^\]]*)\](?::(.*))?")
_PORT = re.compile(r"[0-9]{1,5}")
# IPv6 prefixes whose low 32 bits are an IPv4 address that decides where packets really go.
_TRANSLATED = tuple(
    ipaddress.IPv6Network(n)
    for n in ("::ffff:0:0/96", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96")
)
# Addresses that always mean this machine: loopback, and "this host" (0.0.0.0, ::).
_THIS_HOST = tuple(
    ipaddress.ip_network(n) for n in ("0.0.0.0/8", "127.0.0.0/8", "::/128", "::1/128")
)
_REFRESH = 10.0  # seconds a snapshot of this machine's interface addresses is used
_EXAMPLES = "localhost:8000, 127.0.0.1:8000, [::1]:8000, 10.0.0.0/8 or intranet.example"


class ServerAddress(Protocol):
    """Where the Jupyter server listens; a ``ServerApp`` is one. Its port is read at each check,
    since the server binds it (perhaps to another port than configured) after extensions load."""

    @property
    def ip(self) -> str: ...

    @property
    def port(self) -> int: ...


class Refusal(enum.Enum):
    """Why an address is refused."""

    PRIVATE = "private"  # private, loopback, link-local... and not in the allow-list
    OWN_SERVER = "own server"  # this Jupyter server: never, whatever the allow-list says


def _normalise_host(host: str) -> str:
    return host.strip().removeprefix("[").removesuffix("]").rstrip(".").lower()


def _parse_address(address: str) -> IPAddress:
    return ipaddress.ip_address(address.partition("%")[0])


def _translated(ip: IPAddress) -> bool:
    return isinstance(ip, ipaddress.IPv6Address) and any(ip in n for n in _TRANSLATED)


def _embedded(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses hidden in an IPv6 one (mapped, compatible, NAT64, 6to4, Teredo)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return []
    found = [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)] if _translated(ip) else []
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found += ip.teredo
    return found


def _is_public(ip: IPAddress) -> bool:
    """True if `ip`, and every IPv4 address hidden in it, is a public unicast address."""
    addresses = _embedded(ip) if _translated(ip) else [ip, *_embedded(ip)]
    return all(
        a.is_global and not (a.is_multicast or a.is_reserved or a.is_unspecified) for a in addresses
    )


def _in_any(candidates: Iterable[IPAddress], networks: Iterable[IPNetwork]) -> bool:
    return any(c in n for c in candidates for n in networks if c.version == n.version)


def _split_entry(entry: str) -> tuple[str, int | None]:
    """An allow-list entry's host part and port: ``host``, ``host:port``, ``[IPv6]``,
    ``[IPv6]:port``; a bare IPv6 address or network has no port."""
    value = entry.strip()
    if value.startswith("["):
        bracketed = _BRACKETED.fullmatch(value)
        if bracketed is None or ":" not in bracketed[1]:
            raise ValueError("brackets hold an IPv6 address: [::1] or [::1]:8000")
        host, port = bracketed[1], bracketed[2]
    else:
        head, colon, tail = value.rpartition(":")
        host, port = (head, tail) if colon and ":" not in head else (value, None)
    if port is None:
        return host, None
    if not _PORT.fullmatch(port) or not 0 < int(port) < 65536:
        raise ValueError("a port is a number from 1 to 65535")
    return host, int(port)


def _netloc(host: str, port: int | None) -> str:
    if port is None:
        return host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class AddressPolicy:
    """Which upstream addresses and ports the proxy may connect to.

    Public addresses always; private, loopback, link-local, shared, multicast and reserved ones
    only when the hostname, the address or a network containing it is in `allowed`, on the
    entry's port if it names one. Never the Jupyter `server` itself: its port on loopback, on
    0.0.0.0 or ::, on the address it listens on or on any of this machine's addresses.
    """

    def __init__(self, allowed: Iterable[str] = (), server: ServerAddress | None = None) -> None:
        self.hosts: list[tuple[str, int | None]] = []
        self.networks: list[tuple[IPNetwork, int | None]] = []
        for entry in allowed:
            self._add(entry)
        self.server = server
        self._listening = addresses_of(server.ip) if server is not None else set()
        self._machine: set[IPAddress] = set()
        self._machine_read_at = -math.inf

    def _add(self, entry: str) -> None:
        try:
            host, port = _split_entry(entry)
        except ValueError as e:
            raise ValueError(f"invalid allowed host {entry!r}: {e}") from e
        value = _normalise_host(host)
        if "/" in value:
            try:
                self.networks.append((ipaddress.ip_network(value, strict=False), port))
            except ValueError as e:
                raise ValueError(f"invalid allowed network {entry!r}: {e}") from e
            return
        try:
            self.networks.append((ipaddress.ip_network(_parse_address(value)), port))
            return
        except ValueError:
            pass
        if not _HOSTNAME.fullmatch(value) or value.rpartition(".")[2].isdigit():
            raise ValueError(
                f"invalid allowed host {entry!r}: expected a hostname, an IP address or a CIDR "
                f"network, with a port or not, such as {_EXAMPLES}"
            )
        self.hosts.append((value, port))

    def refusal(self, host: str, address: str, port: int) -> Refusal | None:
        """Why connecting to `address` on `port`, resolved from `host`, is refused (None if not)."""
        try:
            ip = _parse_address(address)
        except ValueError:
            return Refusal.PRIVATE
        candidates = [ip, *_embedded(ip)]
        if self._is_own_server(candidates, port):
            return Refusal.OWN_SERVER
        if self._listed(_normalise_host(host), candidates, port) or _is_public(ip):
            return None
        return Refusal.PRIVATE

    def allows(self, host: str, address: str, port: int) -> bool:
        """Whether connecting to `address` on `port`, resolved from `host`, is allowed."""
        return self.refusal(host, address, port) is None

    def permitted(self, host: str, addresses: Iterable[str], port: int) -> list[str]:
        """The `addresses` (what `host` resolved to) the proxy may connect to on `port`; raises
        BlockedAddressError, saying why, when there is none."""
        refusals = {address: self.refusal(host, address, port) for address in addresses}
        allowed = [address for address, refusal in refusals.items() if refusal is None]
        if not allowed:
            own = Refusal.OWN_SERVER in refusals.values()
            raise BlockedAddressError(host, refusals, port, own_server=own)
        return allowed

    def _listed(self, host: str, candidates: list[IPAddress], port: int) -> bool:
        if any(name == host and p in (None, port) for name, p in self.hosts):
            return True
        return _in_any(candidates, [network for network, p in self.networks if p in (None, port)])

    def _is_own_server(self, candidates: list[IPAddress], port: int) -> bool:
        if self.server is None or port != self.server.port:
            return False
        return _in_any(candidates, _THIS_HOST) or any(
            c in self._listening or c in self._machine_addresses() for c in candidates
        )

    def _machine_addresses(self) -> set[IPAddress]:
        """This machine's addresses, read again now and then (laptops change networks, IPv6
        temporary addresses rotate)."""
        now = time.monotonic()
        if now - self._machine_read_at > _REFRESH:
            self._machine = machine_addresses()
            self._machine_read_at = now
        return self._machine


class BlockedAddressError(OSError):
    """Raised when every address a host resolves to is refused by the policy."""

    def __init__(
        self,
        host: str,
        addresses: Iterable[str] = (),
        port: int | None = None,
        own_server: bool = False,
    ) -> None:
        self.host = host
        self.addresses = list(addresses)
        self.port = port
        self.own_server = own_server
        where = _netloc(host, port)
        shown = f" ({', '.join(self.addresses)})" if self.addresses else ""
        if own_server:
            why = (
                "that is this Jupyter server itself, which proxied pages never reach, whatever "
                "c.CoBrowse.allowed_private_hosts says"
            )
        else:
            why = (
                "private, loopback and link-local addresses are refused; to allow it, add "
                f"{where!r} to c.CoBrowse.allowed_private_hosts"
            )
        super().__init__(f"refusing to connect to {where}{shown}: {why}")


class GuardedResolver(Resolver):
    """A tornado resolver that drops the addresses `policy` refuses.

    Given to `AsyncHTTPClient(force_instance=True, resolver=...)` or `websocket_connect`, the
    check applies to the address the client actually connects to, on every request; tornado
    resolves IP literals through it too.
    """

    def initialize(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self.policy = policy
        self.resolver = resolver or DefaultLoopResolver()

    def close(self) -> None:
        self.resolver.close()

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        resolved = await self.resolver.resolve(host, port, family)
        allowed = set(self.policy.permitted(host, (addr[0] for _, addr in resolved), port))
        return [(f, addr) for f, addr in resolved if addr[0] in allowed]

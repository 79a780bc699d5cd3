"""The SSRF guard: refuse private, loopback and link-local addresses at connect time."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import Any

from tornado.netutil import DefaultLoopResolver, Resolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_HOSTNAME = re.compile(r"[a-z0-9_][a-z0-9_-]*(?:\.[a-z0-9_-]+)*")
# IPv6 prefixes whose low 32 bits are an IPv4 address that decides where packets really go.
_TRANSLATED = tuple(
    ipaddress.IPv6Network(n)
    for n in ("::ffff:0:0/96", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "::ffff:0:0:0/96")
)


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


class AddressPolicy:
    """Which upstream addresses the proxy may connect to.

    Public addresses always; private, loopback, link-local, shared, multicast and reserved ones
    only when the hostname, the address or a network containing it is in `allowed`.
    """

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[IPNetwork] = []
        for entry in allowed:
            self._add(entry)

    def _add(self, entry: str) -> None:
        value = _normalise_host(entry)
        if "/" in value:
            try:
                self.networks.append(ipaddress.ip_network(value, strict=False))
            except ValueError as e:
                raise ValueError(f"invalid allowed network {entry!r}: {e}") from e
            return
        try:
            self.networks.append(ipaddress.ip_network(_parse_address(value)))
            return
        except ValueError:
            pass
        if not _HOSTNAME.fullmatch(value) or value.rpartition(".")[2].isdigit():
            raise ValueError(
                f"invalid allowed host {entry!r}: expected a hostname, an IP address or a CIDR "
                "network such as 10.0.0.0/8"
            )
        self.hosts.add(value)

    def allows(self, host: str, address: str) -> bool:
        """Whether connecting to `address`, resolved from `host`, is allowed."""
        if _normalise_host(host) in self.hosts:
            return True
        try:
            ip = _parse_address(address)
        except ValueError:
            return False
        candidates = [ip, *_embedded(ip)]
        if any(c in n for c in candidates for n in self.networks if c.version == n.version):
            return True
        return _is_public(ip)


class BlockedAddressError(OSError):
    """Raised when every address a host resolves to is refused by the policy."""

    def __init__(self, host: str, addresses: Iterable[str] = ()) -> None:
        self.host = host
        self.addresses = list(addresses)
        shown = f" ({', '.join(self.addresses)})" if self.addresses else ""
        super().__init__(
            f"refusing to connect to {host}{shown}: private, loopback and link-local addresses "
            f"are refused; to allow it, add {host!r} to c.CoBrowse.allowed_private_hosts"
        )


class GuardedResolver(Resolver):
    """A tornado resolver that drops the addresses `policy` refuses.

    Given to `AsyncHTTPClient(force_instance=True, resolver=...)`, the check applies to the
    address the client actually connects to, on every request and every redirect hop.
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
        allowed = [(f, addr) for f, addr in resolved if self.policy.allows(host, addr[0])]
        if not allowed:
            raise BlockedAddressError(host, dict.fromkeys(addr[0] for _, addr in resolved))
        return allowed

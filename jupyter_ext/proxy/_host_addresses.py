"""This machine's own IP addresses, as far as the standard library can find them.

The SSRF guard refuses them on the Jupyter server's port: a page must not reach the server it is
proxied by through any of its interfaces. Reading them never waits on the network.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from pathlib import Path

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Routable destinations for the routing-table lookup below; connecting a UDP socket sends nothing.
_PROBES = ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1"))


def _linux_ipv4(fib_trie: str) -> set[IPAddress]:
    """Every local IPv4 address in ``/proc/net/fib_trie`` (a ``|-- a.b.c.d`` line followed by
    ``/32 host LOCAL``), secondary addresses included."""
    found: set[IPAddress] = set()
    previous = ""
    for line in fib_trie.splitlines():
        if line.strip().endswith("host LOCAL") and previous.startswith("|--"):
            with contextlib.suppress(ValueError):
                found.add(ipaddress.IPv4Address(previous[3:].strip()))
        previous = line.strip()
    return found


def _linux_ipv6(if_inet6: str) -> set[IPAddress]:
    """Every IPv6 address in ``/proc/net/if_inet6`` (32 hex digits first on each line)."""
    return {
        ipaddress.IPv6Address(int(line.split()[0], 16)) for line in if_inet6.splitlines() if line
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:  # not Linux, or no IPv6
        return ""


def _routed() -> set[IPAddress]:
    """The source address the kernel picks for outside destinations, on any system."""
    found: set[IPAddress] = set()
    for family, destination in _PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((destination, 9))
                found.add(ipaddress.ip_address(probe.getsockname()[0].partition("%")[0]))
        except (OSError, ValueError):  # no route for that family
            pass
    return found


def machine_addresses() -> set[IPAddress]:
    """This host's interface addresses: all of them on Linux, the routed ones elsewhere."""
    return (
        _linux_ipv4(_read("/proc/net/fib_trie"))
        | _linux_ipv6(_read("/proc/net/if_inet6"))
        | _routed()
    )


def addresses_of(host: str) -> set[IPAddress]:
    """What ``host`` (an address or a name, as in ``ServerApp.ip``) resolves to; blocks on DNS
    for a name, so call it at start-up."""
    if not host:
        return set()
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return set()
    return {ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos}

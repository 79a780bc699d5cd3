import ipaddress
import sys

import pytest

from jupyter_ext.proxy._host_addresses import (
    _linux_ipv4,
    _linux_ipv6,
    addresses_of,
    machine_addresses,
)

# /proc/net/fib_trie and /proc/net/if_inet6 as read on a test machine (one interface, eth0).
FIB_TRIE = """Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
"""
IF_INET6 = """fe8000000000000000fc00fffe000001 04 40 20 80     eth0
fd000000000000000000000000000002 04 40 00 82     eth0
00000000000000000000000000000001 01 80 10 80       lo
"""


def test_linux_ipv4_local_addresses() -> None:
    found = {str(a) for a in _linux_ipv4(FIB_TRIE)}
    assert found == {"127.0.0.0", "127.0.0.1", "192.0.2.2"}  # no broadcast or network routes


def test_linux_ipv6_addresses() -> None:
    assert {str(a) for a in _linux_ipv6(IF_INET6)} == {"fe80::fc:ff:fe00:1", "fd00::2", "::1"}


@pytest.mark.skipif(sys.platform != "linux", reason="procfs is Linux's")
def test_machine_addresses_include_loopback() -> None:
    assert ipaddress.ip_address("127.0.0.1") in machine_addresses()


@pytest.mark.parametrize(
    ("host", "expected"), [("", set()), ("127.0.0.1", {"127.0.0.1"}), ("localhost", {"127.0.0.1"})]
)
def test_addresses_of(host: str, expected: set[str]) -> None:
    assert expected <= {str(a) for a in addresses_of(host)}
    assert bool(expected) == bool(addresses_of(host))


def test_addresses_of_an_unknown_name_is_empty() -> None:
    assert addresses_of("no-such-host.invalid") == set()

"""Kernel passes: what lets a kernel's replica join its notebook's room on a websocket of its own.

A view asks the session endpoint as its (authenticated) user and hands the pass to its kernel
over the widget's comm; the kernel then syncs with the room directly, whatever number of views
it has, and keeps syncing when none is displayed. A pass is a capability for one room, with its
user's identity and permission, for a while; the server keeps a bounded number of them.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class KernelPass:
    """What a pass lets its holder do: join ``room`` as ``user``, writing when ``write``,
    starting to present when ``lead``."""

    room: str
    user: dict[str, str]
    write: bool
    expires: float
    lead: bool = True


class KernelPasses:
    """The passes this server issued, most recently issued last; the oldest go past ``limit``."""

    def __init__(self, lifetime: float = 12 * 3600.0, limit: int = 4096) -> None:
        self.lifetime = lifetime
        self.limit = limit
        self._passes: OrderedDict[str, KernelPass] = OrderedDict()

    def issue(self, room: str, user: dict[str, str], write: bool, lead: bool = True) -> str:
        """A new pass for ``user`` in ``room``."""
        token = secrets.token_urlsafe(32)
        expires = time.monotonic() + self.lifetime
        self._passes[token] = KernelPass(room, user, write, expires, lead)
        while len(self._passes) > self.limit:
            self._passes.popitem(last=False)
        return token

    def check(self, token: str, room: str) -> KernelPass | None:
        """The pass ``token`` if it is for ``room`` and has not expired."""
        held = self._passes.get(token)
        if held is None or held.room != room:
            return None
        if held.expires < time.monotonic():
            del self._passes[token]
            return None
        return held

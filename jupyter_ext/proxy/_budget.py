"""Byte budgets shared by every room on the server.

``KeptBytes``: what rooms keep between requests (cached sub-resources, kept form results) under
one budget, least recently used dropped first, whichever room it belongs to.
``InFlightBytes``: what requests hold while they are being read (uploads, pages being rewritten),
refused past the budget instead of growing without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable


class KeptBytes:
    """One least-recently-used byte budget over entries kept by many stores."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self._entries: OrderedDict[Hashable, tuple[int, Callable[[], None]]] = OrderedDict()

    def charge(self, key: Hashable, size: int, evict: Callable[[], None]) -> bool:
        """Count ``size`` bytes kept under ``key`` (unique across stores); ``evict`` drops the
        entry from its store when the budget needs the room. False if it can never fit."""
        self.release(key)
        if size > self.max_bytes:
            return False
        self._entries[key] = (size, evict)
        self.used += size
        while self.used > self.max_bytes:
            _, (old_size, drop) = self._entries.popitem(last=False)
            self.used -= old_size
            drop()
        return True

    def touch(self, key: Hashable) -> None:
        """``key`` was used: it goes last."""
        if key in self._entries:
            self._entries.move_to_end(key)

    def release(self, key: Hashable) -> None:
        """The store dropped ``key`` itself."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.used -= entry[0]

    def __len__(self) -> int:
        return len(self._entries)


class InFlightBytes:
    """A budget of bytes held by requests in progress across the server."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0

    def take(self, size: int) -> bool:
        """Hold ``size`` more bytes, or False (nothing held) when the budget is spent."""
        if self.used + size > self.max_bytes:
            return False
        self.used += size
        return True

    def give_back(self, size: int) -> None:
        """Release ``size`` bytes taken earlier."""
        self.used -= size

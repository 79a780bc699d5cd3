"""Result pages of form submissions, kept per session so followers see them without re-posting."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass

from ._budget import KeptBytes


@dataclass(frozen=True)
class Result:
    """A rewritten page that answered a form submission."""

    url: str
    content_type: str
    body: bytes


class ResultStore:
    """The latest submission results of one session, oldest dropped first past its byte budget
    or the server's (``kept``, shared with every room)."""

    def __init__(
        self, max_bytes: int = 8 * 1024 * 1024, max_items: int = 32, kept: KeptBytes | None = None
    ) -> None:
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._kept = kept if kept is not None else KeptBytes(max_bytes)
        self._items: OrderedDict[str, Result] = OrderedDict()

    @staticmethod
    def new_id() -> str:
        """An unguessable id for a result about to be kept."""
        return secrets.token_urlsafe(12)

    def keep(self, result_id: str, result: Result) -> None:
        """Keep ``result`` under ``result_id`` (pages larger than the budget are not kept)."""
        if len(result.body) > self.max_bytes:
            return
        self._items[result_id] = result
        if not self._kept.charge(
            (self, result_id), len(result.body), lambda: self._drop(result_id)
        ):
            self._drop(result_id)
        while len(self._items) > self.max_items or self._size() > self.max_bytes:
            self._drop(next(iter(self._items)))

    def get(self, result_id: str) -> Result | None:
        """The result kept under ``result_id``, if it is still there."""
        self._kept.touch((self, result_id))
        return self._items.get(result_id)

    def clear(self) -> None:
        """Forget every result (the room's session ended), giving its bytes back."""
        for result_id in list(self._items):
            self._drop(result_id)

    def _drop(self, result_id: str) -> None:
        if self._items.pop(result_id, None) is not None:
            self._kept.release((self, result_id))

    def _size(self) -> int:
        return sum(len(item.body) for item in self._items.values())

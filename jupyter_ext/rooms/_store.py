"""A room's document kept across restarts, in one of pycrdt's stores.

The hub restores a room from its store before the first participant syncs, and writes the
room's updates behind it: updates that arrive while a write is under way are merged into the
next one, so a burst of scrolls is one row, and the room never waits for the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pycrdt import Doc, TransactionEvent, merge_updates

if TYPE_CHECKING:  # pycrdt.store (anyio, SQLite) is loaded only when a store is configured
    from pycrdt.store import BaseYStore

StoreFactory = Callable[[str], "BaseYStore"]
"""Makes the store of the room with this name (pycrdt-store's ``path``)."""


class RoomStore:
    """Persistence of one room: restored once, written in the background, closed on drop."""

    def __init__(
        self, store: BaseYStore, log: logging.Logger, interval: float = 0.2, timeout: float = 10.0
    ) -> None:
        self.store = store
        self.log = log
        self.interval = interval  # at most one write this often
        self.timeout = timeout  # for restoring; a room that waits longer starts empty
        self._pending: list[bytes] = []
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closing = False

    async def open(self, doc: Doc[Any]) -> None:
        """Start the store and apply what it holds for this room to ``doc``."""
        self._runner = asyncio.create_task(self.store.start())
        restore = asyncio.create_task(self._restore(doc))
        done, _ = await asyncio.wait(
            {restore, self._runner}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if restore not in done:  # the store failed to start, or hangs
            restore.cancel()
            if self._runner in done:
                self._runner.result()
            raise TimeoutError(f"the store did not answer in {self.timeout} s")
        restore.result()
        self._writer = asyncio.create_task(self._write_behind())
        doc.observe(self._on_update)

    async def _restore(self, doc: Doc[Any]) -> None:
        from pycrdt.store import YDocNotFound

        await self.store.started.wait()
        with contextlib.suppress(YDocNotFound):  # a new room
            await self.store.apply_updates(doc)

    def _on_update(self, event: TransactionEvent) -> None:
        self._pending.append(event.update)
        self._wake.set()

    async def _write_behind(self) -> None:
        while not self._closing or self._pending:
            await self._wake.wait()
            self._wake.clear()
            if not self._pending:
                continue
            updates, self._pending = self._pending, []
            update = updates[0] if len(updates) == 1 else merge_updates(*updates)
            try:
                await self.store.write(update)
            except Exception:  # a full disk or a locked file must not take the room down
                self.log.exception("cobrowse: could not store an update of room %s", self.name)
            if not self._closing:
                await asyncio.sleep(self.interval)

    @property
    def name(self) -> str:
        return str(getattr(self.store, "path", "?"))

    async def close(self) -> None:
        """Write what is pending, then stop the store."""
        self._closing = True
        self._wake.set()
        if self._writer is not None:
            await self._writer
        if self._runner is None:
            return
        try:
            await self.store.stop()
            await self._runner
        except Exception:  # the store had failed already: nothing more to release
            self.log.debug("cobrowse: room %s's store ended with an error", self.name)

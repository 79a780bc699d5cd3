"""The kernel's replica of a room document, synced with the y-sync protocol over any channel."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pycrdt import (
    Awareness,
    Doc,
    TransactionEvent,
    YMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    read_message,
)


class Replica:
    """A pycrdt document that answers sync messages and reports its own changes.

    Comm messages arrive on a kernel subshell thread while Python code runs on the main one, so
    every access goes through one lock.
    """

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self._send = send
        self._lock = threading.RLock()
        self._applying = False
        self._changed = False  # the document changed since watchers were last told
        self._watchers: list[Callable[[], None]] = []
        self.doc: Doc[Any] = Doc()
        self._subscription = self.doc.observe(self._on_update)
        self._awareness = Awareness(Doc())  # the room's participants, as the room stamped them

    def people(self) -> dict[int, dict[str, Any]]:
        """The room's participants' presence states, by client id (the room sends them on the
        kernel's own socket)."""
        with self._lock:
            return {
                cid: state
                for cid, state in self._awareness.states.items()
                if isinstance(state, dict) and isinstance(state.get("user"), dict)
            }

    def receive_presence(self, message: bytes) -> None:
        """Apply an awareness message from the room (the kernel has no state of its own)."""
        with self._lock:
            try:
                self._awareness.apply_awareness_update(read_message(message[1:]), "room")
            except Exception:  # the room's to get right: a bad one changes nothing
                return
            self._changed = True
            self._tell()

    def reset(self) -> None:
        """Start again from an empty document (the room refused this one's changes: it has
        diverged from the room's, and syncing gives it the room's again)."""
        with self._lock:
            self.doc.unobserve(self._subscription)
            self.doc = Doc()
            self._subscription = self.doc.observe(self._on_update)

    def watch(self, watcher: Callable[[], None]) -> None:
        """Call ``watcher()`` after each change of the document, the room's or this kernel's,
        with the lock held, on the thread that made it."""
        self._watchers.append(watcher)

    @contextmanager
    def locked(self) -> Iterator[Doc[Any]]:
        """Hold the lock while reading or writing the document."""
        with self._lock:
            yield self.doc
            self._tell()

    def _tell(self) -> None:
        if self._changed:
            self._changed = False
            for watcher in self._watchers:
                watcher()

    def receive(self, message: bytes) -> list[bytes]:
        """Apply one sync message; return the replies to send back."""
        if not message or message[0] != YMessageType.SYNC:
            return []
        with self._lock:
            self._applying = True
            try:
                reply = handle_sync_message(message[1:], self.doc)
            finally:
                self._applying = False
            self._tell()
            if reply is None:
                return []
            # Answer a step 1 with step 2, then ask for the peer's state in turn.
            return [reply, create_sync_message(self.doc)]

    def _on_update(self, event: TransactionEvent) -> None:
        self._changed = True
        if not self._applying:
            self._send(create_update_message(event.update))

"""Strict readers for the frames a room peer sends: y-sync (update v1), awareness and live.

pycrdt (yrs) believes the counts a frame claims: a 12-byte state vector claiming 2**29 clients
allocates a gigabyte, so do an update claiming as many clients and an ``Any`` map claiming as many
entries, and ``Any`` values nested a hundred thousand deep overflow its stack and kill the server.
These readers walk a frame before the library sees it and refuse any count that its remaining
bytes cannot hold or that passes a cap, any nesting past a bound, and any trailing byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pycrdt import YMessageType, YSyncMessageType, write_message, write_var_uint

LIVE = 8  # a live presence message: a participant's client id and an opaque payload
MAX_CLIENTS = 65_536  # clients named in one state vector, update or delete set
MAX_ANY_DEPTH = 64  # nesting of arrays and maps in an ``Any`` value
_MAX_VAR_UINT_BYTES = 10  # 64 bits, the widest client id yrs writes


class FrameError(ValueError):
    """A frame that is malformed or claims more than it holds."""


class _Reader:
    """lib0 decoding over one frame, bounded by its length."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise FrameError("truncated frame")
        self.pos += 1
        return self.data[self.pos - 1]

    def uint(self) -> int:
        data, pos = self.data, self.pos
        stop = min(len(data), pos + _MAX_VAR_UINT_BYTES)
        value = shift = 0
        while pos < stop:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                self.pos = pos
                return value
            shift += 7
        raise FrameError("truncated frame" if stop == len(data) else "number too large")

    def count(self, min_bytes: int, cap: int | None = None) -> int:
        """A claimed number of items, each at least ``min_bytes`` long."""
        n = self.uint()
        if n * min_bytes > self.left() or (cap is not None and n > cap):
            raise FrameError(f"a count of {n} exceeds what the frame holds")
        return n

    def skip(self, n: int) -> None:
        if n > self.left():
            raise FrameError("truncated frame")
        self.pos += n

    def var_bytes(self) -> bytes:
        n = self.uint()
        self.skip(n)
        return self.data[self.pos - n : self.pos]

    def end(self) -> None:
        if self.pos != len(self.data):
            raise FrameError("trailing bytes")


def read_sync(message: bytes) -> tuple[YSyncMessageType, bytes]:
    """The step and checked payload (state vector or update) of a whole y-sync message."""
    r = _Reader(message)
    if r.uint() != YMessageType.SYNC:
        raise FrameError("not a sync message")
    try:
        step = YSyncMessageType(r.uint())
    except ValueError as exc:
        raise FrameError("unknown sync step") from exc
    payload = r.var_bytes()
    r.end()
    if step == YSyncMessageType.SYNC_STEP1:
        check_state_vector(payload)
    else:
        check_update(payload)
    return step, payload


def check_state_vector(state: bytes) -> None:
    """Refuse a state vector that claims more clients than it encodes."""
    r = _Reader(state)
    for _ in range(r.count(2, MAX_CLIENTS)):
        r.uint()  # client
        r.uint()  # clock
    r.end()


def check_update(update: bytes) -> None:
    """Refuse an update (v1) whose counts or nesting exceed what it holds."""
    r = _Reader(update)
    for _ in range(r.count(3, MAX_CLIENTS)):
        structs = r.count(2)
        r.uint()  # client
        r.uint()  # first clock
        for _ in range(structs):
            _struct(r)
    for _ in range(r.count(2, MAX_CLIENTS)):  # the delete set
        r.uint()  # client
        for _ in range(r.count(2)):
            r.uint()  # clock
            r.uint()  # length
    r.end()


_GC, _SKIP = 0, 10
_XML_ELEMENT, _XML_HOOK = 3, 5  # type refs that carry a name


def _struct(r: _Reader) -> None:
    info = r.byte()
    ref = info & 0x1F
    if ref in (_GC, _SKIP):
        r.uint()  # length
        return
    if info & 0x80:
        r.uint(), r.uint()  # origin
    if info & 0x40:
        r.uint(), r.uint()  # right origin
    if not info & 0xC0:
        if r.uint():
            r.var_bytes()  # parent: a root type's name
        else:
            r.uint(), r.uint()  # parent: an item's id
        if info & 0x20:
            r.var_bytes()  # key in a map
    _content(r, ref)


def _content(r: _Reader, ref: int) -> None:
    if ref == 1:  # deleted
        r.uint()
    elif ref == 2:  # JSON strings
        for _ in range(r.count(1)):
            r.var_bytes()
    elif ref in (3, 4, 5):  # binary, string, embed (JSON)
        r.var_bytes()
    elif ref == 6:  # format: key and JSON value
        r.var_bytes(), r.var_bytes()
    elif ref == 7:  # a nested shared type
        if r.uint() in (_XML_ELEMENT, _XML_HOOK):
            r.var_bytes()
    elif ref == 8:  # Any values
        for _ in range(r.count(1)):
            _any(r, 0)
    elif ref == 9:  # a sub-document: guid and options
        r.var_bytes()
        _any(r, 0)
    else:
        raise FrameError(f"unsupported content type {ref}")


def _any(r: _Reader, depth: int) -> None:
    if depth > MAX_ANY_DEPTH:
        raise FrameError("value nested too deep")
    tag = r.byte()
    if tag in (127, 126, 121, 120):  # undefined, null, false, true
        return
    if tag == 125:  # integer
        r.uint()
    elif tag == 124:  # float32
        r.skip(4)
    elif tag in (123, 122):  # float64, bigint
        r.skip(8)
    elif tag in (119, 116):  # string, bytes
        r.var_bytes()
    elif tag == 118:  # map
        for _ in range(r.count(2)):
            r.var_bytes()
            _any(r, depth + 1)
    elif tag == 117:  # array
        for _ in range(r.count(1)):
            _any(r, depth + 1)
    else:
        raise FrameError(f"unknown value tag {tag}")


@dataclass(frozen=True)
class AwarenessState:
    """One participant's entry in an awareness update; ``state`` None means it left."""

    client_id: int
    clock: int
    state: dict[str, Any] | None


def read_awareness(message: bytes, max_states: int) -> list[AwarenessState]:
    """The entries of a whole awareness message, each state a JSON object or null."""
    outer = _Reader(message)
    if outer.uint() != YMessageType.AWARENESS:
        raise FrameError("not an awareness message")
    r = _Reader(outer.var_bytes())
    outer.end()
    entries = []
    for _ in range(r.count(3, max_states)):
        client_id, clock, text = r.uint(), r.uint(), r.var_bytes()
        try:
            state = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise FrameError("awareness state is not JSON") from exc
        if state is not None and not isinstance(state, dict):
            raise FrameError("awareness state is not an object")
        entries.append(AwarenessState(client_id, clock, state))
    r.end()
    return entries


def encode_awareness(entries: Iterable[AwarenessState]) -> bytes:
    """An awareness update (the payload of an awareness message) holding ``entries``."""
    entries = list(entries)
    parts = [write_var_uint(len(entries))]
    for e in entries:
        text = json.dumps(e.state, separators=(",", ":")).encode()
        parts += [write_var_uint(e.client_id), write_var_uint(e.clock), write_message(text)]
    return b"".join(parts)


def read_live(message: bytes) -> int:
    """The participant (awareness client id) a whole live message speaks for; its payload is
    only for the other participants to read."""
    r = _Reader(message)
    if r.uint() != LIVE:
        raise FrameError("not a live message")
    client_id = r.uint()
    r.var_bytes()
    r.end()
    return client_id

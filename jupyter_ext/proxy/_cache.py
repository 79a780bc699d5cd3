"""The room's HTTP cache for sub-resources, kept by the server because the sandbox takes the
browser's away: Chromium keeps no HTTP cache for opaque-origin documents, so without this every
page would fetch its style sheets, scripts and images from the site again.

It is a private cache (RFC 9111, decided by hishel's state machine): the room shares one cookie
jar, so it is one user. Entries are partitioned by the capability's site, like a browser's
partitioned cache, so a response fetched with one site's cookies never answers another site's
page. Bodies are kept decoded, before any rewriting, within the room's byte budget and the
server's (least recently used go first).
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate

import hishel

from ._budget import KeptBytes

_OPTIONS = hishel.CacheOptions(shared=False, supported_methods=["GET"])
_VALIDATORS = ("if-none-match", "if-modified-since")


@dataclass
class Stored:
    """A kept upstream answer: status, headers as the site sent them, decoded body."""

    code: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def _headers(pairs: Iterable[tuple[str, str]]) -> hishel.Headers:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name.lower(), []).append(value)
    return hishel.Headers(grouped)


def _pairs(headers: hishel.Headers) -> list[tuple[str, str]]:
    return [(name, value) for name in headers for value in headers.get_list(name) or ()]


class ResponseCache:
    """One room's cache: at most ``max_bytes`` of bodies, each at most a quarter of that, and
    no more than the server's ``kept`` budget (shared with every room) leaves it."""

    def __init__(self, max_bytes: int, kept: KeptBytes | None = None) -> None:
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 4
        self.size = 0
        self._kept = kept if kept is not None else KeptBytes(max_bytes)
        self._entries: OrderedDict[tuple[str | None, str], tuple[hishel.Entry, Stored]] = (
            OrderedDict()
        )

    def lookup(self, partition: str | None, url: str, headers: dict[str, str]) -> Lookup:
        """What to do for a GET of ``url`` from a page of ``partition`` (its site)."""
        request = hishel.Request("GET", url, _headers(headers.items()))
        key = (partition, url)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self._kept.touch((self, key))
        state = hishel.IdleClient(options=_OPTIONS).next(request, [found[0]] if found else [])
        return Lookup(self, key, request, state, found[1] if found else None)

    def invalidate(self, url: str) -> None:
        """Forget ``url`` for every page: a request that changes it succeeded (RFC 9111 4.4)."""
        for key in [key for key in self._entries if key[1] == url]:
            self._drop(key)

    def _put(self, key: tuple[str | None, str], entry: hishel.Entry, stored: Stored) -> None:
        self._drop(key)
        if self.max_entry <= 0 or len(stored.body) > self.max_entry:
            return
        self._entries[key] = (entry, stored)
        self.size += len(stored.body)
        if not self._kept.charge((self, key), len(stored.body), lambda: self._drop(key)):
            self._drop(key)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple[str | None, str]) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old[1].body)
            self._kept.release((self, key))

    def clear(self) -> None:
        """Forget everything (the room's session ended), giving its bytes back to the server."""
        for key in list(self._entries):
            self._drop(key)

    def __len__(self) -> int:
        return len(self._entries)


class Lookup:
    """The cache's answer for one request, then what became of the site's answer."""

    def __init__(
        self,
        cache: ResponseCache,
        key: tuple[str | None, str],
        request: hishel.Request,
        state: hishel.State,
        stored: Stored | None,
    ) -> None:
        self._cache = cache
        self._key = key
        self._request = request
        self._state: hishel.State | None = state
        self._stored = stored
        self._storable: hishel.Response | None = None

    @property
    def fresh(self) -> Stored | None:
        """The kept answer, if it may be used without asking the site."""
        if isinstance(self._state, hishel.FromCache) and self._stored is not None:
            return self._stored
        return None

    @property
    def validators(self) -> dict[str, str]:
        """Headers that turn the request into a check of the kept answer (ETag, date)."""
        if not isinstance(self._state, hishel.NeedRevalidation):
            return {}
        headers = self._state.request.headers
        return {name: headers[name] for name in _VALIDATORS if name in headers}

    def answered(self, code: int, reason: str, headers: Iterable[tuple[str, str]]) -> Stored | None:
        """The site's answer has come (its headers). Returns the kept answer to serve instead
        when the site confirmed it (304); otherwise notes whether the body may be kept. A 304
        that matches nothing kept returns None: ask again without validators."""
        state = self._state
        response = hishel.Response(code, _headers(headers))
        if "date" not in response.headers:  # RFC 9110 6.6.1: a cache adds one, to age it by
            response.headers["date"] = formatdate(usegmt=True)
        if isinstance(state, (hishel.NeedRevalidation, hishel.CacheMiss)):
            state = state.next(response)
        while isinstance(state, hishel.InvalidateEntries):
            state = state.next()
        if isinstance(state, hishel.NeedToBeUpdated) and self._stored is not None:
            entry = state.next().entry
            stored = Stored(
                self._stored.code, self._stored.reason, _pairs(entry.response.headers),
                self._stored.body,
            )  # fmt: skip
            self._cache._put(self._key, entry, stored)
            self._state = None
            return stored
        self._storable = state.response if isinstance(state, hishel.StoreAndUse) else None
        if self._storable is None:
            self._cache._drop(self._key)
        self._state = None
        return None

    @property
    def wants_body(self) -> bool:
        """Whether the body of the answer just seen may be kept (collect it while relaying)."""
        return self._storable is not None

    def keep(self, code: int, reason: str, body: bytes) -> None:
        """Keep the complete, decoded body of the answer given to ``answered``."""
        response = self._storable
        if response is None:
            return
        entry = hishel.Entry(uuid.uuid4(), self._request, response)
        self._cache._put(self._key, entry, Stored(code, reason, _pairs(response.headers), body))

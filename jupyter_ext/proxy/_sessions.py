"""Proxy sessions: one cookie jar per room on this server, reached by capability tokens.

A room's entry token only starts navigations: the proxy sends each one on to the token of the
target's site. Pages of a site only ever learn their own site's token, and a token carries the
room's cookies only to its own site, so one proxied site cannot read another's logged-in pages.
Readers of the room get tokens of their own, which only read: no form posts, no other unsafe
methods, and nothing they load changes the room's cookies. A frame that a page embeds from
another site loads under that site's *anonymous* token, which never carries the room's cookies
(as browsers that block third-party cookies do), so it can neither read nor act on the
embedding site, nor its own, in the room's name.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from jupyter_server.utils import url_path_join

from ._budget import KeptBytes
from ._cache import ResponseCache
from ._cookies import SessionCookieJar
from ._results import ResultStore

CROSSING_WINDOW = 30.0  # seconds a moved navigation has to arrive
MAX_DOCUMENTS = 64  # tokens of a session whose last page is remembered (for Origin and Referer)
MAX_SESSIONS = 1000  # rooms with a proxy session on one server


class TooManySessions(Exception):
    """Every session slot belongs to a room that is in use."""


def _token() -> str:
    return secrets.token_urlsafe(32)


def proxy_prefix(base_url: str, token: str) -> str:
    """The path every proxied URL reached with ``token`` starts with."""
    return url_path_join(base_url, "cobrowse/proxy", token) + "/"


@dataclass
class Session:
    """What every participant of a room on this server shares: capabilities and the jar (or,
    practising, what one participant has of their own: ``owner``)."""

    room: str
    owner: str = ""  # the participant whose own session this is; "" for the room's
    max_concurrent: int = 16
    cache_size: int = 0
    kept: KeptBytes | None = None  # the server's budget for caches and results
    token: str = field(default_factory=_token)  # the entry token
    reader_token: str = field(default_factory=_token)  # the entry token of readers
    # (site, read-only, anonymous) -> token
    site_tokens: dict[tuple[str, bool, bool], str] = field(default_factory=dict)
    jar: SessionCookieJar = field(default_factory=SessionCookieJar)
    last_used: float = field(default_factory=time.monotonic)
    results: ResultStore = field(init=False)
    cache: ResponseCache = field(init=False)
    upstream_slots: asyncio.Semaphore = field(init=False)
    open_streams: asyncio.Semaphore = field(init=False)
    # Navigations pages of one site sent to another, until they arrive: when each was sent,
    # and from which page.
    crossings: dict[tuple[str, str, str], list[tuple[float, str | None]]] = field(
        default_factory=dict
    )
    # token -> the page last loaded under it, most recent last: the page its requests come from
    documents: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.results = ResultStore(kept=self.kept)
        self.cache = ResponseCache(self.cache_size, self.kept)
        self.upstream_slots = asyncio.Semaphore(self.max_concurrent)
        self.open_streams = asyncio.Semaphore(2 * self.max_concurrent)

    def end(self) -> None:
        """Give back what the session keeps (the jar goes with the session object)."""
        self.cache.clear()
        self.results.clear()
        self.crossings.clear()
        self.documents.clear()

    def loaded(self, token: str, url: str) -> None:
        """Note that the page at ``url`` was loaded under ``token``."""
        self.documents[token] = url
        self.documents.move_to_end(token)
        while len(self.documents) > MAX_DOCUMENTS:
            self.documents.popitem(last=False)

    def crossing(self, token: str, path: str, method: str, page: str | None) -> None:
        """Note that ``page``, of another site, is sending the browser to ``path`` under
        ``token`` (once per move: two forms posting to the same place are two crossings)."""
        now = time.time()
        for key, times in list(self.crossings.items()):
            times[:] = [(at, p) for at, p in times if now - at <= CROSSING_WINDOW]
            if not times:
                del self.crossings[key]
        self.crossings.setdefault((token, path, method), []).append((now, page))

    def crossed(
        self, token: str, path: str, method: str, arrived: float
    ) -> tuple[bool, str | None]:
        """Whether a navigation whose request began at ``arrived`` was started by a page of
        another site, and by which page (when known); each crossing answers for one arrival."""
        times = self.crossings.get((token, path, method), [])
        while times:
            at, page = times.pop(0)
            if arrived - at <= CROSSING_WINDOW:
                return True, page
        return False, None


@dataclass(frozen=True)
class Capability:
    """What a token grants: a session, the one site it serves (None for the entry token),
    whether it only reads, and whether it is anonymous (never carries the room's cookies)."""

    session: Session
    site: str | None
    read_only: bool = False
    anonymous: bool = False

    @property
    def credentialed(self) -> bool:
        """Whether requests to its own site carry the room's cookies."""
        return self.site is not None and not self.anonymous


class SessionStore:
    """Creates sessions for authenticated users and finds them by capability token.

    A session unused for ``idle_timeout`` seconds, whose room has nobody in it (``in_use``),
    expires with its tokens, its cookies, its cache and its kept results; so does the session
    of a room that is dropped (``release``). ``sweep`` frees expired sessions eagerly. At most
    ``max_sessions`` live at once: past that, the least recently used session of an empty room
    ends, and when every room is in use a new one is refused (``TooManySessions``).
    """

    def __init__(
        self,
        idle_timeout: float,
        max_concurrent: int = 16,
        cache_size: int = 0,
        kept: KeptBytes | None = None,
        in_use: Callable[[str], bool] = lambda room: False,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.max_concurrent = max_concurrent
        self.cache_size = cache_size
        self.kept = kept
        self.in_use = in_use
        self._by_room: dict[tuple[str, str], Session] = {}  # (room, owner) -> session
        self._by_token: dict[str, Capability] = {}

    def for_room(self, room: str, owner: str = "") -> Session:
        """The room's live session (``owner``'s own, in practice mode), created when there is
        none."""
        session = self._by_room.get((room, owner))
        if session is None or self._expired(session):
            self._make_room_for_one()
            session = Session(room, owner, self.max_concurrent, self.cache_size, self.kept)
            self._by_room[room, owner] = session
            self._by_token[session.token] = Capability(session, None)
            self._by_token[session.reader_token] = Capability(session, None, read_only=True)
        session.last_used = time.monotonic()
        return session

    def release(self, room: str) -> None:
        """The room is gone: end its sessions now."""
        for session in [s for s in self._by_room.values() if s.room == room]:
            self._end(session)

    def sweep(self) -> None:
        """End every expired session (expiry is otherwise noticed on use only)."""
        for session in list(self._by_room.values()):
            self._expired(session)

    def __len__(self) -> int:
        return len(self._by_room)

    def _make_room_for_one(self) -> None:
        if len(self._by_room) < self.max_sessions:
            return
        self.sweep()
        idle = [s for s in self._by_room.values() if not self.in_use(s.room)]
        if len(self._by_room) >= self.max_sessions:
            if not idle:
                raise TooManySessions(f"{self.max_sessions} rooms are in use on this server")
            self._end(min(idle, key=lambda session: session.last_used))

    def site_token(
        self, session: Session, site: str, read_only: bool = False, anonymous: bool = False
    ) -> str:
        """The session's token for ``site`` (for readers: one that only reads; ``anonymous``:
        one that never carries cookies), created on first use."""
        key = (site, read_only, anonymous)
        token = session.site_tokens.get(key)
        if token is None:
            token = session.site_tokens[key] = _token()
            self._by_token[token] = Capability(session, site, read_only, anonymous)
        return token

    def find(self, token: str) -> Capability | None:
        """What the live capability ``token`` grants, if anything."""
        capability = self._by_token.get(token)
        if capability is None or self._expired(capability.session):
            return None
        capability.session.last_used = time.monotonic()
        return capability

    def _expired(self, session: Session) -> bool:
        if time.monotonic() - session.last_used <= self.idle_timeout:
            return False
        if self.in_use(session.room):
            session.last_used = time.monotonic()
            return False
        self._end(session)
        return True

    def _end(self, session: Session) -> None:
        for token in (session.token, session.reader_token, *session.site_tokens.values()):
            self._by_token.pop(token, None)
        if self._by_room.get((session.room, session.owner)) is session:
            del self._by_room[session.room, session.owner]
        session.end()

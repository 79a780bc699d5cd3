"""Proxy sessions: one capability token and one cookie jar per room on this server."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

from jupyter_server.utils import url_path_join

from ._cookies import SessionCookieJar
from ._results import ResultStore


@dataclass
class Session:
    """What every participant of a room on this server shares: the capability and the jar."""

    room: str
    max_concurrent: int = 16
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    jar: SessionCookieJar = field(default_factory=SessionCookieJar)
    results: ResultStore = field(default_factory=ResultStore)
    last_used: float = field(default_factory=time.monotonic)
    upstream_slots: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.upstream_slots = asyncio.Semaphore(self.max_concurrent)

    def prefix(self, base_url: str) -> str:
        """The path every proxied URL of this session starts with."""
        return url_path_join(base_url, "cobrowse/proxy", self.token) + "/"


class SessionStore:
    """Creates sessions for authenticated users and finds them by capability token.

    A session unused for ``idle_timeout`` seconds expires with its token and its cookies.
    """

    def __init__(self, idle_timeout: float, max_concurrent: int = 16) -> None:
        self.idle_timeout = idle_timeout
        self.max_concurrent = max_concurrent
        self._by_room: dict[str, Session] = {}
        self._by_token: dict[str, Session] = {}

    def for_room(self, room: str) -> Session:
        """The room's live session, created when there is none."""
        session = self._by_room.get(room)
        if session is None or self._expired(session):
            session = Session(room, self.max_concurrent)
            self._by_room[room] = session
            self._by_token[session.token] = session
        session.last_used = time.monotonic()
        return session

    def find(self, token: str) -> Session | None:
        """The live session whose capability is ``token``."""
        session = self._by_token.get(token)
        if session is None or not secrets.compare_digest(session.token, token):
            return None
        if self._expired(session):
            return None
        session.last_used = time.monotonic()
        return session

    def _expired(self, session: Session) -> bool:
        if time.monotonic() - session.last_used <= self.idle_timeout:
            return False
        self._by_token.pop(session.token, None)
        if self._by_room.get(session.room) is session:
            del self._by_room[session.room]
        return True

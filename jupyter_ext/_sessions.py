"""Proxy sessions: one capability token and one cookie jar per room on this server."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from ._cookies import SessionCookieJar


@dataclass
class Session:
    """What every participant of a room on this server shares: the capability and the jar."""

    room: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    jar: SessionCookieJar = field(default_factory=SessionCookieJar)
    created: float = field(default_factory=time.monotonic)


class SessionStore:
    """Creates sessions for authenticated users and finds them by capability token."""

    def __init__(self) -> None:
        self._by_room: dict[str, Session] = {}
        self._by_token: dict[str, Session] = {}

    def for_room(self, room: str) -> Session:
        """The room's session, created on first use."""
        session = self._by_room.get(room)
        if session is None:
            session = Session(room)
            self._by_room[room] = session
            self._by_token[session.token] = session
        return session

    def find(self, token: str) -> Session | None:
        """The session whose capability is ``token``, compared in constant time."""
        session = self._by_token.get(token)
        if session is not None and secrets.compare_digest(session.token, token):
            return session
        return None

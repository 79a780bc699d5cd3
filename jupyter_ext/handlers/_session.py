"""``POST /cobrowse/api/session``: a room's proxy prefix and who the user is."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from jupyter_server.auth import User
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async
from tornado import web

from cobrowse_widget._shared import ROOM_NAME

from ..proxy import FRAME_SANDBOX, BrowserPass, SessionStore, TooManySessions, proxy_prefix
from ..rooms import KernelPasses

AUTH_RESOURCE = "cobrowse"
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0f8c8c", "#c2185b", "#6b8e23")


def user_color(username: str) -> str:
    """A stable colour for users whose identity provider gives none."""
    digest = hashlib.sha256(username.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def participant(user: User) -> dict[str, str]:
    """Who ``user`` is to the others in a room: stamped by the room hub on their awareness."""
    name = user.display_name or user.name or user.username
    return {
        "username": user.username,
        "name": name,
        "initials": user.initials or initials_of(name),
        "color": user.color or user_color(user.username),
    }


def initials_of(name: str) -> str:
    """Up to two letters for a name, as jupyter_server would show it: "Ada Lovelace" is "AL"."""
    return "".join(word[0] for word in name.split()[:2]).upper()


def session_request(body: bytes) -> tuple[str, bool]:
    """The room a session request names and whether it asks for the user's own session of it
    (its JSON body's ``room`` and ``own``), checked."""
    try:
        request = json.loads(body or b"{}")
        room, own = request.get("room", ""), request.get("own", False)
    except (ValueError, AttributeError) as exc:
        raise web.HTTPError(400, "body must be a JSON object") from exc
    if not isinstance(room, str) or not ROOM_NAME.match(room):
        raise web.HTTPError(400, "room must be 1-128 letters, digits or _.:-")
    if not isinstance(own, bool):
        raise web.HTTPError(400, "own is true or false")
    return room, own


@dataclass(frozen=True)
class SessionServices:
    """What a session endpoint uses: the proxy's sessions, the browser pass, kernel passes."""

    sessions: SessionStore
    browser_pass: BrowserPass
    passes: KernelPasses

    def open(
        self,
        handler: web.RequestHandler,
        base_url: str,
        room: str,
        identity: dict[str, str],
        write: bool,
        lead: bool = True,
        own: bool = False,
    ) -> dict[str, Any]:
        """The answer to a session request by the user ``identity`` (who writes when
        ``write``, and may start presenting when ``lead``) for ``room``, or for their ``own``
        session of it, served under ``base_url``; gives ``handler``'s browser the browser
        pass."""
        try:
            # Practising, each participant has a session of their own: their cookies, their
            # form results. Anyone may ask for theirs: it reaches nothing the room's does not.
            session = self.sessions.for_room(room, identity["username"] if own else "")
        except TooManySessions as exc:
            raise web.HTTPError(503, str(exc)) from exc
        self.browser_pass.give(handler, base_url)
        entry = session.token if write else session.reader_token  # a reader's tokens only read
        lead = lead and write
        return {
            "room": room,
            "prefix": proxy_prefix(base_url, entry),
            "user": identity,
            # for the widget's kernel: the room on a socket of its own (KernelRoomHandler)
            "kernel_pass": self.passes.issue(room, identity, write, lead),
            "permissions": {"write": write, "lead": lead},
            "sandbox": FRAME_SANDBOX,  # the widget's frame: as sandboxed as every answer
        }


class SessionHandler(APIHandler):
    """Creates (or finds) the room's proxy session for an authenticated user.

    Readers get it too (they watch and follow); ``permissions.write`` tells the widget whether
    the user may navigate and write. When rooms are the JupyterHub service's (``service``),
    the answer only says where it is: the widget asks the service.
    """

    auth_resource = AUTH_RESOURCE

    def initialize(
        self,
        sessions: SessionStore,
        browser_pass: BrowserPass,
        passes: KernelPasses,
        service: str = "",
    ) -> None:
        self.services = SessionServices(sessions, browser_pass, passes)
        self.service = service

    @web.authenticated
    async def post(self) -> None:
        user, authorizer = self.current_user, self.authorizer
        if not await ensure_async(authorizer.is_authorized(self, user, "read", AUTH_RESOURCE)):
            raise web.HTTPError(403)
        write = await ensure_async(authorizer.is_authorized(self, user, "write", AUTH_RESOURCE))
        room, own = session_request(self.request.body)
        if self.service:
            self.finish({"room": room, "service": self.service})
            return
        identity = participant(user)
        self.finish(self.services.open(self, self.base_url, room, identity, bool(write), own=own))

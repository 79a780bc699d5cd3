"""``POST /cobrowse/api/session``: a room's proxy prefix and who the user is."""

from __future__ import annotations

import hashlib
import json

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


class SessionHandler(APIHandler):
    """Creates (or finds) the room's proxy session for an authenticated user.

    Readers get it too (they watch and follow); ``permissions.write`` tells the widget whether
    the user may navigate and write.
    """

    auth_resource = AUTH_RESOURCE

    def initialize(
        self, sessions: SessionStore, browser_pass: BrowserPass, passes: KernelPasses
    ) -> None:
        self.sessions = sessions
        self.browser_pass = browser_pass
        self.passes = passes

    @web.authenticated
    async def post(self) -> None:
        user, authorizer = self.current_user, self.authorizer
        if not await ensure_async(authorizer.is_authorized(self, user, "read", AUTH_RESOURCE)):
            raise web.HTTPError(403)
        write = await ensure_async(authorizer.is_authorized(self, user, "write", AUTH_RESOURCE))
        try:
            body = json.loads(self.request.body or b"{}")
            room, own = body.get("room", ""), body.get("own", False)
        except (ValueError, AttributeError) as exc:
            raise web.HTTPError(400, "body must be a JSON object") from exc
        if not isinstance(room, str) or not ROOM_NAME.match(room):
            raise web.HTTPError(400, "room must be 1-128 letters, digits or _.:-")
        if not isinstance(own, bool):
            raise web.HTTPError(400, "own is true or false")
        try:
            # Practising, each participant has a session of their own: their cookies, their
            # form results. Anyone may ask for theirs: it reaches nothing the room's does not.
            session = self.sessions.for_room(room, user.username if own else "")
        except TooManySessions as exc:
            raise web.HTTPError(503, str(exc)) from exc
        self.browser_pass.give(self, self.base_url)
        entry = session.token if write else session.reader_token  # a reader's tokens only read
        identity = participant(user)
        self.finish(
            {
                "room": room,
                "prefix": proxy_prefix(self.base_url, entry),
                "user": identity,
                # for the widget's kernel: the room on a socket of its own (KernelRoomHandler)
                "kernel_pass": self.passes.issue(room, identity, bool(write)),
                "permissions": {"write": bool(write)},
                "sandbox": FRAME_SANDBOX,  # the widget's frame: as sandboxed as every answer
            }
        )

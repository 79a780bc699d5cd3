"""``POST /cobrowse/api/session``: a room's proxy prefix and who the user is."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from cobrowse_widget._schema import ROOM_NAME

from ._sessions import proxy_prefix

if TYPE_CHECKING:
    from ._app import CoBrowse

AUTH_RESOURCE = "cobrowse"
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0f8c8c", "#c2185b", "#6b8e23")


def user_color(username: str) -> str:
    """A stable colour for users whose identity provider gives none."""
    digest = hashlib.sha256(username.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


class SessionHandler(APIHandler):
    """Creates (or finds) the room's proxy session for an authenticated user."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, cobrowse: CoBrowse) -> None:
        self.cobrowse = cobrowse

    @web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            room = json.loads(self.request.body or b"{}").get("room", "")
        except (ValueError, AttributeError) as exc:
            raise web.HTTPError(400, "body must be a JSON object") from exc
        if not isinstance(room, str) or not ROOM_NAME.match(room):
            raise web.HTTPError(400, "room must be 1-128 letters, digits or _.:-")
        session = self.cobrowse.sessions.for_room(room)
        user = self.current_user
        self.cobrowse.browser_pass.give(self, self.base_url)
        self.finish(
            {
                "room": room,
                "prefix": proxy_prefix(self.base_url, session.token),
                "user": {
                    "username": user.username,
                    "name": user.display_name or user.name or user.username,
                    "color": user.color or user_color(user.username),
                },
            }
        )

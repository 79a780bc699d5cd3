"""The service's own handlers: the extension's session endpoint and room sockets, identified by
JupyterHub (HubOAuth) instead of a Jupyter server; the proxy's handlers are the extension's."""

from __future__ import annotations

import html
from collections.abc import Collection
from typing import Any

from jupyterhub.services.auth import HubOAuthenticated, UserNotAllowed
from tornado import web

from cobrowse_widget._shared import ROOM_NAME

from ..handlers._room import RoomSocket
from ..handlers._session import SessionServices, session_request
from ..proxy import BrowserPass, SessionStore
from ..rooms import KernelPasses, RoomHub
from ._identity import hub_participant, may_lead

XSRF_META = "cobrowse-xsrf"  # js/src/server.js reads the service's XSRF token from it


class HubUser(HubOAuthenticated):  # type: ignore[misc]
    """Identifies the hub user before the method runs, without blocking the event loop: the
    HubOAuth cookie (set by the OAuth callback, path: the service's prefix), checked with the
    hub and against the service's access scope (``access:services!service=<name>``). A
    cookie-authenticated request that is not a page load or a websocket needs the service's
    XSRF token (HubOAuth's rule)."""

    _hub_user: dict[str, Any] | None = None

    async def prepare(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        try:
            self._hub_user = self.check_hub_user(model) if model else None
        except UserNotAllowed as exc:
            raise web.HTTPError(403, f"{exc.model['name']} may not use this service") from exc

    def get_current_user(self) -> dict[str, Any] | None:
        return self._hub_user


class HubLoginHandler(HubUser, web.RequestHandler):
    """``<prefix>cobrowse/login``: a page the widget loads in a hidden frame of its own origin.
    Loading it runs the hub's OAuth (redirects, no form when the service is configured with
    ``oauth_no_confirm``) the first time, which sets the service's cookie; the page then holds
    the service's XSRF token for the widget's requests."""

    @web.authenticated
    def get(self) -> None:
        raw: str | bytes = self.xsrf_token
        token = raw.decode() if isinstance(raw, bytes) else raw
        name = html.escape(str(self.current_user["name"]))
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self'")
        self.finish(
            "<!doctype html><html><head>"
            f'<meta name="{XSRF_META}" content="{html.escape(token)}">'
            "<title>Co-browsing</title></head>"
            f"<body>Co-browsing: signed in as {name}.</body></html>"
        )


class HubSessionHandler(HubUser, web.RequestHandler):
    """``POST <prefix>cobrowse/api/session``: the room's proxy session for a hub user, who
    writes, and presents when a member of a presenter group."""

    def initialize(
        self,
        sessions: SessionStore,
        browser_pass: BrowserPass,
        passes: KernelPasses,
        presenter_groups: Collection[str] = (),
    ) -> None:
        self.services = SessionServices(sessions, browser_pass, passes)
        self.presenter_groups = presenter_groups

    @web.authenticated  # no user on a POST: 403 (the widget signs in and asks again)
    def post(self) -> None:
        model = self.current_user
        assert model is not None
        room, own = session_request(self.request.body)
        identity, lead = hub_participant(model), may_lead(model, self.presenter_groups)
        base_url = self.settings["base_url"]
        self.set_header("Cache-Control", "no-store")
        answer = self.services.open(self, base_url, room, identity, True, lead=lead, own=own)
        self.finish(answer)


class HubRoomHandler(HubUser, RoomSocket):
    """``<prefix>cobrowse/api/rooms/<name>``: a room's socket for a hub user (the cookie; a
    websocket's origin must be the page's own host, tornado's rule)."""

    def initialize(
        self, rooms: RoomHub, passes: KernelPasses, presenter_groups: Collection[str] = ()
    ) -> None:
        super().initialize(rooms, passes)
        self.presenter_groups = presenter_groups

    async def get(self, name: str, *args: Any, **kwargs: Any) -> None:
        model = self.current_user
        if model is None:
            raise web.HTTPError(403)
        if not ROOM_NAME.match(name):
            raise web.HTTPError(400, "bad room name")
        self.identity = hub_participant(model)
        self.read_only = False
        self.lead = may_lead(model, self.presenter_groups)
        await super().get(name, *args, **kwargs)


class HubKernelRoomHandler(RoomSocket):
    """``<prefix>cobrowse/api/kernel-rooms/<name>``: a kernel's replica joins with the pass a
    view of its widget got from the service (no hub credential: the pass is one)."""

    def initialize(
        self, rooms: RoomHub, passes: KernelPasses, presenter_groups: Collection[str] = ()
    ) -> None:
        super().initialize(rooms, passes)

    async def get(self, name: str, *args: Any, **kwargs: Any) -> None:
        await self.join_with_pass(name, *args, **kwargs)

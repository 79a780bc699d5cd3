"""The ``CoBrowse`` server extension: settings, shared state and routes."""

from __future__ import annotations

import asyncio
import os
import ssl
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.routing import PathMatches, Rule
from traitlets import Bool, Float, Int, List, Set, TraitError, Type, Unicode, default, validate

from cobrowse_widget._shared import KERNEL_ROOMS, SERVICE_KERNEL_URL, SERVICE_URL

from ._redact import RedactTokens, server_loggers
from .handlers import (
    KernelRoomHandler,
    ProxyHandler,
    ProxyWebSocketHandler,
    RoomHandler,
    SessionHandler,
    WebSocketUpgrade,
)
from .proxy import (
    AddressPolicy,
    BrowserPass,
    InFlightBytes,
    KeptBytes,
    ProxyLimits,
    ProxyServices,
    SessionStore,
    Upstream,
    inlinable,
    trusting,
)
from .rooms import KernelPasses, RoomHub, RoomLimits, freeze_start_up

if TYPE_CHECKING:
    from pycrdt.store import BaseYStore

    from .proxy._ssrf import ServerAddress


class CoBrowse(ExtensionApp):
    """Co-browsing for Jupyter: a rewriting proxy and a room hub.

    Configure with ``c.CoBrowse.<setting>`` in ``jupyter_server_config.py``.
    """

    name = "jupyter_ext"

    allowed_private_hosts = List(
        Unicode(),
        default_value=[],
        help="""Hostnames, IP addresses or CIDR networks, each with a port or not, the proxy may
        reach although they are private, loopback or link-local (refused by default to protect
        the server's network). For local development, name the port of the app you work on:
        ["localhost:8000", "127.0.0.1:8000", "[::1]:8000"]. An entry without a port allows
        every port. Jupyter's own port on this machine is never reached, whatever is listed.""",
    ).tag(config=True)

    _left_out = Set(help="Allow-list entries already reported as unreadable.")

    @validate("allowed_private_hosts")
    def _check_allowed_private_hosts(self, proposal: dict[str, Any]) -> list[str]:
        """An entry that cannot be read is left out (what it meant to allow stays refused),
        with one clear line naming the setting, the entry and what is wrong."""
        entries = []
        for entry in proposal["value"]:
            try:
                AddressPolicy([entry])
            except ValueError as e:
                if entry not in self._left_out:  # the setting is applied more than once
                    self._left_out.add(entry)
                    self.log.error("c.CoBrowse.allowed_private_hosts: %s; it is left out", e)
            else:
                entries.append(entry)
        return entries

    ca_certificates = Unicode(
        "",
        help="""A PEM file of certificate authorities the proxy trusts besides the system's:
        a company's TLS-inspecting proxy, or internal sites signed by a private authority.""",
    ).tag(config=True)

    @validate("ca_certificates")
    def _check_ca_certificates(self, proposal: dict[str, Any]) -> str:
        """A file that cannot be read is left out (only the system's authorities are trusted),
        with one clear line naming the setting and what is wrong."""
        path: str = proposal["value"]
        if path:
            try:
                trusting(path)
            except (OSError, ssl.SSLError) as e:
                self.log.error(
                    "c.CoBrowse.ca_certificates: cannot use %r (%s); it is left out", path, e
                )
                return ""
        return path

    session_store_class = Type(
        SessionStore,
        klass=SessionStore,
        help="""The class that keeps rooms' proxy sessions (capabilities, cookie jars, caches,
        kept results): a subclass may keep them elsewhere.""",
    ).tag(config=True)

    room_hub_class = Type(
        RoomHub,
        klass=RoomHub,
        help="""The class that keeps rooms (their shared documents and who is in them): a
        subclass may share them beyond this server.""",
    ).tag(config=True)

    freeze_start_up = Bool(
        True,
        help="""Once the server has started, keep the objects it made at start-up out of the
        garbage collector's full walks (``gc.freeze``): such a walk over the whole server holds
        up every room for 100-150 ms; after it, only what was made since.""",
    ).tag(config=True)

    room_store_class = Type(
        None,
        klass="pycrdt.store.BaseYStore",
        allow_none=True,
        help="""A pycrdt store class that keeps each room's document across restarts, restored
        when the room is first joined: "pycrdt.store.SQLiteYStore" keeps them all in one SQLite
        file (``room_store_path``). None (the default) keeps rooms in memory only.""",
    ).tag(config=True)

    room_store_path = Unicode(
        help="""The SQLite file of ``room_store_class`` (default: cobrowse/rooms.db in
        Jupyter's data directory).""",
    ).tag(config=True)

    @default("room_store_path")
    def _default_room_store_path(self) -> str:
        return str(Path(jupyter_data_dir()) / "cobrowse" / "rooms.db")

    room_store_max_size = Float(
        100.0,
        help="""Megabytes the SQLite room store may take; past it, the histories of the rooms
        used longest ago are squashed into one update each.""",
    ).tag(config=True)

    room_store_squash_after = Float(
        60.0,
        help="""Seconds without a change after which a room's stored history is squashed into
        one update when it next changes.""",
    ).tag(config=True)

    request_timeout = Float(
        30.0, help="Seconds a site may take to start answering (its response's headers)."
    ).tag(config=True)

    stream_timeout = Float(
        3600.0,
        help="""Seconds one upstream exchange may last in all, so that downloads, video and
        event streams are not cut short.""",
    ).tag(config=True)

    max_body_size = Int(100 * 1024 * 1024, help="Largest upstream response body, in bytes.").tag(
        config=True
    )

    session_timeout = Float(
        12 * 3600.0,
        help="""Seconds a room's proxy session may stay unused before its capability URL and its
        cookies expire.""",
    ).tag(config=True)

    room_linger = Float(
        300.0,
        help="""Seconds a room's document is kept after its last participant leaves; its proxy
        session (cookies, cache, kept form results) ends with it.""",
    ).tag(config=True)

    room_max_doc_size = Int(
        RoomLimits.max_doc_bytes,
        help="""Largest encoded size of a room's shared document, in bytes; writes that would
        pass it are refused.""",
    ).tag(config=True)

    room_max_message_size = Int(
        RoomLimits.max_doc_message,
        help="Largest message on a room's websocket, in bytes (a whole-document sync must fit).",
    ).tag(config=True)

    room_max_peers = Int(RoomLimits.max_peers, help="Connections one room accepts.").tag(
        config=True
    )

    room_max_queued_bytes = Int(
        RoomLimits.max_queued_bytes,
        help="""Bytes a room may have queued for one participant who does not read them; past
        it the participant is dropped as too slow (their widget reconnects).""",
    ).tag(config=True)

    max_concurrent_requests = Int(
        16, help="Upstream requests one room's proxy session may have open at once."
    ).tag(config=True)

    cache_size = Int(
        64 * 1024 * 1024,
        help="""Bytes of sub-resources (style sheets, scripts, images) one room's proxy session
        keeps by HTTP caching rules, standing in for the browser cache that sandboxed pages
        lack; 0 turns the cache off.""",
    ).tag(config=True)

    server_cache_size = Int(
        256 * 1024 * 1024,
        help="""Bytes of cached sub-resources and kept form results that all rooms on this server
        hold together; past it the least recently used go first, whichever room they belong
        to.""",
    ).tag(config=True)

    max_page_size = Int(
        32 * 1024 * 1024,
        help="""Largest HTML page or style sheet, in bytes (decoded): these are read whole to be
        rewritten, so they are held in memory; larger ones are refused with an error page.""",
    ).tag(config=True)

    page_timeout = Float(
        60.0,
        help="""Seconds an HTML page or style sheet may take to arrive in full, and a request
        body (a form, an upload) to be sent.""",
    ).tag(config=True)

    max_request_size = Int(
        32 * 1024 * 1024,
        help="Largest request body (a form post, an upload) a proxied page may send, in bytes.",
    ).tag(config=True)

    in_flight_size = Int(
        256 * 1024 * 1024,
        help="""Bytes of request bodies and of pages being rewritten that all rooms on this
        server may hold at once; requests past it are refused (503) until others finish.
        Rewriting takes about three times a page's size at its peak.""",
    ).tag(config=True)

    service_url = Unicode(
        help="""Where this server's widgets find the JupyterHub co-browsing service
        (``cobrowse-service``): a path on the hub's origin such as "/services/cobrowse/". Their
        sessions, rooms and pages are then the service's, shared with every server of the hub.
        Default: the environment variable COBROWSE_SERVICE_URL; empty keeps rooms on this
        server.""",
    ).tag(config=True)

    @default("service_url")
    def _default_service_url(self) -> str:
        return _service_address(os.environ.get(SERVICE_URL, ""))

    @validate("service_url", "service_kernel_url")
    def _check_service_url(self, proposal: dict[str, Any]) -> str:
        return _service_address(proposal["value"])

    service_kernel_url = Unicode(
        help="""Where this server's kernels reach the JupyterHub co-browsing service, for their
        replicas' own sockets to its rooms: an http(s) URL such as the service's ``url`` in the
        hub's configuration plus its prefix ("http://127.0.0.1:10101/services/cobrowse/").
        Default: the environment variable COBROWSE_SERVICE_KERNEL_URL, else ``service_url``
        when it is a whole URL; without one, kernels sync through their widgets' views.""",
    ).tag(config=True)

    @default("service_kernel_url")
    def _default_service_kernel_url(self) -> str:
        return _service_address(os.environ.get(SERVICE_KERNEL_URL, ""))

    presenter_groups = List(
        Unicode(),
        default_value=[],
        help="""In the JupyterHub service: the hub groups whose members may present (lead the
        room and drive it); everyone else follows, may ask for control and drive when given it,
        and the room refuses their attempts to present. Empty: everyone may present.""",
    ).tag(config=True)

    def initialize_settings(self) -> None:
        self.start_services(self.serverapp)
        IOLoop.current().add_callback(self._advertise_rooms)  # once the server has its port

    def start_services(self, own: ServerAddress | None) -> None:
        """Make the proxy's and the rooms' services from these settings: the extension's, and
        the JupyterHub service's (``jupyter_ext.hub``), whose ``own`` address the proxy never
        reaches either."""
        self._log_filter = RedactTokens()
        server = self.serverapp
        self._filtered_logs = server_loggers(self.log, *([server.log] if server else []))
        for logger in self._filtered_logs:
            logger.addFilter(self._log_filter)
        self.agent = inlinable((resources.files(__package__) / "static" / "agent.js").read_text())
        self.sessions = self.session_store_class(
            self.session_timeout,
            self.max_concurrent_requests,
            self.cache_size,
            kept=KeptBytes(self.server_cache_size),
            in_use=self._room_in_use,
        )
        limits = RoomLimits(
            max_doc_message=self.room_max_message_size,
            max_doc_bytes=self.room_max_doc_size,
            max_peers=self.room_max_peers,
            max_queued_bytes=self.room_max_queued_bytes,
        )
        self.kernel_passes = KernelPasses(lifetime=self.session_timeout)
        self.rooms = self.room_hub_class(
            self.room_linger,
            limits,
            on_drop=self.sessions.release,
            store=None if self.room_store_class is None else self._room_store,
            log=self.log,
        )
        # Expired sessions are freed every minute (or sooner for short timeouts), not only when
        # someone happens to use them.
        sweep_every = max(1.0, min(60.0, self.session_timeout / 4))
        self._sweeper = PeriodicCallback(self.sessions.sweep, sweep_every * 1000)
        self._sweeper.start()
        self.in_flight = InFlightBytes(self.in_flight_size)
        self.browser_pass = BrowserPass()
        # Large pages are rewritten here, off the event loop, apart from the default executor
        # that DNS lookups (aiohttp's resolver) and Jupyter itself use.
        self.rewriters = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cobrowse-rewrite")
        self.upstream = Upstream(
            AddressPolicy(self.allowed_private_hosts, server=own),
            self.request_timeout,
            self.max_body_size,
            self.stream_timeout,
            ssl_context=trusting(self.ca_certificates),
        )
        # Streamed answers and page websockets of all rooms together may take half the
        # upstream connection pool: pages being loaded always find a connection.
        self.streams = asyncio.Semaphore(self.upstream.max_connections // 2)
        self.proxy = ProxyServices(
            sessions=self.sessions,
            browser_pass=self.browser_pass,
            upstream=self.upstream,
            agent=self.agent,
            in_flight=self.in_flight,
            streams=self.streams,
            rewriters=self.rewriters,
            limits=ProxyLimits(
                max_request_size=self.max_request_size,
                max_page_size=self.max_page_size,
                page_timeout=self.page_timeout,
                request_timeout=self.request_timeout,
                max_body_size=self.max_body_size,
            ),
            log=self.log,
        )

    def _advertise_rooms(self) -> None:
        """Tell the kernels this server starts where its rooms are, for their replicas' own
        sockets (environment variable ``COBROWSE_KERNEL_ROOMS``; they need a view's pass too).
        A server on a Unix socket advertises nothing: its kernels sync through their views."""
        server = self.serverapp
        if self.service_url:  # the service's rooms: its kernel address, or the views relay
            service = self.service_kernel_url or (
                self.service_url if not self.service_url.startswith("/") else ""
            )
            if service:
                rooms = url_path_join(service, "cobrowse/api/kernel-rooms/")
                os.environ[KERNEL_ROOMS] = "ws" + rooms.removeprefix("http")
            else:
                os.environ.pop(KERNEL_ROOMS, None)
            return
        if server is None or server.sock:
            return
        host = (
            server.ip if server.ip not in ("", "0.0.0.0", "::", "*", "localhost") else "127.0.0.1"
        )
        host = f"[{host}]" if ":" in host else host
        scheme = "wss" if server.certfile else "ws"
        path = url_path_join(server.base_url, "cobrowse/api/kernel-rooms/")
        os.environ[KERNEL_ROOMS] = f"{scheme}://{host}:{server.port}{path}"

    def _room_store(self, name: str) -> BaseYStore:
        """The store of room ``name``, with this extension's settings when it is SQLite."""
        from pycrdt.store import SQLiteYStore

        store_class = self.room_store_class
        assert store_class is not None  # the hub is given this factory only when it is set
        store: BaseYStore = store_class(name, log=self.log)
        if isinstance(store, SQLiteYStore):
            Path(self.room_store_path).parent.mkdir(parents=True, exist_ok=True)
            store.db_path = self.room_store_path
            store.squash_after_inactivity_of = round(self.room_store_squash_after)
            store.cleanup_when_db_size_above = self.room_store_max_size
        return store

    def _room_in_use(self, name: str) -> bool:
        room = self.rooms.rooms.get(name)
        return room is not None and bool(room.peers)

    def initialize_handlers(self) -> None:
        assert self.serverapp is not None
        base_url = self.serverapp.web_app.settings["base_url"]
        service = {"service": self.service_url} if self.service_url else {}
        routes = self.routes(base_url, session_kwargs=service)
        self.serverapp.web_app.add_handlers(".*$", routes)  # type: ignore[no-untyped-call]

    def routes(
        self,
        base_url: str,
        session: type[web.RequestHandler] = SessionHandler,
        room: type[web.RequestHandler] = RoomHandler,
        kernel_room: type[web.RequestHandler] = KernelRoomHandler,
        session_kwargs: dict[str, Any] | None = None,
        room_kwargs: dict[str, Any] | None = None,
    ) -> list[Rule]:
        """The routes under ``base_url``: the session endpoint and room sockets (``session``,
        ``room``, ``kernel_room``: Jupyter-authenticated here, hub-authenticated in the hub
        service, each given its ``*_kwargs`` too) and the proxy, which the capability in its paths
        authorizes."""
        proxy: dict[str, Any] = {"services": self.proxy}
        sessions: dict[str, Any] = {
            "sessions": self.sessions,
            "browser_pass": self.browser_pass,
            "passes": self.kernel_passes,
            **(session_kwargs or {}),
        }
        rooms: dict[str, Any] = {
            "rooms": self.rooms,
            "passes": self.kernel_passes,
            **(room_kwargs or {}),
        }
        token = r"([A-Za-z0-9_-]{16,})"
        return [
            # A websocket opened on any proxied address reaches the site's websocket (scripts
            # build socket addresses from `location`): routed by the Upgrade header, first.
            Rule(
                WebSocketUpgrade(url_path_join(base_url, rf"/cobrowse/proxy/{token}/https?/.*")),
                ProxyWebSocketHandler,
                proxy,
            ),
            *(
                Rule(PathMatches(url_path_join(base_url, path)), handler, kwargs)
                for path, handler, kwargs in [
                    ("/cobrowse/api/session", session, sessions),
                    ("/cobrowse/api/rooms/([^/]+)", room, rooms),
                    ("/cobrowse/api/kernel-rooms/([^/]+)", kernel_room, rooms),
                    (rf"/cobrowse/proxy/{token}/wss?/.*", ProxyWebSocketHandler, proxy),
                    (rf"/cobrowse/proxy/{token}/.*", ProxyHandler, proxy),
                ]
            ),
        ]

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if self.freeze_start_up:
            self.log.debug("cobrowse: %d start-up objects frozen", freeze_start_up())

    async def stop_extension(self) -> None:
        await self.stop_services()

    async def stop_services(self) -> None:
        """Close upstream connections and write every room's pending updates."""
        if not hasattr(self, "upstream"):
            return  # start-up failed before anything was running
        self._sweeper.stop()
        for logger in self._filtered_logs:
            logger.removeFilter(self._log_filter)
        await self.upstream.close()
        await self.rooms.close()
        self.rewriters.shutdown(wait=False, cancel_futures=True)


def _service_address(url: str) -> str:
    """The hub service's address as a setting gives it, ending in "/" (a path or an http(s)
    URL; anything else is an error)."""
    url = url.strip()
    if url and not url.startswith(("/", "http://", "https://")):
        raise TraitError(f"{url!r} is neither a path nor an http(s) URL")
    return url if not url or url.endswith("/") else url + "/"

"""``cobrowse-service``: the extension's room hub and proxy as one JupyterHub-managed service.

JupyterHub starts it with its environment (``JUPYTERHUB_SERVICE_URL`` to listen on,
``JUPYTERHUB_SERVICE_PREFIX`` to serve under, the API token and OAuth client); it reads the
same ``c.CoBrowse.*`` settings as the extension, from ``cobrowse_service_config.py`` and the
command line.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.utils import url_path_join
from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.routing import PathMatches, Rule
from traitlets import Unicode, default
from traitlets.config import Application, catch_config_error

from ..app import CoBrowse
from ..rooms import freeze_start_up
from ._handlers import HubKernelRoomHandler, HubLoginHandler, HubRoomHandler, HubSessionHandler

STORE = "pycrdt.store.SQLiteYStore"


@dataclass(frozen=True)
class Listening:
    """Where the service listens: the proxy never reaches it (``ServerAddress``)."""

    ip: str
    port: int


class CoBrowseService(Application):
    """Co-browsing rooms and proxy for every single-user server of a JupyterHub."""

    name = "cobrowse-service"
    description = """Run co-browsing rooms and the rewriting proxy as a JupyterHub-managed
    service (HubOAuth). Settings: c.CoBrowse.* as for the server extension; rooms are kept
    in SQLite by default (c.CoBrowse.room_store_path)."""
    classes = [CoBrowse, HubOAuth]  # noqa: RUF012 (traitlets' own declaration)
    aliases = {  # noqa: RUF012
        "config": "CoBrowseService.config_file",
        "log-level": "Application.log_level",
    }

    config_file = Unicode(
        "cobrowse_service_config.py",
        help="A Python config file (c.CoBrowse.*), read from the working directory if there.",
    ).tag(config=True)

    url = Unicode(
        help="Where to listen (default: JUPYTERHUB_SERVICE_URL, as JupyterHub sets it)."
    ).tag(config=True)

    @default("url")
    def _default_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101/")

    base_url = Unicode(
        help="The path the hub routes to the service (default: JUPYTERHUB_SERVICE_PREFIX)."
    ).tag(config=True)

    @default("base_url")
    def _default_base_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/cobrowse/")

    cookie_secret_file = Unicode(
        help="""The file of the secret that signs the service's cookies (its HubOAuth login and
        XSRF token), made on first start; kept so that logins outlive a restart.""",
    ).tag(config=True)

    @default("cookie_secret_file")
    def _default_cookie_secret_file(self) -> str:
        return str(Path(jupyter_data_dir()) / "cobrowse" / "service_cookie_secret")

    @catch_config_error
    def initialize(self, argv: list[str] | None = None) -> None:
        self.parse_command_line(argv)
        if Path(self.config_file).is_file():
            self.load_config_file(self.config_file)
            self.update_config(self.cli_config)  # the command line wins over the file
        if "room_store_class" not in self.config.CoBrowse:  # the service keeps its rooms
            self.config.CoBrowse.room_store_class = STORE
        if "room_store_path" not in self.config.CoBrowse:
            data = Path(jupyter_data_dir()) / "cobrowse" / "service-rooms.db"
            self.config.CoBrowse.room_store_path = str(data)

    def cookie_secret(self) -> bytes:
        """The kept secret, made (readable by this user only) when there is none."""
        path = Path(self.cookie_secret_file)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
        return bytes.fromhex(path.read_text().strip())

    def make_app(self, cobrowse: CoBrowse, hub_auth: HubOAuth) -> web.Application:
        """The service's tornado application: the extension's routes under the prefix, with
        hub-identified session and room handlers, the sign-in page and the OAuth callback."""
        base_url = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        groups = {"presenter_groups": frozenset(cobrowse.presenter_groups)}
        routes: list[Rule] = [
            *cobrowse.routes(
                base_url,
                session=HubSessionHandler,
                room=HubRoomHandler,
                kernel_room=HubKernelRoomHandler,
                session_kwargs=groups,
                room_kwargs=groups,
            ),
            Rule(PathMatches(url_path_join(base_url, "cobrowse/login")), HubLoginHandler),
            Rule(
                PathMatches(urlsplit(hub_auth.oauth_redirect_uri).path),
                HubOAuthCallbackHandler,
            ),
        ]
        return web.Application(
            routes,
            base_url=base_url,
            cookie_secret=self.cookie_secret(),
            websocket_ping_interval=30,
            websocket_ping_timeout=90,
            log_function=_log_request,
        )

    def start(self) -> None:
        asyncio.run(self.serve())

    async def serve(self, ready: asyncio.Event | None = None) -> None:
        """Serve until SIGTERM or SIGINT (or the task is cancelled), then write every room's
        pending updates to the store."""
        for variable in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_CLIENT_ID"):
            if not os.environ.get(variable):
                self.log.critical("%s is not set: run cobrowse-service from JupyterHub", variable)
                sys.exit(2)
        where = urlsplit(self.url)
        cobrowse = CoBrowse(config=self.config, log=self.log)
        cobrowse.start_services(Listening(where.hostname or "127.0.0.1", where.port or 80))
        hub_auth = HubOAuth.instance(config=self.config)
        server = HTTPServer(
            self.make_app(cobrowse, hub_auth),
            xheaders=True,  # behind the hub's proxy: the browser's address in the log
            max_body_size=cobrowse.max_request_size + 64 * 1024,
        )
        server.listen(where.port or 80, where.hostname or "127.0.0.1")
        self.log.info("cobrowse-service listening on %s, under %s", self.url, self.base_url)
        if cobrowse.freeze_start_up:  # what start-up made is not walked by every collection
            self.log.debug("cobrowse: %d start-up objects frozen", freeze_start_up())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            server.stop()
            await cobrowse.stop_services()
            self.log.info("cobrowse-service stopped; rooms written to the store")


def _log_request(handler: web.RequestHandler) -> None:
    """Tornado's access line, at debug level for successes (a page is dozens of requests)."""
    from tornado.log import access_log

    status = handler.get_status()
    level = access_log.debug if status < 400 else access_log.warning
    request = handler.request
    took = 1000.0 * request.request_time()
    level("%d %s %s %.1fms", status, request.method, request.path, took)


def main(argv: list[str] | None = None) -> None:
    """The ``cobrowse-service`` console command."""
    app = CoBrowseService.instance()
    app.initialize(argv)
    app.start()


__all__ = ["CoBrowseService", "Listening", "main"]

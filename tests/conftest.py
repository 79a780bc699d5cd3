"""Shared fixtures: a Jupyter server with the extension, and a loopback test origin."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import brotli
import pytest
from tornado import httpserver, web, websocket
from tornado.iostream import StreamClosedError

from jupyter_ext.proxy._browser_pass import COOKIE as PASS_COOKIE

pytest_plugins = ["jupyter_server.pytest_plugin"]

ORIGIN_HOST = "127.0.0.2"  # not 127.0.0.1, so Jupyter's cookies can only arrive through the proxy
OTHER_HOST = "127.0.0.3"  # the same app as another site


def proxied(prefix: str, url: str) -> str:
    """``url`` under a capability prefix, in the proxy's path-preserving form."""
    scheme, rest = url.split("://", 1)
    return f"{prefix}{scheme}/{rest}"


async def get(client, path: str, **kwargs):
    """A request that returns error responses instead of raising."""
    return await client.fetch(path, raise_error=False, **kwargs)


@dataclass
class Origin:
    """A real HTTP site on loopback that records every request it gets."""

    port: int
    other_port: int = 0
    open_sockets: int = 0
    open_streams: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str = "/") -> str:
        return f"http://{ORIGIN_HOST}:{self.port}{path}"

    def other_url(self, path: str = "/") -> str:
        """The same app on another site."""
        return f"http://{OTHER_HOST}:{self.other_port}{path}"


class _Recorder(web.RequestHandler):
    def initialize(self, origin: Origin) -> None:
        self.origin = origin

    def prepare(self) -> None:
        record = {k.lower(): v for k, v in self.request.headers.get_all()}
        record["_method"] = self.request.method or ""
        record["_peer"] = str(self.request.connection.context.address)  # type: ignore[union-attr]
        record["_path"] = self.request.uri or ""
        self.origin.requests.append(record)

    def check_xsrf_cookie(self) -> None:
        pass


class _Page(_Recorder):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", "default-src 'self'")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Strict-Transport-Security", "max-age=31536000")
        self.set_cookie("visited", "yes")
        self.write(
            "<!doctype html><html><head><title>Origin page</title>"
            '<link rel="stylesheet" href="/style.css" integrity="sha384-x"></head><body>'
            f'<a id="abs" href="http://{ORIGIN_HOST}:{self.origin.port}/next">abs</a>'
            '<a id="root" href="/next">root</a><a id="rel" href="next">rel</a>'
            '<img src="/img.png" srcset="/a.png 1x, /b.png 2x">'
            '<form method="post" action="/echo"><input name="q"></form>'
            "</body></html>"
        )


class _Echo(_Recorder):
    def get(self) -> None:
        self.finish({"headers": self.origin.requests[-1]})

    def post(self) -> None:
        self.finish({"headers": self.origin.requests[-1], "body": self.request.body.decode()})


class _Headers(_Recorder):
    """Answers with the headers its query names (``?Name=value``, repeatable) and its status
    (``?status=401``)."""

    def get(self) -> None:
        for name, values in self.request.query_arguments.items():
            for value in values:
                if name != "status":
                    self.add_header(name, value.decode())
        self.set_status(int(self.get_argument("status", "200")))
        self.finish("<!doctype html><title>headers</title>")


class _SetCookie(_Recorder):
    def get(self) -> None:
        self.set_cookie("sid", "s3cret", httponly=True)
        self.finish("ok")


class _Redirect(_Recorder):
    def get(self) -> None:
        self.redirect(self.get_argument("to", "/page"))


class _Boom(_Recorder):
    def get(self) -> None:
        self.set_status(500)
        self.finish({"error": "boom"})


class _Methods(_Recorder):
    """Answers any method with what it received."""

    def _echo(self) -> None:
        self.finish(
            {
                "method": self.request.method,
                "body": self.request.body.decode("latin-1"),
                "type": self.request.headers.get("Content-Type", ""),
            }
        )

    get = post = put = delete = patch = options = _echo  # type: ignore[assignment]


class _Big(_Recorder):
    """Sends one chunk, then waits for the test to see it before sending the rest."""

    async def get(self) -> None:
        self.set_header("Content-Type", "application/octet-stream")
        self.write(b"a" * 65536)
        await self.flush()
        await asyncio.wait_for(self.origin.release.wait(), 10)
        self.finish(b"b" * 65536)


class _Framed(_Recorder):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish('<html><head></head><body><iframe srcdoc="<p>inline"></iframe></body></html>')


# A page of megabytes, dense with URLs: rewriting it takes the proxy about half a second.
BIG_PAGE = (
    b"<html><head></head><body>"
    + b'<p><a href="/x/y.html">link</a> text <img src="https://c.org/i.png"></p>\n' * 30_000
    + b"</body></html>"
)


class _BigPage(_Recorder):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(BIG_PAGE)


ENCODERS = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}


class _Encoded(_Recorder):
    """An HTML page sent in the Content-Encoding the path names."""

    def get(self, coding: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Encoding", coding)
        page = b'<html><head></head><body><a href="/x">x</a></body></html>'
        self.finish(ENCODERS[coding](page))


LEGACY = (
    "<html><head><meta charset=windows-1252><title>caf\u00e9</title></head><body>"
    "<p>na\u00efve \u2013 r\u00e9sum\u00e9</p><a href='/caf\u00e9'>\u00e9</a></body></html>"
).encode("cp1252")


class _Legacy(_Recorder):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html")
        self.finish(LEGACY)


class _Form(_Recorder):
    """A form whose answer page says what was posted."""

    def post(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            f"<html><head></head><body><p id=r>posted {self.request.body.decode()}</p>"
            f'<link rel=stylesheet href="style.css"></body></html>'
        )


class _Drip(_Recorder):
    """Answers at once, then sends its body slowly: a stream that outlasts request_timeout."""

    async def get(self) -> None:
        self.set_header("Content-Type", "text/event-stream")
        for i in range(5):
            self.write(f"data: {i}\n\n")
            await self.flush()
            await asyncio.sleep(0.4)
        self.finish()


class _Trickle(_Recorder):
    """An HTML page whose body comes a few bytes at a time, until the test releases it."""

    async def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.write("<html><head></head><body>")
        self.origin.open_streams += 1
        try:
            await self.flush()
            while not self.origin.release.is_set():
                self.write("<p>")
                await self.flush()
                await asyncio.sleep(0.05)
            self.finish("</body></html>")
        except StreamClosedError:
            pass
        finally:
            self.origin.open_streams -= 1


class _Endless(_Recorder):
    """A download that never ends, written as fast as the reader takes it."""

    async def get(self) -> None:
        self.set_header("Content-Type", "application/octet-stream")
        self.origin.open_streams += 1
        try:
            while True:
                self.write(b"z" * 65536)
                await self.flush()
        except StreamClosedError:
            pass
        finally:
            self.origin.open_streams -= 1


class _Slow(_Recorder):
    async def get(self) -> None:
        await asyncio.wait_for(self.origin.release.wait(), 10)
        self.finish("done")


class _Socket(websocket.WebSocketHandler):
    def initialize(self, origin: Origin) -> None:
        self.origin = origin

    def prepare(self) -> None:
        self.origin.requests.append({k.lower(): v for k, v in self.request.headers.get_all()})

    def check_origin(self, origin: str) -> bool:
        return True  # any page's socket: tests check the Origin recorded

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return "chat.v2" if "chat.v2" in subprotocols else None

    def open(self) -> None:
        self.origin.open_sockets += 1

    def on_close(self) -> None:
        self.origin.open_sockets -= 1

    def on_message(self, message: str | bytes) -> None:
        self.write_message(message, binary=isinstance(message, bytes))


class _Cacheable(_Recorder):
    """Answers with the caching headers given in the query and a body that counts the hits, so
    a test can tell a kept answer from a fresh one; honours If-None-Match."""

    def get(self) -> None:
        self.set_header("Content-Type", self.get_argument("type", "text/plain"))
        self.set_header("Cache-Control", self.get_argument("cc", "max-age=60"))
        self.set_header("ETag", '"v1"')
        if self.get_argument("vary", ""):
            self.set_header("Vary", self.get_argument("vary"))
        if self.request.headers.get("If-None-Match") == '"v1"':
            self.set_status(304)
            return
        self.finish(f"hit {len(self.origin.requests)} {'x' * int(self.get_argument('pad', '0'))}")

    def post(self) -> None:
        self.set_status(204)

    def compute_etag(self) -> None:
        return None


class _Hostile(_Recorder):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        with open(__file__.replace("conftest.py", "pages/hostile.html"), "rb") as f:
            self.finish(f.read())


@pytest.fixture
def origin(jp_asyncio_loop) -> Iterator[Origin]:
    """A test site on 127.0.0.2, served on the test's event loop."""
    site, server = jp_asyncio_loop.run_until_complete(_start_origin())
    yield site
    server.stop()


async def _start_origin() -> tuple[Origin, httpserver.HTTPServer]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((ORIGIN_HOST, 0))
    sock.listen(16)
    sock.setblocking(False)
    other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    other.bind((OTHER_HOST, 0))
    other.listen(16)
    other.setblocking(False)
    site = Origin(port=sock.getsockname()[1], other_port=other.getsockname()[1])
    kwargs = {"origin": site}
    app = web.Application(
        [
            (r"/page", _Page, kwargs),
            (r"/echo", _Echo, kwargs),
            (r"/headers", _Headers, kwargs),
            (r"/setcookie", _SetCookie, kwargs),
            (r"/redirect", _Redirect, kwargs),
            (r"/boom", _Boom, kwargs),
            (r"/hostile", _Hostile, kwargs),
            (r"/cacheable", _Cacheable, kwargs),
            (r"/methods", _Methods, kwargs),
            (r"/big", _Big, kwargs),
            (r"/encoded/(gzip|deflate|br)", _Encoded, kwargs),
            (r"/framed", _Framed, kwargs),
            (r"/big.html", _BigPage, kwargs),
            (r"/legacy", _Legacy, kwargs),
            (r"/form", _Form, kwargs),
            (r"/slow", _Slow, kwargs),
            (r"/trickle", _Trickle, kwargs),
            (r"/endless", _Endless, kwargs),
            (r"/drip", _Drip, kwargs),
            (r"/socket", _Socket, kwargs),
            (r"/files/(.*)", web.StaticFileHandler, {"path": str(Path(__file__).parent / "pages")}),
        ]
    )
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock, other])
    return site, server


@pytest.fixture
def jp_server_config() -> dict:
    return server_config()


def server_config(server: dict | None = None, **cobrowse) -> dict:
    """The test server's settings: the extension on, the test origins allowed, and more
    ``ServerApp`` and ``CoBrowse`` settings where a test needs them."""
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_ext": True}, **(server or {})},
        "CoBrowse": {
            "allowed_private_hosts": [ORIGIN_HOST, OTHER_HOST],
            "request_timeout": 5.0,
            **cobrowse,
        },
    }


@pytest.fixture
def browser_pass() -> dict[str, str]:
    """The browser pass cookie the session endpoint gave (``{"Cookie": ...}``), once it has."""
    return {}


@pytest.fixture
def open_session(jp_fetch, browser_pass):
    """Create a proxy session for a room through the real API; returns its path prefix. Keeps
    the browser pass it sets, as the participant's browser would."""

    async def create(room: str = "test-room") -> str:
        response = await jp_fetch(
            "cobrowse", "api", "session", method="POST", body=json.dumps({"room": room})
        )
        for header in response.headers.get_list("Set-Cookie"):
            if header.startswith(f"{PASS_COOKIE}="):
                browser_pass["Cookie"] = header.split(";", 1)[0]
        return json.loads(response.body)["prefix"]

    return create


def as_browser(headers: dict[str, str], browser_pass: dict[str, str]) -> dict[str, str]:
    """``headers`` with the browser pass added to their cookies, as a browser sends it with
    the frame's navigations."""
    if not browser_pass:
        return headers
    cookie = "; ".join(filter(None, [headers.get("Cookie"), browser_pass["Cookie"]]))
    return {**headers, "Cookie": cookie}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: Playwright's sync API keeps an event loop marked as running until
    the session ends, which jupyter_server's autouse loop fixtures cannot share."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def fetch_proxied(http_server_client, browser_pass):
    """Fetch a proxy path as a browser navigates a frame: with the browser pass, following the
    proxy's own moves to a site's capability (302, or 307 keeping a form's method and body), but
    not the site's redirects. (The test client cannot follow redirects itself: it prefixes
    every URL with its host.)"""

    async def fetch(path: str, method: str = "GET", body: bytes | str | None = None, **kwargs):
        headers = {"Sec-Fetch-Mode": "navigate", **kwargs.pop("headers", {})}
        headers = as_browser(headers, browser_pass)
        for _ in range(3):
            response = await http_server_client.fetch(
                path,
                method=method,
                body=body,
                headers=headers,
                follow_redirects=False,
                raise_error=False,
                allow_nonstandard_methods=True,
                **kwargs,
            )
            location = response.headers.get("Location", "")
            if response.code not in (302, 307) or not _same_rest(path, location):
                return response
            path = location
        raise AssertionError("the proxy moved the request more than twice")

    return fetch


def _same_rest(path: str, location: str) -> bool:
    """True when ``location`` is ``path`` under another capability token."""
    marker = "/cobrowse/proxy/"
    if marker not in path or marker not in location:
        return False
    rest = [p.split(marker, 1)[1].split("/", 1)[-1] for p in (path, location)]
    return rest[0] == rest[1]


@pytest.fixture
def site_prefix(http_server_client, browser_pass):
    """The capability prefix the proxy uses for the site of ``url``, given the room's entry one."""

    async def find(prefix: str, url: str) -> str:
        scheme, rest = url.split("://", 1)
        response = await http_server_client.fetch(
            f"{prefix}{scheme}/{rest}",
            headers=as_browser({"Sec-Fetch-Mode": "navigate"}, browser_pass),
            follow_redirects=False,
            raise_error=False,
        )
        assert response.code == 302, response.code
        return response.headers["Location"].split(f"/{scheme}/", 1)[0] + "/"

    return find


@pytest.fixture
def kernel_rooms(jp_serverapp, jp_http_port, jp_base_url) -> str:
    """The kernel-rooms address the extension advertises to the kernels it starts."""
    return f"ws://127.0.0.1:{jp_http_port}{jp_base_url}cobrowse/api/kernel-rooms/"


async def kernel_pass(jp_fetch, room: str) -> str:
    """A kernel pass for ``room``, as the session endpoint gives a view."""
    response = await jp_fetch(
        "cobrowse", "api", "session", method="POST", body=json.dumps({"room": room})
    )
    return json.loads(response.body)["kernel_pass"]

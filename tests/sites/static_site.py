"""A threaded static HTTP/1.1 server (keep-alive, like a real origin) that records its requests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PYTHON_DOCS = Path("/usr/share/doc/python3-doc/html")


@dataclass
class StaticSite:
    """Where the site listens, and the headers of every request it answered."""

    url: str
    requests: list[dict[str, str]] = field(default_factory=list)


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, a kept-alive client waits
        # out Nagle's algorithm against its own delayed ACK (~40 ms) on every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def __init__(
        self, *args: object, site: StaticSite, headers: dict[str, str], **kwargs: object
    ) -> None:
        self.site = site
        self.extra_headers = headers
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def end_headers(self) -> None:
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        record = {k.lower(): v for k, v in self.headers.items()}
        record["_path"] = self.path
        self.site.requests.append(record)
        return super().send_head()

    def log_message(self, *args: object) -> None:
        pass


def answer(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    content_type: str = "text/html; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """Send ``body`` as a complete 200 answer from a test site's ``handler``."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at ``host`` now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(handler: Callable[..., BaseHTTPRequestHandler], host: str = "127.0.0.2") -> Iterator[str]:
    """Serve ``handler`` on a free port of ``host`` from a daemon thread; yields the base URL."""
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_directory(
    directory: Path, host: str = "127.0.0.2", headers: dict[str, str] | None = None
) -> Iterator[StaticSite]:
    """Serve ``directory`` on a free port of ``host`` from a daemon thread, adding ``headers``
    to every response."""
    site = StaticSite(url="")
    handler = partial(_Handler, site=site, headers=headers or {}, directory=str(directory))
    with serve(handler, host) as url:
        site.url = url
        yield site

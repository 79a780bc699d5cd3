"""How long a pointer (awareness) update and a document update take to reach other participants
through the room hub of a real Jupyter server, next to a bare websocket relay measured in the
same run.

    python benchmarks/room_latency.py [--messages 500] [--readers 1 20] [--rate 100]

Messages go out at ``--rate`` a second (a moving pointer sends 60, a scroll 30; the room paces
a connection past 200). Prints p50/p99 latencies in milliseconds and the ratio of each to the
bare relay's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pycrdt import (
    Awareness,
    Doc,
    Map,
    create_awareness_message,
    create_sync_message,
    create_update_message,
)
from tornado.websocket import WebSocketClientConnection, websocket_connect

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error still means it is up
                return
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start_jupyter(tmp: Path) -> tuple[subprocess.Popen, str, str]:
    token, port = secrets.token_hex(16), free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "cfg"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "rt"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", *server_args(port, token, tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    wait_up(f"http://127.0.0.1:{port}/api/status?token={token}", process)
    return process, f"ws://127.0.0.1:{port}/cobrowse/api/rooms/bench?token={token}", token


def server_args(port: int, token: str, root: object) -> list[str]:
    """A benchmark's Jupyter server: no browser, this port and token, ``root`` as its root."""
    return [
        "--no-browser",
        "--allow-root",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]


def start_relay() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_relay.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_up(f"http://127.0.0.1:{port}/relay", process)
    return process, f"ws://127.0.0.1:{port}/relay"


def pointer_messages(count: int) -> list[bytes]:
    """Real awareness updates of one participant moving its pointer."""
    awareness = Awareness(Doc())
    user = {"name": "Bench", "color": "#4363d8", "username": "bench"}
    out = []
    for i in range(count):
        pointer = {
            "locator": {"path": [["main", 0], ["section", i % 10]]},
            "rx": 0.5,
            "ry": (i % 100) / 100,
            "fx": 0.5,
            "fy": i / count,
        }
        awareness.set_local_state({"user": user, "url": "https://example.org/", "pointer": pointer})
        out.append(
            create_awareness_message(awareness.encode_awareness_update([awareness.client_id]))
        )
    return out


def scroll_messages(count: int) -> list[bytes]:
    """Real Yjs update messages of one participant scrolling (the scroll map of the schema)."""
    doc = Doc()
    scroll = doc.get("scroll", type=Map)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for i in range(count):
        with doc.transaction():
            scroll["url"] = "https://example.org/"
            scroll["anchor"] = json.dumps({"locator": None, "ratio": 0.0, "fraction": i / count})
            scroll["by"] = 1
    return [create_update_message(update) for update in updates]


async def measure(
    url: str, messages: list[bytes], readers: int, handshake: bool, rate: float
) -> list[float]:
    """Send each message from one socket, ``rate`` a second, and time until the last reader
    has it."""
    writer = await websocket_connect(url)
    others: list[WebSocketClientConnection] = [await websocket_connect(url) for _ in range(readers)]
    sockets = [writer, *others]
    if handshake:  # join the room like a front-end: step 1, then drain what the room sends
        for ws in sockets:
            await ws.write_message(create_sync_message(Doc()), binary=True)
        await asyncio.sleep(0.3)
        for ws in sockets:
            while True:
                try:
                    await asyncio.wait_for(ws.read_message(), 0.05)
                except asyncio.TimeoutError:
                    break
    latencies = []
    begin = time.perf_counter()
    for i, message in enumerate(messages):
        await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
        start = time.perf_counter()
        await writer.write_message(message, binary=True)
        await asyncio.gather(*(ws.read_message() for ws in others))
        latencies.append((time.perf_counter() - start) * 1000)
    for ws in sockets:
        ws.close()
    return latencies


def summary(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        jupyter, room_url, _ = start_jupyter(Path(tmp))
        relay, relay_url = start_relay()
        try:
            print(
                f"{'what':<34}{'readers':>8}{'p50 ms':>9}{'p99 ms':>9}{'p50 x relay':>12}"
                f"{'p99 x relay':>12}"
            )
            for readers in args.readers:
                base = summary(
                    await measure(
                        relay_url,
                        pointer_messages(args.messages),
                        readers,
                        handshake=False,
                        rate=args.rate,
                    )
                )
                print(
                    f"{'bare websocket relay (baseline)':<34}{readers:>8}{base[0]:>9.2f}"
                    f"{base[1]:>9.2f}{1:>12.2f}{1:>12.2f}"
                )
                for name, make in (
                    ("room: pointer (awareness)", pointer_messages),
                    ("room: scroll (document update)", scroll_messages),
                ):
                    p50, p99 = summary(
                        await measure(
                            room_url, make(args.messages), readers, handshake=True, rate=args.rate
                        )
                    )
                    print(
                        f"{name:<34}{readers:>8}{p50:>9.2f}{p99:>9.2f}{p50 / base[0]:>12.2f}"
                        f"{p99 / base[1]:>12.2f}"
                    )
        finally:
            jupyter.terminate()
            relay.terminate()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--readers", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--rate", type=float, default=100.0, help="messages a second")
    asyncio.run(run(parser.parse_args()))

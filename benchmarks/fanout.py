"""One presenter and N followers in one room: how long the presenter's updates take to reach
every follower, and what the server spends on it, beside jupyter-collaboration's room measured in
the same run.

    python benchmarks/fanout.py [--followers 10 50 200] [--seconds 10] [--repeat 3]
                                [--workloads presenting document] [--trace-gc]

Needs ``pip install -r benchmarks/requirements.txt`` (jupyter-collaboration, psutil), best in a
virtual environment of its own (``python -m venv --system-site-packages``): installed beside
JupyterLab, jupyter-collaboration turns real-time collaboration on for every notebook.

For each N, both rooms run in new Jupyter servers spawned with the same interpreter and the same
other extensions, measured one at a time, in alternating order. Every participant is a websocket
client on loopback (``TCP_NODELAY``, as browsers set it), all read in one epoll loop (a few
microseconds a frame: what is measured is the server); each joins as a front-end does (y-sync
step 1 and an awareness state, 10 ms apart) and renews its awareness every 15 s as y-protocols
does. Workloads, ``--rate`` messages a second from the presenter:

- ``presenting`` (the default): in cycles of ten as the widget sends them while presenting,
  eight live moves of its pointer or scroll (``docs/protocol.md``, "Live presence"), one
  awareness update (its presence once the pointer rests) and one document update (a settled
  scroll, as ``schema.setScroll`` writes it). jupyter-collaboration's room has no live
  messages: there, a move is an awareness update carrying the pointer, as a y-protocols client
  sends it.
- ``document``: document updates only, the same bytes to both rooms.

jupyter-collaboration's room is a ``TransientRoom`` (``/api/collaboration/room/<name>``: no file
behind it, nothing saved), the cheapest it has.

Prints, for each N, the median and range over ``--repeat`` runs of each room's delivery latency
p50/p99 (from the presenter's write to each follower's read, all followers together), the server
process's CPU (per cent of a core while the presenter sends) and resident memory with everyone
in, the machine's load average, and the ratios of ours to jupyter-collaboration's.
``--trace-gc`` also reports the servers' garbage-collector pauses during each run.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import os
import secrets
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from pycrdt import Awareness, Doc, Map, create_awareness_message, create_update_message
from room_latency import free_port, server_args, wait_up

LIVE = 8  # docs/protocol.md: [8, client id, payload]
SYNC, AWARENESS, STEP2, UPDATE = 0, 1, 1, 2
KINDS = ("live", "awareness", "update")
RENEW = 15.0  # seconds between a participant's awareness renewals (y-protocols: 30 s time-out / 2)

# A server that writes its garbage-collector pauses (ms, generation) to COBROWSE_GC_LOG.
GC_LAUNCHER = """
import gc, os, sys, time
log = open(os.environ["COBROWSE_GC_LOG"], "a", buffering=1)
started = [0.0]
def timed(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        log.write(f"{time.time():.6f} {(time.perf_counter() - started[0]) * 1000:.3f} "
                  f"{info['generation']}\\n")
gc.callbacks.append(timed)
from jupyter_server.serverapp import main
sys.exit(main())
"""

WORKLOADS = {
    "presenting": "8 live moves, 1 awareness update and 1 document update in every 10 (theirs: "
    "9 awareness updates and 1 document update)",
    "document": "document updates only (the same bytes to both rooms)",
}
OURS = "cobrowse room hub"
THEIRS = "jupyter-collaboration (baseline)"


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    url: str  # ws://host:port/path?token=
    gc_log: Path | None

    def stats(self) -> psutil.Process:
        return psutil.Process(self.process.pid)


def start_server(name: str, tmp: Path, trace_gc: bool) -> Server:
    """A Jupyter server with one room implementation enabled and the other disabled."""
    token, port = secrets.token_hex(16), free_port()
    ours = name == OURS
    extensions = {
        "jupyter_ext": ours,
        "jupyter_server_ydoc": not ours,
        "jupyter_server_fileid": not ours,
    }
    home = tmp / ("ours" if ours else "theirs")
    for folder in ("cfg", "data", "rt"):
        (home / folder).mkdir(parents=True)
    (home / "cfg" / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": extensions}})
    )
    gc_log = home / "gc.log" if trace_gc else None
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "cfg"),
        "JUPYTER_RUNTIME_DIR": str(home / "rt"),
        "JUPYTER_DATA_DIR": str(home / "data"),
    }
    command = [sys.executable, "-m", "jupyter_server"]
    if gc_log is not None:
        env["COBROWSE_GC_LOG"] = str(gc_log)
        command = [sys.executable, "-c", GC_LAUNCHER]
    process = subprocess.Popen(
        [*command, *server_args(port, token, home)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    wait_up(f"http://127.0.0.1:{port}/api/status?token={token}", process)
    path = "cobrowse/api/rooms/fanout" if ours else "api/collaboration/room/fanout"
    return Server(name, process, f"ws://127.0.0.1:{port}/{path}?token={token}", gc_log)


def read_uint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


class Socket:
    """A websocket client on a plain socket, read by ``Participants``' poll loop: 200 of them in
    one process cost a few microseconds a frame, so what is measured is the server."""

    def __init__(self, url: str) -> None:
        host, _, path = url.removeprefix("ws://").partition("/")
        hostname, _, port = host.partition(":")
        self.sock = socket.create_connection((hostname, int(port)), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: http://{host}\r\n\r\n".encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise RuntimeError(f"{url} closed during the handshake")
            answer += chunk
        head, _, self.buffer = answer.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(head.decode(errors="replace"))

    def send(self, payload: bytes, opcode: int = 0x2) -> None:
        mask, size = os.urandom(4), len(payload)
        if size < 126:
            head = bytes([0x80 | opcode, 0x80 | size])
        elif size < 1 << 16:
            head = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
        key = int.from_bytes((mask * (size // 4 + 1))[:size], "big")
        self.sock.sendall(
            head + mask + (int.from_bytes(payload, "big") ^ key).to_bytes(size, "big")
        )

    def frames(self) -> list[bytes]:
        """The whole binary frames that have arrived (pings answered)."""
        try:
            buffer = self.buffer + self.sock.recv(1 << 16, socket.MSG_DONTWAIT)
        except BlockingIOError:
            buffer = self.buffer
        frames = []
        while len(buffer) >= 2:
            opcode, size, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if size == 126:
                size, start = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                size, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + size:
                break
            payload, buffer = buffer[start : start + size], buffer[start + size :]
            if opcode == 0x2:
                frames.append(payload)
            elif opcode == 0x9:
                self.send(payload, opcode=0xA)
        self.buffer = buffer
        return frames


class Participants:
    """Everyone in the room, read in one poll loop; ``on_frame(index, frame, time)`` for each
    frame, index -1 for the presenter (socket 0)."""

    def __init__(self, url: str, count: int, on_frame: Any) -> None:
        self.sockets = [Socket(url) for _ in range(count + 1)]
        self.on_frame = on_frame
        self.poll = select.epoll()
        self.index = {}
        for index, sock in enumerate(self.sockets):
            self.poll.register(sock.sock.fileno(), select.EPOLLIN)
            self.index[sock.sock.fileno()] = index - 1
        self.heard = time.perf_counter()  # when anyone last heard anything

    def pump(self, until: float) -> None:
        """Read what arrives until ``until`` (``time.perf_counter``)."""
        while (left := until - time.perf_counter()) > 0:
            for fd, _ in self.poll.poll(left):
                index = self.index[fd]
                now = time.perf_counter()
                for frame in self.sockets[index + 1].frames():
                    self.heard = now
                    self.on_frame(index, frame, now)

    def quiet(self, longest: float) -> None:
        """Read until nobody has heard anything for a second and a half."""
        deadline = time.perf_counter() + longest
        while (now := time.perf_counter()) < deadline and now - self.heard < 1.5:
            self.pump(min(deadline, self.heard + 1.5))

    def close(self) -> None:
        self.poll.close()
        for sock in self.sockets:
            sock.sock.close()


@dataclass
class Script:
    """What the presenter sends, each message with the key its followers recognise it by."""

    client_id: int
    join: bytes = b""  # its first awareness state
    messages: list[tuple[str, int, bytes]] = field(default_factory=list)  # kind, key, bytes


def presenter_script(count: int, ours: bool, workload: str) -> Script:
    doc: Doc[Any] = Doc()
    awareness = Awareness(doc)
    scroll = doc.get("scroll", type=Map)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    script = Script(doc.client_id)
    user = {"name": "Presenter", "color": "#4363d8", "username": "presenter"}
    awareness.set_local_state({"user": user, "url": "https://example.org/guide/"})
    script.join = create_awareness_message(awareness.encode_awareness_update([doc.client_id]))
    lives = docs = 0
    for i in range(count):
        locator = {"path": [["main", 0], ["section", i // 10 % 8]]}
        pointer = {"rx": 0.5, "ry": (i % 97) / 97, "fx": 0.5, "fy": (i % 89) / 89}
        if i % 10 == 9 or workload == "document":  # a settled scroll
            with doc.transaction():
                scroll["url"] = "https://example.org/guide/"
                scroll["anchor"] = json.dumps({"locator": locator, "ratio": 0.25, "fraction": i})
                scroll["by"] = doc.client_id
            script.messages.append(("update", docs, create_update_message(updates[-1])))
            docs += 1
        elif ours and i % 10 != 8:  # a live move: pointer (kind 0/1) or scroll (3/4), slot 0
            named = i % 10 == 0
            payload = var_uint((1 if named else 0) + 3 * (i % 2)) + var_uint(0)
            for fraction in (0.5, (i % 97) / 97, 0.5, (i % 89) / 89)[: 4 - 2 * (i % 2)]:
                payload += var_uint(round(fraction * 1e4))
            if named:
                text = json.dumps(locator).encode()
                payload += var_uint(len(text)) + text
            message = bytes([LIVE]) + var_uint(script.client_id) + var_uint(len(payload))
            script.messages.append(("live", lives, message + payload))
            lives += 1
        else:  # presence in awareness: the pointer (ours: once it rests)
            state = {"user": user, "url": "https://example.org/guide/", "pointer": pointer}
            awareness.set_local_state({**state, "pointer": {"locator": locator, **pointer}})
            clock = awareness.meta[doc.client_id]["clock"]
            update = awareness.encode_awareness_update([doc.client_id])
            script.messages.append(("awareness", clock, create_awareness_message(update)))
    return script


def frame_key(frame: bytes, presenter: int) -> tuple[str, int] | None:
    """Which of the presenter's messages a frame is (live and updates by order, awareness by
    clock); None for anything else."""
    if frame[0] == LIVE:
        client, _ = read_uint(frame, 1)
        return ("live", -1) if client == presenter else None
    if frame[0] == SYNC and frame[1] == UPDATE:
        return ("update", -1)
    if frame[0] == AWARENESS:
        _, pos = read_uint(frame, 1)  # the update's length
        count, pos = read_uint(frame, pos)
        client, pos = read_uint(frame, pos)
        clock, pos = read_uint(frame, pos)
        return ("awareness", clock) if count == 1 and client == presenter else None
    return None


@dataclass
class Run:
    latencies: list[float]
    firsts: list[float]  # each message's quickest delivery: all followers late at once
    missing: int
    cpu: float  # CPU seconds per second of the measured phase
    rss: float  # MiB once everyone is in, at the end
    gc: list[tuple[float, int]]  # pauses (ms, generation) during the measured phase
    load: float  # the machine's load average (1 min) when the run began


def measure(server: Server, followers: int, workload: str, seconds: float, rate: float) -> Run:
    ours = server.name == OURS
    script = presenter_script(int(seconds * rate), ours, workload)
    sent: dict[tuple[str, int], float] = {}
    latencies: list[float] = []
    firsts: dict[tuple[str, int], float] = {}  # each message's quickest delivery
    counts = [dict.fromkeys(KINDS, 0) for _ in range(followers)]

    def on_frame(index: int, frame: bytes, now: float) -> None:
        key = frame_key(frame, script.client_id) if index >= 0 else None
        if key is None:
            return
        kind, number = key
        if number < 0:  # by order
            number = counts[index][kind]
            counts[index][kind] += 1
        start = sent.get((kind, number))
        if start is not None:
            latency = (now - start) * 1000
            latencies.append(latency)
            firsts[kind, number] = min(latency, firsts.get((kind, number), latency))

    room = Participants(server.url, followers, on_frame)
    step1 = bytes([SYNC, 0, 1, 0])  # sync step 1 with an empty state vector
    presences = []
    for number, sock in enumerate(room.sockets):
        sock.send(step1)
        if number == 0:
            sock.send(script.join)
            continue
        awareness = Awareness(Doc())
        awareness.set_local_state({"user": {"name": f"f{number}"}, "url": "https://example.org/"})
        presences.append(awareness)
        sock.send(
            create_awareness_message(awareness.encode_awareness_update([awareness.client_id]))
        )
        room.pump(time.perf_counter() + 0.01)
    room.quiet(60)  # everyone is in and has heard of everyone
    # What is sent when: the presenter's messages, and each follower's presence renewed every
    # RENEW seconds as y-protocols does, the followers spread over that time.
    plan = [(i / rate, 0, i) for i in range(len(script.messages))]
    for number in range(followers):
        first = RENEW * (number + 0.5) / followers
        plan += [(t, number + 1, -1) for t in arange(first, len(script.messages) / rate, RENEW)]
    plan.sort()
    for counted in counts:
        counted.update(dict.fromkeys(KINDS, 0))
    process = server.stats()
    load = os.getloadavg()[0]
    gc_mark = time.time()
    cpu = process.cpu_times()
    begin = time.perf_counter()
    for at, number, i in plan:
        room.pump(begin + at)
        if number:
            awareness = presences[number - 1]
            awareness.set_local_state(awareness.get_local_state())
            update = awareness.encode_awareness_update([awareness.client_id])
            room.sockets[number].send(create_awareness_message(update))
            continue
        kind, key, message = script.messages[i]
        sent[(kind, key)] = time.perf_counter()
        room.sockets[0].send(message)
    room.quiet(10)
    end = time.time()
    after = process.cpu_times()
    rss = process.memory_info().rss / 2**20
    room.close()
    gc = []
    if server.gc_log is not None:
        for line in server.gc_log.read_text().splitlines():
            stamp, pause, generation = line.split()
            if gc_mark <= float(stamp) <= end:
                gc.append((float(pause), int(generation)))
    used = (after.user + after.system) - (cpu.user + cpu.system)
    wall = len(script.messages) / rate  # CPU while presenting, the drain included
    missing = followers * len(script.messages) - len(latencies)
    time.sleep(1.0)  # the server forgets them before the next run
    return Run(latencies, list(firsts.values()), missing, used / wall, rss, gc, load)


def arange(start: float, stop: float, step: float) -> list[float]:
    return [start + step * k for k in range(max(0, math.ceil((stop - start) / step)))]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan  # nothing arrived in time
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def spread(values: list[float], digits: int = 1) -> str:
    mid = statistics.median(values)
    return f"{mid:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def report(followers: int, runs: dict[str, list[Run]], trace_gc: bool) -> None:
    figures: dict[str, list[float]] = {}
    for name, done in runs.items():
        p50s = [percentile(r.latencies, 0.50) for r in done]
        p99s = [percentile(r.latencies, 0.99) for r in done]
        cpus = [r.cpu * 100 for r in done]
        rsss = [r.rss for r in done]
        figures[name] = [statistics.median(x) for x in (p50s, p99s, cpus, rsss)]
        missing = sum(r.missing for r in done)
        print(
            f"{name:<34}{followers:>5}  p50 {spread(p50s, 2):<20} p99 {spread(p99s):<20}"
            f"CPU % {spread(cpus, 0):<14} RSS MiB {spread(rsss, 0):<16}"
            + f" load {spread([r.load for r in done])}"
            + (f" missing {missing}" if missing else "")
        )
        if trace_gc:
            for number, run in enumerate(done):
                long = [p for p, _ in run.gc if p >= 5]
                full = [p for p, g in run.gc if g == 2]
                print(
                    f"{'':<6}run {number + 1}: p99 {percentile(run.latencies, 0.99):.1f} ms "
                    f"(first follower {percentile(run.firsts, 0.99):.1f}) at a load of "
                    f"{run.load:.1f}; {len(run.gc)} collections, "
                    f"{sum(p for p, _ in run.gc):.0f} ms in all, {len(long)} of 5 ms or more, "
                    f"{len(full)} full (max {max(full, default=0):.1f} ms), "
                    f"longest {max((p for p, _ in run.gc), default=0):.1f} ms"
                )
    ratios = [a / b for a, b in zip(figures[OURS], figures[THEIRS], strict=True)]
    print(
        f"{'ours / baseline':<34}{followers:>5}  p50 {ratios[0]:<20.2f} p99 {ratios[1]:<20.2f}"
        f"CPU   {ratios[2]:<14.2f} RSS     {ratios[3]:.2f}"
    )


def stop(servers: list[Server]) -> None:
    for server in servers:
        server.process.terminate()
    for server in servers:
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()


def run(args: argparse.Namespace) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} at the start")
    for workload in args.workloads:
        print(f"\n{workload}: {WORKLOADS[workload]}")
        for followers in args.followers:
            runs: dict[str, list[Run]] = {OURS: [], THEIRS: []}
            with tempfile.TemporaryDirectory() as tmp:  # new servers: memory is theirs alone
                servers = [start_server(name, Path(tmp), args.trace_gc) for name in runs]
                try:
                    for repeat in range(args.repeat):
                        for server in servers if repeat % 2 == 0 else servers[::-1]:
                            runs[server.name].append(
                                measure(server, followers, workload, args.seconds, args.rate)
                            )
                finally:
                    stop(servers)
            report(followers, runs, args.trace_gc)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} at the end")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--seconds", type=float, default=10.0, help="of updates in each run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each room for each N")
    parser.add_argument("--rate", type=float, default=20.0, help="presenter messages a second")
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=["presenting"])
    parser.add_argument("--trace-gc", action="store_true", help="report GC pauses")
    run(parser.parse_args())

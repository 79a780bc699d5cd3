"""How long a pointer move, a scroll and a keystroke in one user's page take to show in another
user's page, in real Chromium and real JupyterLab, beside a floor measured in the same run.

    python benchmarks/sync_latency.py [--events 200]

Two browser contexts (two users, same window size) show one widget in a named room of a hermetic
JupyterLab. For each kind of input, user A's page makes one at a time and the time from it (its
event, stamped in A's page) to its effect in B's page (B's overlay redrawing the pointer, B's page
scrolling (its scroll event, in the floor too), B's field changing; stamped in B's page) is taken;
both clocks are the browser's (``performance.timeOrigin + now()``). The floor is the same two users
on a page that syncs a bare Yjs document (pointer in awareness, scroll in a Y.Map, the field as a
Y.Text) through a plain websocket relay (``benchmarks/_relay.py``) on this machine. Also: bytes on
the wire per pointer update (all of A's presence frames over the moves made) and per keystroke (A's
websocket frames), what B sends meanwhile (nothing, ideally), and, in continuous scrolling at 60 Hz,
how old the follower's position is and how many it shows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Frame, Page, WebSocket, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.page_load import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from benchmarks.room_latency import start_relay  # noqa: E402
from tests.browser.agent_messages import OVERLAY_HOOK  # noqa: E402
from tests.browser.lab import (  # noqa: E402
    kernel_eval,
    proxied_frame,
    run_all_cells,
    running_lab,
    save,
    write_notebook,
)

VIEWPORT = {"width": 1200, "height": 1000}
FLOOR = Path(__file__).resolve().parent / "floor"
DEMO = "demo.cobrowse.invalid"
NOTEBOOK = (
    "from cobrowse_widget import DEMO_URL, CoBrowser\n"
    'cb = CoBrowser(DEMO_URL + "tour.html", room="bench", height=700)\ncb'
)
STAMP = "performance.timeOrigin + performance.now()"
# Recorders installed in a page: what A does (causes) and what B shows (effects), stamped.
CAUSES = f"""() => {{
    window.causes = {{ pointer: [], key: [] }};
    addEventListener('pointermove', () => causes.pointer.push({STAMP}), true);
    addEventListener('keydown', () => causes.key.push({STAMP}), true);
}}"""
EFFECTS = f"""([field, overlay]) => {{
    window.effects = {{ pointer: [], scroll: [], key: [] }};
    addEventListener('scroll', () => effects.scroll.push([{STAMP}, scrollY]), {{ passive: true }});
    document.querySelector(field).addEventListener('input', () => effects.key.push({STAMP}));
    const all = {{ subtree: true, attributes: true, childList: true }};
    if (overlay) new MutationObserver(() => effects.pointer.push({STAMP}))
        .observe(window.cobrowseOverlayRoot, all);
    else setInterval(() => effects.pointer = window.seen.pointer, 5);
    if (!overlay) setInterval(() => effects.key = window.seen.text, 5);
}}"""
SCROLL_BY = f"(dy) => {{ scrollBy(0, dy); return {STAMP}; }}"
CONTINUOUS = f"""(frames) => new Promise((done) => {{
    const samples = [];
    const step = () => {{
        scrollBy(0, 6);
        samples.push([{STAMP}, scrollY]);
        if (samples.length < frames) requestAnimationFrame(step); else done(samples);
    }};
    requestAnimationFrame(step);
}})"""


class Pair:
    """Two users' pages showing the same thing: ``a`` acts, ``b`` follows; their frames are
    found again by ``frames()`` (a page may be re-created)."""

    def __init__(self, a: Page, b: Page, frames: Callable[[], tuple[Frame, Frame]]) -> None:
        self.a, self.b, self.frames = a, b, frames
        self.area = {"x": 0.0, "y": 0.0}  # where A's page is on A's screen
        self.sent: dict[str, list[bytes]] = {"a": [], "b": []}

    def record_frames(self, needle: str) -> None:
        for name, page in (("a", self.a), ("b", self.b)):

            def on_socket(socket: WebSocket, name: str = name) -> None:
                if needle in socket.url:
                    socket.on("framesent", lambda p, name=name: self.sent[name].append(_bytes(p)))

            page.on("websocket", on_socket)


def _bytes(payload: str | bytes) -> bytes:
    return payload.encode() if isinstance(payload, str) else payload


def effect_after(b: Frame, kind: str, count: int) -> float:
    """Wait for B's effect number ``count`` of ``kind``; its stamp."""
    b.wait_for_function("([k, n]) => window.effects[k].length > n", arg=[kind, count])
    first = b.evaluate("([k, n]) => window.effects[k][n]", [kind, count])
    return float(first[0] if isinstance(first, list) else first)


def continuous(pair: Pair, frames: int = 180) -> tuple[float, float]:
    """Scroll A at 60 Hz for ``frames`` frames: the p50 age of the positions B shows (from when
    A was there) and the share of A's positions B showed."""
    a_frame, b_frame = pair.frames()
    a_frame.evaluate("scrollTo(0, 0)")
    pair.a.wait_for_timeout(500)
    before = b_frame.evaluate("window.effects.scroll.length")
    samples = a_frame.evaluate(CONTINUOUS, frames)
    pair.a.wait_for_timeout(500)
    shown = b_frame.evaluate("(n) => window.effects.scroll.slice(n)", before)
    ages, positions = [], set()
    for stamp, y in shown:
        at = min(samples, key=lambda sample: (abs(sample[1] - y), -sample[0]))
        if abs(at[1] - y) <= 3:
            ages.append(stamp - at[0])
            positions.add(at[1])
    return (statistics.median(ages) if ages else float("nan")), len(positions) / frames


def summary(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))]  # noqa: E731
    return statistics.median(ordered), pick(0.95), pick(0.99)


@contextmanager
def widget_pair(browser: Browser, tmp: Path) -> Iterator[Pair]:
    notebook = write_notebook(tmp / "nb" / "bench.ipynb", NOTEBOOK)
    (tmp / "lab").mkdir()
    with running_lab(tmp / "lab", [notebook], []) as lab:
        contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
        contexts[1].add_init_script(OVERLAY_HOOK)
        a, b = (context.new_page() for context in contexts)
        pair = Pair(a, b, lambda: (_demo(a), _demo(b)))
        pair.record_frames("/cobrowse/api/rooms/")
        lab.open(a, "a", notebook.name)
        run_all_cells(a)
        save(a)
        lab.open(b, "b", notebook.name)
        for page in (a, b):
            page.locator(".cobrowse-frame").first.scroll_into_view_if_needed()
            kernel_eval(page, "cb.url")
        area = a.locator(".cobrowse-frame").first.bounding_box()
        assert area is not None
        pair.area = area
        yield pair
        for context in contexts:
            context.close()


def _demo(page: Page) -> Frame:
    return proxied_frame(page, DEMO)


def prepare(pair: Pair, field: str, overlay: bool) -> None:
    """Install the recorders: causes in A's page, effects in B's (``overlay``: B draws the
    pointer in the agent's overlay, else in the floor page's own dot)."""
    a_frame, b_frame = pair.frames()
    a_frame.evaluate(CAUSES)
    b_frame.evaluate(EFFECTS, [field, overlay])


def run_widget(browser: Browser, tmp: Path, events: int) -> dict[str, Any]:
    with widget_pair(browser, tmp) as pair:
        pair.a.mouse.move(pair.area["x"] + 50, pair.area["y"] + 50)  # B's overlay appears
        pair.frames()[1].wait_for_function("!!window.cobrowseOverlayRoot")
        prepare(pair, "#title", overlay=True)
        tour = measure_parts(pair, events, "#title", pointer_scroll=True)
        kernel_eval(pair.a, 'cb.goto(DEMO_URL + "form.html")')
        pair.frames = lambda: (
            proxied_frame(pair.a, "form.html"),
            proxied_frame(pair.b, "form.html"),
        )
        a_frame, _ = pair.frames()
        a_frame.wait_for_selector("#answer")
        prepare(pair, "#answer", overlay=True)
        form = measure_parts(pair, events, "#answer", pointer_scroll=False)
        return {**tour, **form}


def measure_parts(pair: Pair, events: int, field: str, pointer_scroll: bool) -> dict[str, Any]:
    """Pointer and scroll on a long page, or keystrokes in a form's field."""
    out: dict[str, Any] = {}
    a_frame, b_frame = pair.frames()
    box = pair.area
    mark = {name: len(sent) for name, sent in pair.sent.items()}
    if pointer_scroll:
        pointer, scroll = [], []
        for i in range(events):
            count = b_frame.evaluate("window.effects.pointer.length")
            pair.a.mouse.move(box["x"] + 100 + (i % 2) * 300, box["y"] + 150 + (i % 7) * 40)
            cause = a_frame.evaluate("window.causes.pointer.at(-1)")
            pointer.append(effect_after(b_frame, "pointer", count) - cause)
            pair.a.wait_for_timeout(20)
        out["pointer_bytes"] = _presence_bytes(pair, mark, events)
        pair.a.mouse.move(box["x"] - 50, box["y"] - 50)
        for i in range(events):
            count = b_frame.evaluate("window.effects.scroll.length")
            cause = a_frame.evaluate(SCROLL_BY, 40 if (i // 20) % 2 == 0 else -40)
            scroll.append(effect_after(b_frame, "scroll", count) - cause)
            pair.a.wait_for_timeout(70)
        out["pointer"], out["scroll"] = pointer, scroll
        out["continuous"] = continuous(pair)
    else:
        a_frame.click(field)
        mark = {name: len(sent) for name, sent in pair.sent.items()}
        keys = []
        for i in range(events):
            count = b_frame.evaluate("window.effects.key.length")
            pair.a.keyboard.press("Backspace" if i % 30 == 29 else "abcdefghij"[i % 10])
            cause = a_frame.evaluate("window.causes.key.at(-1)")
            keys.append(effect_after(b_frame, "key", count) - cause)
            pair.a.wait_for_timeout(20)
        out["key"] = keys
        out["key_bytes"] = _frame_sizes(pair, mark, first=0)
        out["b_sent_while_typing"] = len(pair.sent["b"]) - mark["b"]
    return out


def _presence_bytes(pair: Pair, mark: dict[str, int], moves: int) -> float:
    """The bytes of A's presence frames (1 awareness, 8 live) since ``mark``, per pointer move."""
    return sum(len(f) for f in pair.sent["a"][mark["a"] :] if f and f[0] in (1, 8)) / moves


def _frame_sizes(pair: Pair, mark: dict[str, int], first: int) -> float:
    """Mean size of A's frames of one type (0 sync, 1 awareness) since ``mark``."""
    sizes = [len(f) for f in pair.sent["a"][mark["a"] :] if f and f[0] == first]
    return statistics.mean(sizes) if sizes else float("nan")


def run_floor(browser: Browser, events: int) -> dict[str, Any]:
    subprocess.run(
        [str(REPO / "js" / "node_modules" / ".bin" / "esbuild"), str(FLOOR / "floor.js"),
         "--bundle", f"--outfile={FLOOR / 'floor.bundle.js'}", "--log-level=warning"],
        check=True,
        env={**os.environ, "NODE_PATH": str(REPO / "js" / "node_modules")},  # yjs, y-protocols
    )  # fmt: skip
    relay, relay_url = start_relay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(FLOOR)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/index.html?relay={relay_url}"
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]
    try:
        a, b = (context.new_page() for context in contexts)
        pair = Pair(a, b, lambda: (a.main_frame, b.main_frame))
        pair.record_frames("/relay")
        for page in (a, b):
            page.goto(url)
            page.wait_for_function("window.ready === true")
        prepare(pair, "#field", overlay=False)
        out = measure_parts(pair, events, "#field", pointer_scroll=True)
        out.update(measure_parts(pair, events, "#field", pointer_scroll=False))
        return out
    finally:
        for context in contexts:
            context.close()
        server.shutdown()
        relay.terminate()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def report(widget: dict[str, Any], floor: dict[str, Any], events: int) -> None:
    print(f"{events} events of each kind; milliseconds from A's input to B's page")
    print(f"{'input':<10}{'':<8}{'p50':>8}{'p95':>8}{'p99':>8}{'p50 x':>8}{'p99 x':>8}")
    for kind in ("pointer", "scroll", "key"):
        base = summary(floor[kind])
        for name, data in (("floor", floor), ("widget", widget)):
            p50, p95, p99 = summary(data[kind])
            print(
                f"{kind:<10}{name:<8}{p50:>8.2f}{p95:>8.2f}{p99:>8.2f}"
                f"{p50 / base[0]:>8.2f}{p99 / base[2]:>8.2f}"
            )
    print(f"bytes per pointer update: widget {widget['pointer_bytes']:.0f}, "
          f"floor {floor['pointer_bytes']:.0f}")  # fmt: skip
    print(f"bytes per keystroke:      widget {widget['key_bytes']:.0f}, "
          f"floor {floor['key_bytes']:.0f}")  # fmt: skip
    print(f"frames B sent while A typed: widget {widget['b_sent_while_typing']}, "
          f"floor {floor['b_sent_while_typing']}")  # fmt: skip
    for name, data in (("floor", floor), ("widget", widget)):
        age, share = data["continuous"]
        print(f"continuous 60 Hz scroll, {name}: follower's position {age:.1f} ms old (p50), "
              f"{share:.0%} of positions shown")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        floor = run_floor(browser, args.events)
        widget = run_widget(browser, Path(tmp), args.events)
        browser.close()
    report(widget, floor, args.events)


if __name__ == "__main__":
    main()

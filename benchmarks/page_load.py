"""Page-load time of real pages in the widget (through the proxy, in JupyterLab) against the same
pages opened directly from the origin, in real Chromium, measured in the same run.

    python benchmarks/page_load.py [--pages 50] [--rounds 2]

Serves 50 pages of the Python documentation (Debian's python3-doc) from a static HTTP/1.1 server
on 127.0.0.2, starts a hermetic JupyterLab with the extension and a notebook showing a widget,
and loads every page, interleaved, in six ways:

- ``tab``: directly from the origin, in a browser tab of its own, with the browser's cache (the
  baseline: the site as a user browses it without the widget);
- ``tab-cold``: the same with the browser's cache off (a first visit);
- ``frame``: directly from the origin, in an iframe on a JupyterLab page (framing alone);
- ``sandboxed``: directly from the same files served with the widget's sandbox (the frame's
  ``sandbox`` attribute and the ``CSP: sandbox`` header) from 127.0.0.3, in an iframe on a
  JupyterLab page: what the security model costs without the proxy;
- ``link``: in the widget, through the proxy, as a link followed inside the shown page;
- ``typed``: in the widget, through the proxy, as an address typed into its address bar (the
  room's entry capability, moved to the site's by a 302).

Each page is loaded in the six ways in a shuffled (seeded) order, with a pause after each load.

Each load is timed by the page itself: its Navigation Timing ``loadEventEnd`` (from the start of
the navigation, redirects included, to the end of the load event), so no driver round trip is
counted. Prints medians, p90s, ratios to the tab, and per-page ratios (target <= 1.3x).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, Frame, Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.lab import (  # noqa: E402
    Lab,
    go_to_address,
    proxied_frame,
    run_all_cells,
    running_lab,
    write_notebook,
)
from tests.sites.static_site import PYTHON_DOCS, serve_directory  # noqa: E402

ORIGIN_HOST = "127.0.0.2"  # the proxy must be allowed to reach it; Jupyter stays on 127.0.0.1
SANDBOXED_HOST = "127.0.0.3"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
FRAME_SANDBOX = "allow-scripts allow-forms allow-popups"  # as js/src/view.js sets it
SANDBOX_HEADERS = {
    "Content-Security-Policy": f"sandbox {FRAME_SANDBOX}",  # as the proxy sends it
    "Access-Control-Allow-Origin": "*",  # the proxy answers CORS for the opaque origin too
    "Timing-Allow-Origin": "*",
}
LAB_VIEWPORT = {"width": 1400, "height": 1100}
WIDGET_HEIGHT = 800
SETTLE_MS = 200
WIDGETS = ("bench-links", "bench-typed")  # their rooms
VARIANTS = {
    "tab": "direct from the origin, a tab of its own (baseline)",
    "tab-cold": "direct from the origin, a tab of its own, browser cache off",
    "frame": "direct from the origin, an iframe on a JupyterLab page",
    "sandboxed": "direct with the widget's sandbox, no proxy, an iframe on a JupyterLab page",
    "link": "in the widget through the proxy, a link followed",
    "typed": "in the widget through the proxy, an address typed",
}
# Once the document that replaced the one whose timeOrigin was `before` has loaded: milliseconds
# from the navigation's start to the end of its load event, and how many style sheets it has (none
# means an error page, not the documentation's).
LOAD_END = """(before) => {
    if (performance.timeOrigin === before) return null;
    const nav = performance.getEntriesByType('navigation')[0];
    return nav && nav.loadEventEnd > 0 ? [nav.loadEventEnd, document.styleSheets.length] : null;
}"""


def sample_pages(count: int) -> list[str]:
    """A fixed, spread-out sample of the documentation's pages (paths relative to its root)."""
    pages = sorted(
        str(path.relative_to(PYTHON_DOCS))
        for path in PYTHON_DOCS.rglob("*.html")
        if not path.name.startswith(("genindex", "search", "py-modindex"))
        and not path.parts[len(PYTHON_DOCS.parts)].startswith("_")
    )
    step = len(pages) / count
    return [pages[int(i * step)] for i in range(count)]


def loaded_ms(page: Page, frame: Callable[[], Frame], before: float) -> float:
    """Wait for the next document in ``frame()`` to load; its own load time."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            value = frame().evaluate(LOAD_END, before)
            if value is not None:
                load_end, style_sheets = value
                if not style_sheets:
                    raise RuntimeError(f"not the page, or without its CSS: {frame().url}")
                return float(load_end)
        except RuntimeError:
            raise
        except Exception:  # between documents: the old one went, the new one is not there yet
            pass
        page.wait_for_timeout(5)  # lets Playwright see frame events (never time.sleep)
    raise RuntimeError(f"page did not load: {frame().url}")


def time_origin(frame: Frame) -> float:
    return float(frame.evaluate("() => performance.timeOrigin"))


def follow(page: Page, frame: Callable[[], Frame], url: str) -> float:
    """Navigate the document in ``frame()`` to ``url`` from inside, as a link click does."""
    before = time_origin(frame())
    frame().evaluate("(url) => { location.href = url; }", url)
    return loaded_ms(page, frame, before)


class Tab:
    """A page opened as the address of a browser tab."""

    def __init__(self, browser: Browser, size: dict[str, int], cache: bool) -> None:
        self.page = browser.new_context(viewport=size).new_page()  # type: ignore[arg-type]
        if not cache:
            session = self.page.context.new_cdp_session(self.page)
            session.send("Network.setCacheDisabled", {"cacheDisabled": True})

    def load(self, url: str) -> float:
        before = time_origin(self.page.main_frame) if self.page.url != "about:blank" else 0.0
        self.page.goto(url, wait_until="load", timeout=60_000)
        return loaded_ms(self.page, lambda: self.page.main_frame, before)


class LabFrame:
    """An iframe on a JupyterLab page, sized like the widget's, whose pages follow links."""

    def __init__(self, browser: Browser, lab: Lab, size: dict[str, int], sandbox: bool) -> None:
        self.page = browser.new_context(viewport=LAB_VIEWPORT).new_page()  # type: ignore[arg-type]
        self.page.goto(f"{lab.url}/lab/workspaces/bench-{id(self)}?token={lab.token}")
        self.page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
        self.page.evaluate(
            """([width, height, sandbox]) => {
                const frame = document.createElement('iframe');
                if (sandbox) frame.setAttribute('sandbox', sandbox);
                frame.id = 'bench-frame';
                Object.assign(frame.style, {position: 'fixed', left: '40px', top: '120px',
                    width: `${width}px`, height: `${height}px`, zIndex: 10000, border: '0'});
                document.body.append(frame);
            }""",
            [size["width"], size["height"], FRAME_SANDBOX if sandbox else ""],
        )

    def frame(self) -> Frame:
        frame = self.page.locator("#bench-frame").element_handle().content_frame()
        assert frame is not None
        return frame

    def load(self, url: str) -> float:
        if self.frame().url != "about:blank":
            return follow(self.page, self.frame, url)
        before = time_origin(self.frame())
        self.page.evaluate("(url) => { document.getElementById('bench-frame').src = url; }", url)
        return loaded_ms(self.page, self.frame, before)


class Widget:
    """One of the notebook's widgets, its page navigated by links or by its address bar."""

    def __init__(self, page: Page, index: int) -> None:
        self.page = page
        self.index = index
        self.element = page.locator(".cobrowse-frame").nth(index)

    def frame(self) -> Frame:
        frame = self.element.element_handle().content_frame()
        assert frame is not None
        return frame

    def size(self) -> dict[str, int]:
        box = self.element.bounding_box()
        assert box is not None
        return {"width": round(box["width"]), "height": round(box["height"])}

    def follow(self, proxied_url: str) -> float:
        return follow(self.page, self.frame, proxied_url)

    def type_address(self, url: str) -> float:
        before = time_origin(self.frame())
        go_to_address(self.page, url, self.index)
        return loaded_ms(self.page, self.frame, before)


def open_widgets(browser: Browser, lab: Lab, notebook: str, first_page: str) -> list[Widget]:
    """Run the notebook (one widget per cell) and wait for every widget to show its page."""
    page = browser.new_context(viewport=LAB_VIEWPORT).new_page()  # type: ignore[arg-type]
    lab.open(page, "bench-widgets", notebook)
    run_all_cells(page)
    page.wait_for_function(
        "(n) => document.querySelectorAll('.cobrowse-frame').length === n", arg=len(WIDGETS)
    )
    widgets = [Widget(page, index) for index in range(len(WIDGETS))]
    proxied_frame(page, first_page)
    for widget in widgets:
        while "/cobrowse/proxy/" not in widget.frame().url:
            page.wait_for_timeout(50)
        loaded_ms(page, widget.frame, 0.0)
    return widgets


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not PYTHON_DOCS.is_dir():
        sys.exit("needs Debian's python3-doc: apt-get install python3-doc")
    pages = sample_pages(args.pages)

    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_directory(PYTHON_DOCS, ORIGIN_HOST) as origin,
        serve_directory(PYTHON_DOCS, SANDBOXED_HOST, SANDBOX_HEADERS) as sandboxed,
    ):
        # Two widgets (two rooms): one follows links, the other is typed to (typing the address
        # the widget already shows would not navigate).
        cells = [
            f'from cobrowse_widget import CoBrowser\nCoBrowser("{origin.url}/{pages[0]}", '
            f'room="{room}", height={WIDGET_HEIGHT})'
            for room in WIDGETS
        ]
        notebook = write_notebook(Path(tmp) / "nb" / "bench.ipynb", *cells)
        with (
            running_lab(Path(tmp), [notebook], [ORIGIN_HOST]) as lab,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            host = origin.url.split("//", 1)[1]
            linked, typed = open_widgets(browser, lab, notebook.name, f"/http/{host}/{pages[0]}")
            site_prefix = linked.frame().url.split(f"http/{host}/", 1)[0]
            size = linked.size()
            tab, cold = Tab(browser, size, cache=True), Tab(browser, size, cache=False)
            frame = LabFrame(browser, lab, size, sandbox=False)
            boxed = LabFrame(browser, lab, size, sandbox=True)
            loaders: dict[str, Callable[[str], float]] = {
                "tab": lambda page: tab.load(f"{origin.url}/{page}"),
                "tab-cold": lambda page: cold.load(f"{origin.url}/{page}"),
                "frame": lambda page: frame.load(f"{origin.url}/{page}"),
                "sandboxed": lambda page: boxed.load(f"{sandboxed.url}/{page}"),
                "link": lambda page: linked.follow(f"{site_prefix}http/{host}/{page}"),
                "typed": lambda page: typed.type_address(f"{origin.url}/{page}"),
            }
            for warm in pages[1:3]:  # first-load costs (connections, JIT) out of the figures
                for load in loaders.values():
                    load(warm)
            times: dict[str, list[float]] = {name: [] for name in VARIANTS}
            shuffle = random.Random(0).shuffle  # a fixed order, and no kind always after another
            for _ in range(args.rounds):
                for page in pages:
                    order = list(VARIANTS)
                    shuffle(order)
                    for name in order:
                        times[name].append(loaders[name](page))
                        # What a load leaves running (the widget's messages to the room and the
                        # kernel) must not slow the next one down.
                        tab.page.wait_for_timeout(SETTLE_MS)
            browser.close()

    report(pages, args.rounds, size, times)


def report(
    pages: list[str], rounds: int, size: dict[str, int], times: dict[str, list[float]]
) -> None:
    megabytes = sum((PYTHON_DOCS / page).stat().st_size for page in pages) / 1e6
    print(
        f"{len(pages)} python3-doc pages ({megabytes:.1f} MB of HTML), {rounds} rounds, Chromium "
        f"{CHROMIUM}, {size['width']}x{size['height']} page area, each load timed by the page "
        "(Navigation Timing loadEventEnd)\n"
    )
    print("| how the page is opened | median ms | p90 ms | x tab (median) | x tab (p90) |")
    print("|---|---|---|---|---|")
    base_median, base_p90 = statistics.median(times["tab"]), p90(times["tab"])
    for name, label in VARIANTS.items():
        median, tail = statistics.median(times[name]), p90(times[name])
        print(
            f"| {label} | {median:.1f} | {tail:.1f} "
            f"| {median / base_median:.2f} | {tail / base_p90:.2f} |"
        )
    print("\nPer-page ratios (median over pages and rounds; target <= 1.3):")
    for name, baseline, meaning in (
        ("link", "tab", "the widget against the site in a tab"),
        ("typed", "tab", "the widget, typed address, against the site in a tab"),
        ("link", "tab-cold", "the widget against a first visit in a tab"),
        ("sandboxed", "frame", "what the sandbox costs a framed page, without the proxy"),
        ("link", "sandboxed", "what the proxy and its agent add to a sandboxed page"),
        ("typed", "sandboxed", "the same, with the typed address's 302"),
    ):
        ratios = [a / b for a, b in zip(times[name], times[baseline], strict=True)]
        print(
            f"- {name} / {baseline}: median {statistics.median(ratios):.2f}, "
            f"p90 {p90(ratios):.2f} ({meaning})"
        )


if __name__ == "__main__":
    main()

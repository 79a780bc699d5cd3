"""Page-load time of real pages through the cobrowse proxy against loading them directly from the
origin, in real Chromium, measured in the same run.

    python benchmarks/page_load.py [--pages 50] [--rounds 2]

Serves 50 pages of the Python documentation (Debian's python3-doc) from a static HTTP/1.1 server
on 127.0.0.2, spawns a hermetic ``jupyter server`` with the extension, opens a proxy session
through its REST API and times ``page.goto(url, wait_until="load")`` for every page directly and
through the proxy (as a typed address, under the room's entry capability, and as a followed link,
under the site's), interleaved, with the browser cache on (browsing from page to page) and off
(every sub-resource fetched again). Prints medians, p90s and the proxied/direct ratio (target
<= 1.3x).
"""

from __future__ import annotations

import argparse
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sites.static_site import PYTHON_DOCS, serve_directory  # noqa: E402

ORIGIN_HOST = "127.0.0.2"  # the proxy must be allowed to reach it; Jupyter stays on 127.0.0.1
CHROMIUM = "/usr/bin/chromium"
VARIANTS = {
    "direct": "direct from the origin (baseline)",
    "proxied": "through the proxy, as an address typed in the widget (entry capability, 302)",
    "linked": "through the proxy, as a link followed inside a page (site capability)",
}
CHROMIUM_ARGS = ["--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def jupyter_server(tmp: Path) -> Iterator[tuple[str, str]]:
    """A ``jupyter server`` with the extension in its own directories: (base URL, token)."""
    token, port = secrets.token_hex(16), free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    (tmp / "root").mkdir()
    command = [
        sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root",
        f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp / 'root'}",
        "--ServerApp.jpserver_extensions=jupyter_ext=True",
        f"--CoBrowse.allowed_private_hosts={ORIGIN_HOST}",
    ]  # fmt: skip
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"jupyter server did not start:\n{(tmp / 'server.log').read_text()}"
                )
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield url, token
    finally:
        process.terminate()
        process.wait(15)
        log.close()


def proxy_prefix(base: str, token: str) -> str:
    """Create a proxy session for a room as a logged-in user would; its capability prefix."""
    request = urllib.request.Request(
        f"{base}/cobrowse/api/session",
        data=json.dumps({"room": "bench"}).encode(),
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["prefix"])


def new_page(browser: Browser, cache: bool) -> Page:
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    if not cache:
        page.context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
    return page


def load_ms(page: Page, url: str) -> float:
    start = time.perf_counter()
    response = page.goto(url, wait_until="load", timeout=60_000)
    elapsed = (time.perf_counter() - start) * 1000
    if response is None or response.status != 200:
        raise RuntimeError(f"{url}: {response and response.status}")
    return elapsed


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
        jupyter_server(Path(tmp)) as (base, token),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        prefix = proxy_prefix(base, token)
        host = origin.url.split("//", 1)[1]
        direct_url = {page: f"{origin.url}/{page}" for page in pages}
        proxied_url = {page: f"{base}{prefix}http/{host}/{page}" for page in pages}
        variants = {"direct": direct_url, "proxied": proxied_url}
        rows = []
        for cache in (True, False):
            tabs = {name: new_page(browser, cache) for name in VARIANTS}
            for warm in pages[:2]:  # first-load costs (connections, JIT) out of the figures
                for name in ("direct", "proxied"):
                    load_ms(tabs[name], variants[name][warm])
            # A link inside a proxied page goes straight to the site's capability (no 302).
            site = tabs["proxied"].url.split(f"http/{host}/", 1)[0]
            load_ms(tabs["linked"], f"{site}http/{host}/{pages[1]}")
            variants["linked"] = {page: f"{site}http/{host}/{page}" for page in pages}
            times: dict[str, list[float]] = {name: [] for name in VARIANTS}
            ratios: dict[str, list[float]] = {name: [] for name in VARIANTS}
            for round_ in range(args.rounds):
                for index, page in enumerate(pages):
                    order = list(VARIANTS)
                    shift = (index + round_) % len(order)  # nobody always goes first
                    pair = {}
                    for name in order[shift:] + order[:shift]:
                        pair[name] = load_ms(tabs[name], variants[name][page])
                        times[name].append(pair[name])
                    for name in VARIANTS:
                        ratios[name].append(pair[name] / pair["direct"])
            for tab in tabs.values():
                tab.context.close()
            rows.append((cache, times, ratios))
        browser.close()

    size = sum((PYTHON_DOCS / page).stat().st_size for page in pages) / 1e6
    print(
        f"{len(pages)} python3-doc pages ({size:.1f} MB of HTML), {args.rounds} rounds, "
        f"Chromium {CHROMIUM}, loads timed with page.goto(wait_until='load')\n"
    )
    print("| browser cache | what | median ms | p90 ms | x direct (median) | x direct (p90) |")
    print("|---|---|---|---|---|---|")
    for cache, times, _ in rows:
        base_median, base_p90 = statistics.median(times["direct"]), p90(times["direct"])
        for name, label in VARIANTS.items():
            median, tail = statistics.median(times[name]), p90(times[name])
            print(
                f"| {'on' if cache else 'off'} | {label} | {median:.1f} | {tail:.1f} "
                f"| {median / base_median:.2f} | {tail / base_p90:.2f} |"
            )
    print()
    for cache, _, ratios in rows:
        for name in ("proxied", "linked"):
            print(
                f"cache {'on ' if cache else 'off'}, {name}: per-page ratio to direct, "
                f"median {statistics.median(ratios[name]):.2f}, p90 {p90(ratios[name]):.2f} "
                "(target <= 1.3)"
            )


if __name__ == "__main__":
    main()

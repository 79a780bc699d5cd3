"""HTML rewrite throughput on real pages nobody here wrote: the Python documentation from Debian's
python3-doc package, next to the standard library's HTMLParser merely tokenising the same pages
in the same run (a parse-only floor any parser-based rewriter pays before writing a byte).

    apt-get install python3-doc && python benchmarks/rewrite.py [--pages 200] [--rounds 5]

Prints MB/s for each and the ratio (byte preservation is checked by tests/test_rewrite.py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from html.parser import HTMLParser
from pathlib import Path

from jupyter_ext._rewrite import rewrite_html

DOCS = Path("/usr/share/doc/python3-doc/html")
PREFIX = "/cobrowse/proxy/TOKEN/"


def sample(count: int) -> list[tuple[str, str]]:
    """A fixed sample: every nth page of the sorted list, decoded as latin-1 like the proxy."""
    files = sorted(DOCS.rglob("*.html"))
    if not files:
        raise SystemExit(f"no pages under {DOCS}: apt-get install python3-doc")
    step = max(1, len(files) // count)
    chosen = files[::step][:count]
    base = "https://docs.python.org/3/"
    return [(base + str(f.relative_to(DOCS)), f.read_bytes().decode("latin-1")) for f in chosen]


def throughput(pages: list[tuple[str, str]], work, rounds: int) -> float:
    """Median MB/s over ``rounds`` passes."""
    size = sum(len(text) for _, text in pages) / 1e6
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for url, text in pages:
            work(url, text)
        times.append(time.perf_counter() - start)
    return size / statistics.median(times)


def tokenise(_: str, text: str) -> None:
    parser = HTMLParser(convert_charrefs=False)
    parser.feed(text)
    parser.close()


def rewrite(url: str, text: str) -> None:
    rewrite_html(text, url, PREFIX, "<script></script>")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pages = sample(args.pages)
    megabytes = sum(len(text) for _, text in pages) / 1e6
    base = throughput(pages, tokenise, args.rounds)
    ours = throughput(pages, rewrite, args.rounds)
    print(f"{len(pages)} python3-doc pages, {megabytes:.1f} MB, median of {args.rounds} rounds")
    print(f"{'stdlib HTMLParser, tokenise only (baseline)':<46}{base:>8.1f} MB/s  1.00x")
    print(f"{'cobrowse rewrite_html':<46}{ours:>8.1f} MB/s  {ours / base:.2f}x")


if __name__ == "__main__":
    main()

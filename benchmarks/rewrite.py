"""HTML rewrite throughput on real pages nobody here wrote: the Python documentation from Debian's
python3-doc package, next to pywb's HTMLRewriter (the web archive's rewriting proxy) on the same
pages in the same run, with the standard library's HTMLParser merely tokenising them as a floor.

    apt-get install python3-doc
    python -m venv --system-site-packages /tmp/bench && /tmp/bench/bin/pip install \\
        -r benchmarks/requirements.txt
    /tmp/bench/bin/python benchmarks/rewrite.py [--pages 200] [--rounds 5]

Workloads run interleaved, round after round, and each reports its best round (the machine may be
shared; the best round is the least disturbed one). It also checks, on every page:

- byte preservation: the output, with each proxied origin (`{prefix}https/host`) put back as some
  spelling of an origin (`https://host`, `//host`, or nothing for a root-relative URL), equals the
  input byte for byte;
- missed URLs: html5lib (a full HTML5 parser) parses input and output; every URL-bearing attribute
  value that is absolute or root-relative http(s) in the input must be proxied in the output, and
  every other value must be unchanged (a "false rewrite" otherwise).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's jupyter_ext

from jupyter_ext.rewrite import URL_ATTRIBUTES, rewrite_html

DOCS = Path("/usr/share/doc/python3-doc/html")
PREFIX = "/cobrowse/proxy/TOKEN/"
INJECT = '<script data-cobrowse-url="u" data-cobrowse-prefix="/cobrowse/proxy/TOKEN/"></script>'
XLINK = "{http://www.w3.org/1999/xlink}href"
# The oracle's URL attributes: the rewriter's own table (url_attributes.json), as html5lib names
# them; kinds whose values are URLs as written (not CSS, documents, refresh or animation values).
ORACLE_KINDS = ("url", "list", "srcset")
ORACLE = {
    XLINK if name == "xlink:href" else name: edit
    for name, edit in URL_ATTRIBUTES.items()
    if edit.kind in ORACLE_KINDS
}
ABSOLUTE = re.compile(r"[\t\n\f\r ]*(?:(?:https?|wss?):|/)", re.I)

Page = tuple[str, str]


def sample(count: int) -> list[Page]:
    """A fixed sample: every nth page of the sorted list, decoded as latin-1 like the proxy."""
    files = sorted(DOCS.rglob("*.html"))
    if not files:
        raise SystemExit(f"no pages under {DOCS}: apt-get install python3-doc")
    step = max(1, len(files) // count)
    chosen = files[::step][:count]
    base = "https://docs.python.org/3/"
    return [(base + str(f.relative_to(DOCS)), f.read_bytes().decode("latin-1")) for f in chosen]


def ours(url: str, text: str) -> str:
    return rewrite_html(text, url, PREFIX, INJECT)


def pywb_rewriter() -> tuple[str, Callable[[str, str], str]] | None:
    """pywb's HTMLRewriter set up like a proxy (same prefix, same head insert) and its version;
    None when pywb is not installed."""
    try:
        import pywb
        from pywb.rewrite.html_rewriter import HTMLRewriter
        from pywb.rewrite.url_rewriter import UrlRewriter
    except ImportError:
        return None

    def rewrite(url: str, text: str) -> str:
        rewriter = HTMLRewriter(UrlRewriter(url, PREFIX), head_insert=INJECT)
        return rewriter.rewrite(text) + rewriter.close()

    return pywb.__version__, rewrite


def tokenise(_: str, text: str) -> None:
    parser = HTMLParser(convert_charrefs=False)
    parser.feed(text)
    parser.close()


def best_rates(pages: list[Page], work: dict[str, Callable], rounds: int) -> dict[str, float]:
    """MB/s of each workload in its best round; the workloads take turns within each round."""
    size = sum(len(text) for _, text in pages) / 1e6
    best = dict.fromkeys(work, float("inf"))
    for _ in range(rounds):
        for name, fn in work.items():
            start = time.perf_counter()
            for url, text in pages:
                fn(url, text)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: size / seconds for name, seconds in best.items()}


_ORIGIN_SPELLING = r"(?:(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#\"'\t\n\f\r <>]*)?"
_PROXIED_ORIGIN = re.compile(re.escape(PREFIX) + r"(?:https?|wss?)/[^/?#\"'\t\n\f\r <>]*")


def preserved(source: str, output: str) -> bool:
    """Whether `output` is `source` with only URL origins replaced by proxied ones (and the
    injected snippet added): put each proxied origin back as any spelling of an origin."""
    output = output.replace(INJECT, "", 1)
    parts = _PROXIED_ORIGIN.split(output)
    pattern = [re.escape(parts[0])]
    for part in parts[1:]:
        # to_proxy writes "/" before a query or fragment that followed the host directly
        tail = re.escape(part[1:]) if part.startswith("/") else re.escape(part)
        pattern += [_ORIGIN_SPELLING, "/?" if part.startswith("/") else "", tail]
    return re.fullmatch("".join(pattern), source, re.S) is not None


def _urls(page: str) -> list[tuple[str, str, str]]:
    """(element, attribute, URL) for every URL-bearing attribute html5lib finds, in order."""
    import html5lib

    found = []
    for el in html5lib.parse(page, namespaceHTMLElements=False).iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.rpartition("}")[2]
        for name, value in el.attrib.items():
            edit = ORACLE.get(name)
            if edit is None or not edit.applies_to(tag):
                continue
            if edit.kind == "url":
                found.append((tag, name, value))
            elif edit.kind == "list":
                found += [(tag, name, url) for url in value.split()]
            else:
                found += [(tag, name, c.split()[0]) for c in value.split(",") if c.strip()]
    return found


def check_page(page: tuple[str, str, str]) -> tuple[bool, int, int, int]:
    """(byte-preserving, URLs seen, missed, false rewrites) for one page and its output."""
    _, source, output = page
    before, after = _urls(source), _urls(output)
    after = [u for u in after if u[2] != INJECT.split('"')[1]]
    if [u[:2] for u in before] != [u[:2] for u in after]:
        return preserved(source, output), len(before), len(before), 0
    missed = false = 0
    for (_, _, old), (_, _, new) in zip(before, after, strict=True):
        if ABSOLUTE.match(old):
            missed += not new.lstrip().startswith(PREFIX)
        else:
            false += new != old
    return preserved(source, output), len(before), missed, false


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pages = sample(args.pages)
    megabytes = sum(len(text) for _, text in pages) / 1e6
    work: dict[str, Callable] = {"ours": ours, "tokenise": tokenise}
    pywb = pywb_rewriter()
    if pywb is not None:
        work["pywb"] = pywb[1]
    rates = best_rates(pages, work, args.rounds)
    with ProcessPoolExecutor() as pool:
        checks = list(pool.map(check_page, [(u, t, ours(u, t)) for u, t in pages], chunksize=8))
    kept = sum(c[0] for c in checks)
    seen, missed, false = (sum(c[i] for c in checks) for i in (1, 2, 3))

    print(f"{len(pages)} python3-doc pages, {megabytes:.1f} MB, best of {args.rounds} rounds")
    print(f"{'':<40}{'MB/s':>8}  {'vs pywb':>8}")
    ref = rates.get("pywb")
    rows = [("cobrowse rewrite_html", rates["ours"])]
    if pywb is not None:
        rows.append((f"pywb {pywb[0]} HTMLRewriter", rates["pywb"]))
    else:
        print("pywb is not installed: pip install -r benchmarks/requirements.txt")
    rows.append(("stdlib HTMLParser, tokenise only", rates["tokenise"]))
    for label, rate in rows:
        ratio = f"{rate / ref:.2f}x" if ref else "n/a"
        print(f"{label:<40}{rate:>8.1f}  {ratio:>8}")
    print(f"byte-preserving pages: {kept}/{len(pages)}")
    print(f"URL attributes (html5lib): {seen}, missed: {missed}, false rewrites: {false}")


if __name__ == "__main__":
    main()

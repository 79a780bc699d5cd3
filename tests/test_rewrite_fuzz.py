"""Fuzz the HTML and CSS rewriters on random input and on mutated real pages (python3-doc).

The byte-preservation invariant, and why it is sound: the rewriter copies the page through and
calls a few pure *edit functions* on the values it decides to change (`rewrite_url` for every URL,
`contain_target`, `neutralise_csp`, `module_rules` for the import map of pages with module
scripts, and `DROPPED` for attributes it deletes). Its scanning
never depends on what an edit function returns: the result is only spliced in place of the value.
So if, with every edit function replaced by the identity (and nothing dropped), the output equals
the input byte for byte, then in a real run every byte outside the values handed to those
functions is the input's own byte: nothing is lost, duplicated, reordered or re-encoded around
them, whatever the markup. Which values count as URLs is checked elsewhere (tests/test_rewrite.py
against html5lib, benchmarks/rewrite.py on real pages). Each example also runs for real: no
exception, html5lib parses the output, and the fast path (one regex skipping tags that need no
change) produces exactly what the slow, token-by-token path does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

import html5lib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_ext.rewrite import _css, _html, _importmap, _refresh, rewrite_css, rewrite_html

P = "/cobrowse/proxy/TOKEN/"
BASE = "https://example.com/dir/page.html"
SNIPPET = '<script src="/cobrowse/proxy/TOKEN/_/agent.js"></script>'
FRAME = '<script src="/cobrowse/proxy/TOKEN/_/agent.js" data-cobrowse-url="a&amp;b"></script>'
DOCS = Path("/usr/share/doc/python3-doc/html")
# A few real pages of different shapes: an index, a long reference page, a tutorial, a table.
REAL_PAGES = ("index.html", "library/os.path.html", "tutorial/introduction.html", "genindex-A.html")

SAMPLES = [
    '<!DOCTYPE html><html><head><base href="https://cdn.example.org/a/">'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'self\'">'
    '<meta http-equiv=refresh content="0; url=/next"><link rel=preload as=image '
    'imagesrcset="/a.png 1x, //c.org/b.png 2x" href="/a.png" integrity="sha384-x">'
    "<style>@import '/x.css'; a{b:image-set(\"/i.png\" 1x); c:url(/d.png)}</style></head>",
    '<body background="/bg.gif"><a href="https://x.org/?a=1&amp;b=2" ping="/p https://t/p" '
    'target=_top>x</a><form action=/post target="_parent"><button formaction="//x.org/go" '
    "formtarget=_top>go</button></form><area href=/map target=_blank>",
    '<svg><use xlink:href="/s.svg#i"/><image href="//img.org/a.png"/><a href="/svg">t</a>'
    '<feImage href="/f.png"/><rect fill="url(/g.svg#p)" style="mask:url(/m.svg)"/></svg>',
    '<object data="/o.swf"></object><embed src="/e.swf"><video poster="/p.jpg">'
    '<track src="/t.vtt"><source src="/v.webm" srcset="/v.png 2x"></video>'
    '<input type=image src="/i.png"><iframe src="https://frame.org/"></iframe>'
    '<iframe srcdoc="<img src=&quot;//i.org/a.png&quot;><a href=/x>&amp;</a>"></iframe>'
    '<blockquote cite="/q"></blockquote><q cite="/q"></q><del cite=/d></del><ins cite=/i></ins>',
    "<script>if (a < b) document.write('<a href=/x>')</script><!-- <a href=/c> -->"
    '<textarea><a href="/t"></textarea><p style=\'background:url("&#47;x.png")\'>'
    '<a href="&#47;&#47;evil.org/">e</a><a HREF=/A data-href="/keep">k</a>',
    '<p class="x"><a class="reference external" href="https://www.python.org/">py</a>'
    "<a href='../rel.html#f' title=\"t\">r</a><img src=https://i.org/a.png alt=x>"
    '<img srcset=" /a.png 1x ,b.png 2x " sizes="50vw"></p>',
]


def real_pages() -> list[str]:
    """The real pages, decoded as latin-1 like the proxy; CI must have them (python3-doc)."""
    if not DOCS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{DOCS} is missing: apt-get install python3-doc")
        pytest.skip(f"{DOCS} is missing: apt-get install python3-doc")
    return [(DOCS / name).read_bytes().decode("latin-1") for name in REAL_PAGES]


_MARKUP = [
    *"<>/!-=\"' \n\t\x00\xe9&#;:()[]?,",
    "<a ",
    "</",
    "href=",
    "src=",
    "srcset=",
    "style=",
    "target=",
    "integrity=",
    "xlink:href=",
    "http-equiv=refresh content=",
    "/",
    "//",
    "https://h.org/",
    "url(",
    "@import ",
    "image-set(",
    "&#47;",
    "&amp;",
    "<!--",
    "-->",
    "<![CDATA[",
    "<script>",
    "</script>",
    "<style>",
    "</style>",
    "<textarea>",
    "<plaintext>",
    "<head>",
    "<base href=",
    "<meta ",
    "<svg>",
    "<iframe ",
    "srcdoc=",
    '<script type="importmap">{"imports": {"a": "/a.js"}}</script>',
    "<script type=module>",
    "\udc80",
    ' href="https://h.org/x"',
    " src=//h.org/x",
    " href='rel/a:b'",
    ' srcset=" /a.png 1x , b.png 2x "',
    " style='a:url( /x )'",
    ' class="c"',
]
_markup = st.lists(st.sampled_from(_MARKUP), max_size=40).map("".join)
_random = st.one_of(st.text(max_size=200), _markup)


@st.composite
def _mutated(draw: st.DrawFn, source: str, window: int) -> str:
    """A window of `source` (keeps html5lib fast) with a few insertions, deletions and swaps."""
    start = draw(st.integers(0, max(0, len(source) - window)))
    text = source[start : start + window]
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "copy"]))
        if op == "insert":
            text = text[:at] + draw(_markup) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            end = min(len(text), at + draw(st.integers(1, 200)))
            text = text[:at] + text[at:end] + text[at:]
    return text


@contextmanager
def _identity_edits() -> Iterator[None]:
    """Patch every edit function of the rewriter to the identity, in each module that calls it
    (see the module docstring)."""

    def identity(value: str, base: str, prefix: str) -> str:
        return value

    with ExitStack() as stack:
        for module in (_html, _css, _refresh, _importmap):
            stack.enter_context(mock.patch.object(module, "rewrite_url", identity))
        stack.enter_context(
            mock.patch.multiple(
                _html,
                contain_target=lambda value: value,
                neutralise_csp=lambda value: value,
                module_rules=lambda page_url, prefix: {},
                DROPPED=frozenset(),
            )
        )
        yield


def check_html(page: str) -> None:
    out = rewrite_html(page, BASE, P, SNIPPET)
    assert SNIPPET in out
    html5lib.parse(out)
    framed = rewrite_html(page, BASE, P, SNIPPET, FRAME)  # srcdoc documents get their own tag
    html5lib.parse(framed)
    with mock.patch.object(_html, "_SKIP", None):
        assert rewrite_html(page, BASE, P, SNIPPET) == out, "fast and slow paths differ"
        assert rewrite_html(page, BASE, P, SNIPPET, FRAME) == framed
    with _identity_edits():
        assert rewrite_html(page, BASE, P) == page
        assert rewrite_html(page, BASE, P, SNIPPET).replace(SNIPPET, "", 1) == page


def check_css(css: str) -> None:
    rewrite_css(css, BASE, P)
    with _identity_edits():
        assert rewrite_css(css, BASE, P) == css


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(_random)
def test_random_html(page: str) -> None:
    check_html(page)


@FUZZ
@given(_random)
def test_random_css(css: str) -> None:
    check_css(css)


@FUZZ
@given(st.data())
def test_mutated_real_pages(data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(real_pages()))
    check_html(data.draw(_mutated(source, 6000)))


@FUZZ
@given(st.data())
def test_mutated_samples(data: st.DataObject) -> None:
    page = data.draw(_mutated("".join(SAMPLES), 2000))
    check_html(page)
    check_css(page)


@pytest.mark.parametrize("name", REAL_PAGES)
def test_real_pages_round_trip(name: str) -> None:
    """Whole real pages, unmutated: the same invariants at full size."""
    check_html(real_pages()[REAL_PAGES.index(name)])

"""Byte-preserving HTML rewriting that sends every URL through the proxy.

Pages arrive as `str` decoded from latin-1 (or another ASCII-compatible charset): only the URL
values rewritten here and the injected snippet change, every other character is copied verbatim,
so malformed markup stays exactly as malformed as it was.

The page loop reads tokens with the tokenizer's patterns (`_tokenizer.py`); the fast path
(`_fast.py`) skips runs of text and tags that cannot need a change in one regex match, so Python
code only sees the few tags that may carry a URL to proxy. Which attributes are edited, and how,
is `_attributes.py`; each kind of value has its module (`_css.py`, `_srcset.py`, `_refresh.py`,
`_importmap.py`, `_attr_values.py` for character references).
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

from . import _fast
from ._attr_values import escape_attr, rewrite_attr, unescape_ascii, unescape_attr
from ._attributes import DROPPED, EDITS, contain_target, neutralise_csp
from ._css import rewrite_css
from ._importmap import importmap_tag, module_rules, module_scopes, rewrite_importmap
from ._refresh import rewrite_refresh
from ._srcset import rewrite_srcset
from ._tokenizer import (
    ATTR,
    BREAKOUT,
    FOREIGN,
    PLAINTEXT,
    RAW_TEXT,
    SPECIAL,
    TAG_END,
    TAG_OPEN,
    raw_text_end,
)
from ._urls import depth, resolve, rewrite_url

_ANIMATED = frozenset({"href", "xlink:href"})  # animated attributes that hold a URL
_HTTP_SCHEMES = ("http:", "https:")
# `<iframe srcdoc>` documents inside srcdoc documents are rewritten this deep, and this many in a
# page; the rest (never seen in real pages) are left to the agent's safety net rather than let a
# hostile page multiply its size with the injected snippet.
_SRCDOC_DEPTH = 4
_SRCDOC_LIMIT = 32
_BOM = re.compile("\ufeff|\xef\xbb\xbf")
_NON_SPACE = re.compile(r"[^\t\n\f\r ]+")
# Start tags the page loop or `_Page.tag` acts on whatever their attributes: the fast path leaves
# them to the slow one.
_SPECIAL_TAGS = RAW_TEXT | FOREIGN | {PLAINTEXT, "head", "html", "base", "meta"}
_SKIP = _fast.skipper(_SPECIAL_TAGS)


class _Page:
    """The state of one HTML rewrite: the effective base URL changes at the first `<base href>`.
    A `srcdoc` document is rewritten as a page of its own, one level deeper than its `parent`,
    sharing the top page's allowance of srcdoc documents."""

    def __init__(
        self, base_url: str, prefix: str, srcdoc_inject: str = "", parent: _Page | None = None
    ) -> None:
        self.base = base_url
        self.ups = depth(base_url)  # leading `../` a relative URL may have on the fast path
        self.base_seen = False
        self.prefix = prefix
        self.srcdoc_inject = srcdoc_inject
        self.page_url = base_url
        self.modules = False  # a module script was seen
        self.module_roots: set[str] = set()  # proxied roots of modules from other sites
        self.importmap_seen = False
        self.depth: int = parent.depth + 1 if parent else 0
        self.srcdocs_left: list[int] = parent.srcdocs_left if parent else [_SRCDOC_LIMIT]

    @functools.cached_property
    def rules(self) -> dict[str, str]:
        """The page's module rules (worked out only for pages with module scripts)."""
        return module_rules(self.page_url, self.prefix)

    def url(self, value: str) -> str:
        return rewrite_url(value, self.base, self.prefix)

    def css(self, value: str) -> str:
        return rewrite_css(value, self.base, self.prefix)

    def script(self, attrs: list[re.Match[str]], text: str) -> str:
        """A script element's text: an import map's addresses are proxied, and the first one
        takes the page's module rules (a browser may allow only one map)."""
        kind = unescape_attr(_first_value(attrs, "type") or "").strip("\t\n\f\r ").lower()
        if kind == "module":
            self.modules = True
            src = _first_value(attrs, "src", None)
            if src is not None:
                self._note_module(rewrite_url(unescape_attr(src), self.base, self.prefix))
        if kind != "importmap":
            return text
        additions = (lambda: {}) if self.importmap_seen else self._map_content
        new = rewrite_importmap(text, self.base, self.prefix, additions, self._note_module)
        if new is None:  # no map at all: the page may still get its own
            return text
        self.importmap_seen = self.modules = True
        return new

    def module_map(self) -> str:
        """The page's import map, for a page with module scripts and no map of its own."""
        wanted = self.modules and not self.importmap_seen
        content = self._map_content() if wanted else {}
        return importmap_tag(content) if content else ""

    def _map_content(self) -> dict[str, dict[str, Any]]:
        if not self.rules:
            return {}
        scopes = module_scopes(self.module_roots, self.prefix)
        return {"imports": self.rules, "scopes": scopes} if scopes else {"imports": self.rules}

    def _note_module(self, proxied: str) -> None:
        """Remember the proxied root of a module from another site (an absolute one)."""
        if not proxied.startswith(self.prefix):
            return
        scheme, _, rest = proxied[len(self.prefix) :].partition("/")
        host = rest.partition("/")[0]
        root = f"{self.prefix}{scheme}/{host}/"
        if host and scheme in ("http", "https") and root != self.rules.get("/"):
            self.module_roots.add(root)

    def srcset(self, value: str) -> str:
        return rewrite_srcset(value, self.url)

    def foreign_css(self, text: str) -> str:
        """The CSS of a <style> in SVG or MathML, whose character references the parser decodes:
        rewritten decoded, and written back escaped if anything changed."""
        if "&" not in text:
            return self.css(text)
        decoded = html.unescape(text)
        new = self.css(decoded)
        return text if new == decoded else new.replace("&", "&amp;").replace("<", "&lt;")

    def url_list(self, value: str) -> str:
        """A SMIL ``values`` list: URLs separated by semicolons."""
        return ";".join(self.url(part) for part in value.split(";"))

    def ping(self, value: str) -> str:
        return _NON_SPACE.sub(self._url_match, value)

    def refresh(self, value: str) -> str:
        return rewrite_refresh(value, self.base, self.prefix)

    def srcdoc(self, value: str) -> str:
        """An inline frame's document: its URLs resolve against this page's base URL."""
        page = _Page(self.base, self.prefix, self.srcdoc_inject, parent=self)
        return _rewrite_page(page, value, self.srcdoc_inject)

    def tag(self, html_text: str, start: int, name: str, attrs: list[re.Match[str]]) -> str:
        """Return the rewritten text of the start tag spanning html_text[start:end of attrs]."""
        out: list[str] = []
        pos = start
        srcdoc_seen = False  # HTML keeps an attribute's first value, ignores later duplicates
        for a in attrs:
            attr = a["name"].lower()
            edit = EDITS.get(attr)
            if edit is None or not edit.applies_to(name):
                continue
            kind = edit.kind
            value, quote = _attr_value(a)
            new: str | None
            if attr in DROPPED:
                new = None
            elif value is None:
                continue
            elif kind == "url":
                new = rewrite_attr(value, quote, self.url)
            elif kind == "css":
                new = rewrite_attr(value, quote, self.css)
            elif kind == "srcset":
                new = rewrite_attr(value, quote, self.srcset)
            elif kind == "list":
                new = rewrite_attr(value, quote, self.ping)
            elif kind == "html" and not srcdoc_seen:
                srcdoc_seen = True
                new = self._srcdoc_attr(value, quote)
            elif kind == "target":
                new = contain_target(value)
            elif kind == "refresh" and _keyword(attrs, "http-equiv") == "refresh":
                new = rewrite_attr(value, quote, self.refresh)
            elif kind == "csp" and _keyword(attrs, "http-equiv") == "content-security-policy":
                new = neutralise_csp(value)
            elif kind.startswith("animation") and _keyword(attrs, "attributename") in _ANIMATED:
                new = rewrite_attr(value, quote, self.url if kind == "animation" else self.url_list)
            else:
                continue
            if new is None:
                out.append(html_text[pos : a.start()])
                pos = a.end()
            elif new != value:
                group = "dq" if quote == '"' else "sq" if quote == "'" else "uq"
                out += [html_text[pos : a.start(group)], new]
                pos = a.end(group)
        if name == "base" and not self.base_seen:
            href = _first_value(attrs, "href", None)
            if href is not None:
                self._set_base(unescape_attr(href))
        end = attrs[-1].end() if attrs else pos
        return "".join(out) + html_text[pos:end] if out else html_text[start:end]

    def _srcdoc_attr(self, value: str, quote: str) -> str:
        """A srcdoc value with its document rewritten and written out again, escaped for its
        quotes (unchanged if nothing in it changes). Past the depth or the page's allowance it
        is left as it is."""
        if self.depth >= _SRCDOC_DEPTH or self.srcdocs_left[0] <= 0:
            return value
        self.srcdocs_left[0] -= 1
        decoded = unescape_ascii(value)
        new = self.srcdoc(decoded)
        return value if new == decoded else escape_attr(new, quote)

    def _url_match(self, m: re.Match[str]) -> str:
        return self.url(m.group())

    def _set_base(self, href: str) -> None:
        self.base_seen = True
        base = resolve(href, self.base)
        if base is not None and base.startswith(_HTTP_SCHEMES):
            self.base = base
            self.ups = depth(base)


def _first_value(attrs: list[re.Match[str]], name: str, default: str | None = "") -> str | None:
    """The value of the first attribute called `name` (later duplicates are ignored in HTML)."""
    for a in attrs:
        if a["name"].lower() == name:
            return _attr_value(a)[0] or ""
    return default


def _keyword(attrs: list[re.Match[str]], name: str) -> str:
    """The first `name` attribute's value, decoded, trimmed and lower-cased (`http-equiv`...)."""
    return unescape_attr(_first_value(attrs, name) or "").strip().lower()


def _attr_value(a: re.Match[str]) -> tuple[str | None, str]:
    """Return (value as written, quote character) of a scanned attribute; value None if absent."""
    for group, quote in (("dq", '"'), ("sq", "'"), ("uq", "")):
        if a[group] is not None:
            return a[group], quote
    return None, ""


def rewrite_html(
    html_text: str, base_url: str, prefix: str, head_inject: str = "", srcdoc_inject: str = ""
) -> str:
    """Proxy every URL in an HTML page and inject `head_inject` once, first thing in `<head>`
    (`srcdoc_inject` in the same place of each `<iframe srcdoc>` document).

    The snippet goes right after `<head ...>`, else after `<html ...>`, else after any leading
    byte order mark, doctype, comments and whitespace.
    """
    return _rewrite_page(_Page(base_url, prefix, srcdoc_inject), html_text, head_inject)


def _rewrite_page(page: _Page, html_text: str, head_inject: str = "") -> str:
    bom = _BOM.match(html_text)
    out = [bom.group()] if bom else []
    pos = len(out[0]) if out else 0
    head_at: int | None = None
    html_at: int | None = None
    leading_at = len(out)  # the end of the leading doctype, comments and whitespace
    leading = True
    foreign = 0  # open <svg> and <math> elements
    while True:
        if _SKIP is not None and not leading and not foreign:  # in SVG, see every tag
            run = _SKIP(min(page.ups, _fast.UPS)).match(html_text, pos)
            if run is not None and run.end() > pos:  # always matches, possibly empty
                out.append(html_text[pos : run.end()])
                pos = run.end()
        lt = html_text.find("<", pos)
        if lt < 0:
            break
        text = html_text[pos:lt]
        out.append(text)
        leading = leading and not text.strip("\t\n\f\r ")
        if leading:
            leading_at = len(out)
        if special := SPECIAL.match(html_text, lt):
            out.append(special.group())
            pos = special.end()
            if leading and not special["eof"]:
                leading_at = len(out)
            continue
        leading = False
        tag = TAG_OPEN.match(html_text, lt)
        if not tag:
            stop = html_text.find(">", lt) + 1 if html_text.startswith("</", lt) else lt + 1
            pos = stop if stop > 0 else len(html_text)
            out.append(html_text[lt:pos])
            continue
        pos = tag.end()
        attrs: list[re.Match[str]] = []
        while not (close := TAG_END.match(html_text, pos)):
            attr = ATTR.match(html_text, pos)
            assert attr is not None
            attrs.append(attr)
            pos = attr.end()
        name = tag[2].lower()
        if tag[1]:
            out.append(html_text[lt : close.end()])
            pos = close.end()
            if name in FOREIGN and foreign:
                foreign -= 1
            continue
        out += [
            tag.group(),
            page.tag(html_text, tag.end(), name, attrs),
            html_text[pos : close.end()],
        ]
        pos = close.end()
        complete = close.group().endswith(">")
        if name in FOREIGN and not close.group().rstrip(">").endswith("/"):
            foreign += 1
        elif name in BREAKOUT:  # an HTML element ends foreign content
            foreign = 0
        if name == "head" and head_at is None and complete:
            head_at = len(out)
        elif name == "html" and html_at is None and complete:
            html_at = len(out)
        elif name == PLAINTEXT:
            out.append(html_text[pos:])
            pos = len(html_text)
        elif name in RAW_TEXT and not foreign:
            closing = raw_text_end(name).search(html_text, pos)
            text_end = closing.start() if closing else len(html_text)
            text = html_text[pos:text_end]
            if name == "style":
                text = page.css(text)
            elif name == "script":
                text = page.script(attrs, text)
            out.append(text)
            pos = text_end
        elif name == "style":  # in SVG or MathML its content is markup; its text is the CSS
            text_end = html_text.find("<", pos)
            text_end = text_end if text_end >= 0 else len(html_text)
            out.append(page.foreign_css(html_text[pos:text_end]))
            pos = text_end
    out.append(html_text[pos:])
    inject = head_inject + page.module_map()
    if inject:
        at = head_at if head_at is not None else html_at if html_at is not None else leading_at
        out.insert(at, inject)
    return "".join(out)

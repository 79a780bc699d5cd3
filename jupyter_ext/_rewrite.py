"""Byte-preserving HTML and CSS rewriting that sends every URL through the proxy.

Pages arrive as `str` decoded from latin-1 (or another ASCII-compatible charset): only the URL
values rewritten here and the injected snippet change, every other character is copied verbatim,
so malformed markup stays exactly as malformed as it was.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.entities import html5 as _ENTITIES
from urllib.parse import urljoin

from ._urls import rewrite_url

_URL_ATTRS = frozenset(
    {"href", "src", "action", "formaction", "poster", "background", "cite", "longdesc"}
) | {"xlink:href"}
_SRCSET_ATTRS = frozenset({"srcset", "imagesrcset"})
_RAW_TEXT = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"}
)
_HTTP_SCHEMES = ("http:", "https:")

_WS = "[\t\n\f\r ]"
_SPECIAL = re.compile(
    r"<!--(?:>|->|.*?--!?>)|<!\[CDATA\[.*?\]\]>|<(?:!(?!--|\[CDATA\[)|\?)[^>]*>|(?P<eof><[!?].*)",
    re.S,
)
_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r />]*)")
_ATTR = re.compile(
    rf"[\t\n\f\r /]*(?P<name>[^\t\n\f\r />][^\t\n\f\r />=]*)"
    rf"(?:{_WS}*={_WS}*(?:\"(?P<dq>[^\"]*)\"?|'(?P<sq>[^']*)'?|(?P<uq>[^\t\n\f\r >]*)))?"
)
_TAG_END = re.compile(r"[\t\n\f\r /]*(?:>|\Z)")
_BOM = re.compile("\ufeff|\xef\xbb\xbf")
_REF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")
_ESCAPES = {"&": "&amp;", '"': "&quot;", "'": "&#39;", "<": "&lt;", ">": "&gt;"}

_NON_SPACE = re.compile(r"[^\t\n\f\r ]+")
_SRCSET_URL = re.compile(r"([\t\n\f\r ,]*)([^\t\n\f\r ]*)")
_SRCSET_DESCRIPTORS = re.compile(r"(?:\([^)]*\)?|[^,(])*")
_REFRESH = re.compile(
    rf"({_WS}*[0-9.]*{_WS}*(?:[;,]{_WS}*)?(?:url{_WS}*={_WS}*)?)([\"']?)(.*)", re.I | re.S
)

_CSS_NEXT = re.compile(
    r"/\*|[\"']|@import|(?<![\w-])url\(|(?<![\w-])(?:-webkit-)?image-set\(|[()]", re.I
)
_CSS_STRING = {
    '"': re.compile(r'"((?:[^"\\\n]|\\[\s\S])*)("?)'),
    "'": re.compile(r"'((?:[^'\\\n]|\\[\s\S])*)('?)"),
}
_CSS_URL_QUOTED = re.compile(
    rf"({_WS}*)(?:\"((?:[^\"\\\n]|\\[\s\S])*)\"|'((?:[^'\\\n]|\\[\s\S])*)')({_WS}*)\)"
)
_CSS_URL_BARE = re.compile(r"([^\"'()]*)\)")
_CSS_IMPORT_WS = re.compile(rf"{_WS}*")


def rewrite_css(css: str, base_url: str, prefix: str) -> str:
    """Proxy `url()`, `@import "..."` and `image-set("...")` URLs; comments are left alone."""
    out: list[str] = []
    parens: list[bool] = []  # one entry per open parenthesis: True for image-set(
    pos = 0
    while m := _CSS_NEXT.search(css, pos):
        out.append(css[pos : m.start()])
        token, pos = m.group(), m.end()
        lower = token.lower()
        rewrite_strings = bool(parens) and parens[-1]
        if token == "/*":
            end = css.find("*/", pos)
            pos = len(css) if end < 0 else end + 2
            out.append(css[m.start() : pos])
        elif token in _CSS_STRING:
            s = _CSS_STRING[token].match(css, m.start())
            assert s is not None
            body = rewrite_url(s[1], base_url, prefix) if rewrite_strings else s[1]
            out.append(token + body + s[2])
            pos = s.end()
        elif lower == "@import":
            ws = _CSS_IMPORT_WS.match(css, pos)
            assert ws is not None
            quote = css[ws.end() : ws.end() + 1]
            s = _CSS_STRING[quote].match(css, ws.end()) if quote in _CSS_STRING else None
            if s:
                url = rewrite_url(s[1], base_url, prefix)
                out.append(f"{token}{ws.group()}{quote}{url}{s[2]}")
                pos = s.end()
            else:
                out.append(token)
        elif lower == "url(":
            if q := _CSS_URL_QUOTED.match(css, pos):
                quote = css[q.end(1)]
                url = rewrite_url(q[2] if quote == '"' else q[3], base_url, prefix)
                out.append(f"{token}{q[1]}{quote}{url}{quote}{q[4]})")
                pos = q.end()
            elif b := _CSS_URL_BARE.match(css, pos):
                out.append(f"{token}{rewrite_url(b[1], base_url, prefix)})")
                pos = b.end()
            else:
                parens.append(False)
                out.append(token)
        elif token == ")":
            if parens:
                parens.pop()
            out.append(token)
        else:
            parens.append(lower != "(")
            out.append(token)
    out.append(css[pos:])
    return "".join(out)


def rewrite_refresh(content: str, base_url: str, prefix: str) -> str:
    """Proxy the URL in a `Refresh` header or `<meta http-equiv=refresh>` content value."""
    m = _REFRESH.fullmatch(content)
    if m is None:
        return content
    head, quote, rest = m.groups()
    if quote:
        url, sep, tail = rest.partition(quote)
        tail = sep + tail
    else:
        url, tail = rest, ""
    return head + quote + rewrite_url(url, base_url, prefix) + tail


def _rewrite_srcset(value: str, rewrite: Callable[[str], str]) -> str:
    """Rewrite each candidate URL of a srcset list, keeping separators and descriptors."""
    out: list[str] = []
    pos = 0
    while pos < len(value):
        m = _SRCSET_URL.match(value, pos)
        assert m is not None
        url = m[2].rstrip(",")
        out += [m[1], rewrite(url), m[2][len(url) :]]
        pos = m.end()
        if url == m[2]:
            d = _SRCSET_DESCRIPTORS.match(value, pos)
            assert d is not None
            out.append(d.group())
            pos = d.end()
    return "".join(out)


def _unescape_attr(value: str) -> str:
    """Decode character references the way the HTML tokenizer does inside attribute values."""

    def decode(m: re.Match[str]) -> str:
        ref = m.group()
        legacy = ref[1] != "#" and not ref.endswith(";")
        if legacy and (ref[1:] not in _ENTITIES or value.startswith("=", m.end())):
            return ref
        return html.unescape(ref)

    return _REF.sub(decode, value) if "&" in value else value


def _escape_attr(value: str, quote: str) -> str:
    """Escape a decoded attribute value for the quoting style it is written in."""
    special = "&" + (quote or "\"'<>=`\t\n\f\r ")
    return "".join((_ESCAPES.get(c) or f"&#{ord(c)};") if c in special else c for c in value)


def _rewrite_attr(raw: str, quote: str, rewrite: Callable[[str], str]) -> str:
    """Apply `rewrite` to an attribute value as written, falling back to decoding references.

    URL tails such as `?a=1&amp;b=2` are carried over verbatim; only when a reference changes
    what the value means (e.g. `&#47;&#47;host`) is the decoded value rewritten and re-escaped.
    """
    new = rewrite(raw)
    if "&" not in raw:
        return new
    decoded = _unescape_attr(raw)
    new_decoded = rewrite(decoded)
    if new_decoded == decoded:
        return raw
    if _unescape_attr(new) == new_decoded:
        return new
    return _escape_attr(new_decoded, quote)


class _Page:
    """The state of one HTML rewrite: the effective base URL changes at the first `<base href>`."""

    def __init__(self, base_url: str, prefix: str) -> None:
        self.base = base_url
        self.base_seen = False
        self.prefix = prefix

    def url(self, value: str) -> str:
        return rewrite_url(value, self.base, self.prefix)

    def css(self, value: str) -> str:
        return rewrite_css(value, self.base, self.prefix)

    def tag(self, html_text: str, start: int, name: str, attrs: list[re.Match[str]]) -> str:
        """Return the rewritten text of the start tag spanning html_text[start:end of attrs]."""
        values = {}
        for a in reversed(attrs):
            values[a["name"].lower()] = _attr_value(a)[0]
        equiv = _unescape_attr(values.get("http-equiv") or "").strip().lower()
        out: list[str] = []
        pos = start
        for a in attrs:
            attr = a["name"].lower()
            value, quote = _attr_value(a)
            if attr == "integrity":
                new = None
            elif value is None:
                continue
            elif attr in _URL_ATTRS or (attr == "data" and name == "object"):
                new = _rewrite_attr(value, quote, self.url)
            elif attr in _SRCSET_ATTRS:
                new = _rewrite_attr(value, quote, lambda v: _rewrite_srcset(v, self.url))
            elif attr == "ping":
                new = _rewrite_attr(value, quote, lambda v: _NON_SPACE.sub(self._url_match, v))
            elif attr == "style":
                new = _rewrite_attr(value, quote, self.css)
            elif name == "meta" and attr == "content" and equiv == "refresh":
                new = _rewrite_attr(value, quote, self.refresh)
            elif name == "meta" and attr == "http-equiv" and equiv == "content-security-policy":
                new = "x-cobrowse-disabled-" + value
            else:
                continue
            if new is None:
                out.append(html_text[pos : a.start()])
                pos = a.end()
            elif new != value:
                group = "dq" if quote == '"' else "sq" if quote == "'" else "uq"
                out += [html_text[pos : a.start(group)], new]
                pos = a.end(group)
        if name == "base" and not self.base_seen and values.get("href") is not None:
            self._set_base(_unescape_attr(values["href"] or ""))
        return "".join(out) + html_text[pos : attrs[-1].end() if attrs else pos]

    def refresh(self, value: str) -> str:
        return rewrite_refresh(value, self.base, self.prefix)

    def _url_match(self, m: re.Match[str]) -> str:
        return self.url(m.group())

    def _set_base(self, href: str) -> None:
        self.base_seen = True
        try:
            base = urljoin(self.base, href.strip())
        except ValueError:
            return
        if base.lower().startswith(_HTTP_SCHEMES):
            self.base = base


def _attr_value(a: re.Match[str]) -> tuple[str | None, str]:
    """Return (value as written, quote character) of a scanned attribute; value None if absent."""
    for group, quote in (("dq", '"'), ("sq", "'"), ("uq", "")):
        if a[group] is not None:
            return a[group], quote
    return None, ""


_raw_text_ends: dict[str, re.Pattern[str]] = {}


def _raw_text_end(name: str) -> re.Pattern[str]:
    pattern = _raw_text_ends.get(name)
    if pattern is None:
        pattern = _raw_text_ends[name] = re.compile(rf"</{name}(?=[\t\n\f\r />])", re.I)
    return pattern


def rewrite_html(html_text: str, base_url: str, prefix: str, head_inject: str = "") -> str:
    """Proxy every URL in an HTML page and inject `head_inject` once, first thing in `<head>`.

    The snippet goes right after `<head ...>`, else after `<html ...>`, else after any leading
    byte order mark, doctype, comments and whitespace.
    """
    page = _Page(base_url, prefix)
    bom = _BOM.match(html_text)
    out = [bom.group()] if bom else []
    pos = len(out[0]) if out else 0
    head_at: int | None = None
    html_at: int | None = None
    leading_at = len(out)  # the end of the leading doctype, comments and whitespace
    leading = True
    while (lt := html_text.find("<", pos)) >= 0:
        text = html_text[pos:lt]
        out.append(text)
        leading = leading and not text.strip("\t\n\f\r ")
        if leading:
            leading_at = len(out)
        if special := _SPECIAL.match(html_text, lt):
            out.append(special.group())
            pos = special.end()
            if leading and not special["eof"]:
                leading_at = len(out)
            continue
        leading = False
        tag = _TAG_OPEN.match(html_text, lt)
        if not tag:
            stop = html_text.find(">", lt) + 1 if html_text.startswith("</", lt) else lt + 1
            pos = stop if stop > 0 else len(html_text)
            out.append(html_text[lt:pos])
            continue
        pos = tag.end()
        attrs: list[re.Match[str]] = []
        while not (close := _TAG_END.match(html_text, pos)):
            attr = _ATTR.match(html_text, pos)
            assert attr is not None
            attrs.append(attr)
            pos = attr.end()
        if tag[1]:
            out.append(html_text[lt : close.end()])
            pos = close.end()
            continue
        name = tag[2].lower()
        out += [
            tag.group(),
            page.tag(html_text, tag.end(), name, attrs),
            html_text[pos : close.end()],
        ]
        pos = close.end()
        complete = close.group().endswith(">")
        if name == "head" and head_at is None and complete:
            head_at = len(out)
        elif name == "html" and html_at is None and complete:
            html_at = len(out)
        elif name == "plaintext":
            out.append(html_text[pos:])
            pos = len(html_text)
        elif name in _RAW_TEXT:
            closing = _raw_text_end(name).search(html_text, pos)
            text_end = closing.start() if closing else len(html_text)
            text = html_text[pos:text_end]
            out.append(page.css(text) if name == "style" else text)
            pos = text_end
    out.append(html_text[pos:])
    if head_inject:
        at = head_at if head_at is not None else html_at if html_at is not None else leading_at
        out.insert(at, head_inject)
    return "".join(out)

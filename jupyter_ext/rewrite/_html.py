"""Byte-preserving HTML and CSS rewriting that sends every URL through the proxy.

Pages arrive as `str` decoded from latin-1 (or another ASCII-compatible charset): only the URL
values rewritten here and the injected snippet change, every other character is copied verbatim,
so malformed markup stays exactly as malformed as it was.

The scanner tokenises like the HTML5 tokenizer where it matters (tags, attributes, quotes,
comments, raw-text elements). A fast path (Python 3.11+, which has atomic groups) lets one regex
match skip runs of text and tags that cannot need a change, so Python code only sees the few tags
that may carry a URL to proxy; it tokenises exactly like the slow path.
"""

from __future__ import annotations

import functools
import html
import json
import re
import sys
from collections.abc import Callable, Iterable
from html.entities import html5 as _ENTITIES
from typing import Any

from ._urls import depth, resolve, rewrite_url

# Attributes whose whole value is one URL, on any HTML or SVG element (SVG's `href` and
# `xlink:href` cover <use>, <image>, <a>, <feImage>, <script>, <textPath>, gradients...).
_URL_ATTRS = (
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "background",
    "cite",
    "longdesc",
    "xlink:href",
    "manifest",
    "codebase",
    "profile",
    "icon",
    "lowsrc",
    "dynsrc",
)
# SVG presentation attributes whose value is CSS that may hold `url(...)`.
_CSS_ATTRS = (
    "style",
    "fill",
    "stroke",
    "filter",
    "clip-path",
    "mask",
    "marker-start",
    "marker-mid",
    "marker-end",
    "cursor",
)
_SRCSET_ATTRS = ("srcset", "imagesrcset")
_DROPPED_ATTRS = frozenset({"integrity"})  # proxied bodies may differ from what was hashed
_ATTR_KINDS = {
    **dict.fromkeys(_URL_ATTRS, "url"),
    **dict.fromkeys(_CSS_ATTRS, "css"),
    **dict.fromkeys(_SRCSET_ATTRS, "srcset"),
    "ping": "ping",
    "data": "data",
    "target": "target",
    "formtarget": "formtarget",
    "content": "content",
    "http-equiv": "http-equiv",
    "integrity": "integrity",
    "srcdoc": "srcdoc",
    # SMIL: <set attributeName="href" to="..."> and <animate ... values="a;b"> load URLs too.
    **dict.fromkeys(("to", "from", "by"), "smil"),
    "values": "smil-values",
}
_ANIMATIONS = frozenset({"set", "animate"})
# Elements whose content is foreign (SVG, MathML): a <style> in them is not raw text, so the
# parser decodes character references in its CSS.
_FOREIGN = frozenset({"svg", "math"})
# HTML start tags that close every open SVG and MathML element (HTML, "in foreign content").
_BREAKOUT = frozenset({
    "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
    "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing",
    "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike",
    "sub", "sup", "table", "tt", "u", "ul", "var",
})  # fmt: skip
_ANIMATED_URLS = frozenset({"href", "xlink:href"})
# Elements whose `target` / `formtarget` navigates; `_top` and `_parent` would leave the iframe.
_TARGET_TAGS = frozenset({"a", "area", "form", "base"})
_FORMTARGET_TAGS = frozenset({"button", "input"})
_ESCAPING_TARGETS = frozenset({"_top", "_parent"})
_RAW_TEXT = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"}
)
_HTTP_SCHEMES = ("http:", "https:")
# `<iframe srcdoc>` documents inside srcdoc documents are rewritten this deep, and this many in a
# page; the rest (never seen in real pages) are left to the agent's safety net rather than let a
# hostile page multiply its size with the injected snippet.
_SRCDOC_DEPTH = 4
_SRCDOC_LIMIT = 32

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
    r"/\*|[\"']|@import|@namespace|(?<![\w-])url\(|(?<![\w-])(?:-webkit-)?image-set\(|[()]",
    re.I,
)
# `@namespace svg url(http://www.w3.org/2000/svg);` names a namespace, it loads nothing.
_CSS_NAMESPACE = re.compile(
    r"""(?:[^;"'/]+|/(?!\*)|/\*(?:[^*]|\*(?!/))*(?:\*/)?|"[^"]*"|'[^']*')*"""
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
_CSS_ESCAPE = re.compile(
    r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[\t\n\f\r ])?|(\r\n|[\n\f\r])|(.)|$)", re.S
)
# Written escaped in a URL put back into CSS: syntax, and what the page's encoding may not hold
# (characters from undecodable bytes, kept by `surrogateescape`, stay as they are).
_CSS_NEEDS_ESCAPE = re.compile("[\\\\\"'()\x00-\x20\x7f\u0100-\udc7f\udd00-\U0010ffff]")


def _css_unescape(value: str) -> str:
    """A CSS string's or URL's value with its escapes decoded (CSS Syntax, "consume an escaped
    code point"; an escaped newline in a string continues the line)."""

    def decode(m: re.Match[str]) -> str:
        if m[1]:
            code = int(m[1], 16)
            invalid = code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF
            return "\ufffd" if invalid else chr(code)
        return "" if m[2] or m[3] is None else m[3]

    return _CSS_ESCAPE.sub(decode, value)


def _css_url(value: str, base_url: str, prefix: str) -> str:
    """Proxy a URL written in CSS. One with escapes is read as the browser reads it (`\\2f`
    is `/`, `\\\\` is `\\`) and, if that needs a change, written out again escaped."""
    if "\\" not in value:
        return rewrite_url(value, base_url, prefix)
    decoded = _css_unescape(value)
    new = rewrite_url(decoded, base_url, prefix)
    if new == decoded:
        return value
    return _CSS_NEEDS_ESCAPE.sub(lambda m: f"\\{ord(m[0]):x} ", new)


def rewrite_css(css: str, base_url: str, prefix: str) -> str:
    """Proxy `url()`, `@import "..."` and `image-set("...")` URLs; comments and `@namespace`
    names are left alone."""
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
            body = _css_url(s[1], base_url, prefix) if rewrite_strings else s[1]
            out.append(token + body + s[2])
            pos = s.end()
        elif lower == "@import":
            ws = _CSS_IMPORT_WS.match(css, pos)
            assert ws is not None
            quote = css[ws.end() : ws.end() + 1]
            s = _CSS_STRING[quote].match(css, ws.end()) if quote in _CSS_STRING else None
            if s:
                url = _css_url(s[1], base_url, prefix)
                out.append(f"{token}{ws.group()}{quote}{url}{s[2]}")
                pos = s.end()
            else:
                out.append(token)
        elif lower == "@namespace":
            if ns := _CSS_NAMESPACE.match(css, pos):
                pos = ns.end()
            out.append(css[m.start() : pos])
        elif lower == "url(":
            if q := _CSS_URL_QUOTED.match(css, pos):
                quote = css[q.end(1)]
                url = _css_url(q[2] if quote == '"' else q[3], base_url, prefix)
                out.append(f"{token}{q[1]}{quote}{url}{quote}{q[4]})")
                pos = q.end()
            elif b := _CSS_URL_BARE.match(css, pos):
                out.append(f"{token}{_css_url(b[1], base_url, prefix)})")
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


def _decode_pieces(value: str) -> list[tuple[str, str]]:
    """Split an attribute value into (as written, decoded) pieces, decoding character references
    the way the HTML tokenizer does inside attribute values."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    for m in _REF.finditer(value):
        ref = m.group()
        # A name that is not a whole reference (`&notit;`, `&copy2`) stays literal in attribute
        # values, as does one without its `;` before `=`.
        if ref[1] != "#" and (
            ref[1:] not in _ENTITIES or (not ref.endswith(";") and value.startswith("=", m.end()))
        ):
            continue
        if m.start() > pos:
            pieces.append((value[pos : m.start()], value[pos : m.start()]))
        pieces.append((ref, html.unescape(ref)))
        pos = m.end()
    if pos < len(value):
        pieces.append((value[pos:], value[pos:]))
    return pieces


def _unescape_ascii(value: str) -> str:
    """Decode the character references in an attribute value that stand for ASCII characters,
    keeping the others as written. Written out again, a decoded non-ASCII character would become
    bytes of whatever encoding the page is in (the proxy reads ASCII-compatible pages as latin-1);
    kept as a reference, it means the same in any. (The srcdoc document then holds the reference,
    which its own parser decodes everywhere but in script and style text.)"""
    if "&" not in value:
        return value
    return "".join(d if d.isascii() else w for w, d in _decode_pieces(value))


def _unescape_attr(value: str) -> str:
    """Decode character references the way the HTML tokenizer does inside attribute values."""
    return "".join(d for _, d in _decode_pieces(value)) if "&" in value else value


def _escape_attr(value: str, quote: str) -> str:
    """Escape a decoded attribute value for the quoting style it is written in.

    Characters past U+00FF become numeric references so that the latin-1 codec the proxy uses
    for ASCII-compatible pages can encode them; lone surrogates (undecodable bytes kept by
    `surrogateescape`) round-trip as they are.
    """
    special = "&" + (quote or "\"'<>=`\t\n\f\r ")
    return "".join(
        (_ESCAPES.get(c) or f"&#{ord(c)};")
        if c in special or (c > "\xff" and not "\udc80" <= c <= "\udcff")
        else c
        for c in value
    )


def _rewrite_attr(raw: str, quote: str, rewrite: Callable[[str], str]) -> str:
    """Apply `rewrite` to an attribute value as written, falling back to decoding references.

    URL tails such as `?a=1&amp;b=2` are carried over verbatim; only when a reference changes
    what the value means (e.g. `&#47;&#47;host`) is the decoded value rewritten, and then only the
    part the rewrite changed is re-escaped: the unchanged tail is kept as written.
    """
    new = rewrite(raw)
    if "&" not in raw:
        return new
    pieces = _decode_pieces(raw)
    decoded = "".join(d for _, d in pieces)
    new_decoded = rewrite(decoded)
    if new_decoded == decoded:
        return raw
    if _unescape_attr(new) == new_decoded:
        return new
    tail, kept = "", len(pieces)
    while kept and new_decoded.endswith(pieces[kept - 1][1] + tail):
        kept -= 1
        tail = pieces[kept][1] + tail
    while kept < len(pieces) and pieces[kept][0] != pieces[kept][1] and pieces[kept][1].isascii():
        tail = tail[len(pieces[kept][1]) :]  # `&#47;` next to the new text: write it plainly
        kept += 1
    head = new_decoded[: len(new_decoded) - len(tail)]
    return _escape_attr(head, quote) + "".join(r for r, _ in pieces[kept:])


def module_rules(page_url: str, prefix: str) -> dict[str, str]:
    """Import map rules that send a page's module imports through the proxy: every absolute
    http(s) specifier (the keys `https://` and `http://` are prefixes of the specifier as
    written), root-relative ones to the page's own site, and the proxy's own URLs to themselves
    (the longest matching key wins)."""
    # A protocol-relative specifier takes Jupyter's scheme; an https page could not have loaded
    # an http module anyway (mixed content), so there http means https.
    http = "https" if page_url.lower().startswith("https:") else "http"
    return {
        "https://": f"{prefix}https/",
        "http://": f"{prefix}{http}/",
        "/": rewrite_url("/", page_url, prefix),
        prefix: prefix,
    }


def module_scopes(roots: Iterable[str], prefix: str) -> dict[str, dict[str, str]]:
    """Scopes for modules from other sites, by their proxied roots (`{prefix}https/cdn.org/`):
    their root-relative imports go to their own site (CDNs such as esm.sh import that way), and
    the proxy's own URLs to themselves."""
    return {root: {"/": root, prefix: prefix} for root in sorted(roots)}


def rewrite_importmap(
    text: str,
    base_url: str,
    prefix: str,
    additions: Callable[[], dict[str, dict[str, Any]]],
    note: Callable[[str], None] = lambda url: None,
) -> str | None:
    """An import map with its addresses proxied (`imports` values, `scopes` keys and values,
    each proxied value also given to `note`) and the `imports` and `scopes` that `additions()`
    gives then added where the map has none of its own; None for text that is no map (not a
    JSON object: browsers reject it). A map with `\\u` escapes is kept as written: the
    characters they stand for could not be written back in every page encoding."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if "\\u" in text:
        return text

    def mapped(specifiers: object) -> object:
        if not isinstance(specifiers, dict):
            return specifiers
        out = {}
        for key, value in specifiers.items():
            if isinstance(value, str):
                value = rewrite_url(value, base_url, prefix)
                note(value)
            out[key] = value
        return out

    new = dict(data)
    for section in ("imports", "scopes"):
        found = data.get(section, {})
        if isinstance(found, dict) and section == "imports":
            new[section] = mapped(found)
        elif isinstance(found, dict):
            new[section] = {rewrite_url(k, base_url, prefix): mapped(v) for k, v in found.items()}
    extra = additions()
    for section in ("imports", "scopes"):
        rewritten = new.get(section, {})
        if not isinstance(rewritten, dict):
            continue
        added = extra.get(section, {})
        new[section] = {**rewritten, **{k: v for k, v in added.items() if k not in rewritten}}
        if not new[section] and section not in data:
            del new[section]
    if new == data:
        return text
    return json.dumps(new, ensure_ascii=False).replace("<", "\\u003c")


def importmap_tag(content: dict[str, dict[str, Any]]) -> str:
    """A `<script type="importmap">` holding `content`."""
    return f'<script type="importmap">{json.dumps(content)}</script>'


def neutralise_csp(http_equiv: str) -> str:
    """Disable a `<meta http-equiv=Content-Security-Policy>`: its rules name upstream origins."""
    return "x-cobrowse-disabled-" + http_equiv


def contain_target(target: str) -> str:
    """Keep navigation inside the iframe: `_top` and `_parent` become `_self` (`_blank` stays,
    popups inherit the sandbox)."""
    decoded = _unescape_attr(target).strip("\t\n\f\r ").lower()
    return "_self" if decoded in _ESCAPING_TARGETS else target


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
        kind = _unescape_attr(_first_value(attrs, "type") or "").strip("\t\n\f\r ").lower()
        if kind == "module":
            self.modules = True
            src = _first_value(attrs, "src", None)
            if src is not None:
                self._note_module(rewrite_url(_unescape_attr(src), self.base, self.prefix))
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
        return _rewrite_srcset(value, self.url)

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
        equiv = ""
        if name == "meta":
            equiv = _unescape_attr(_first_value(attrs, "http-equiv") or "").strip().lower()
        animated = ""
        if name in _ANIMATIONS:
            animated = _unescape_attr(_first_value(attrs, "attributename") or "").strip().lower()
        out: list[str] = []
        pos = start
        srcdoc_seen = False  # HTML keeps an attribute's first value, ignores later duplicates
        for a in attrs:
            attr = a["name"].lower()
            kind = _ATTR_KINDS.get(attr)
            if kind is None:
                continue
            value, quote = _attr_value(a)
            new: str | None
            if attr in _DROPPED_ATTRS:
                new = None
            elif value is None:
                continue
            elif kind == "url" or (kind == "data" and name == "object"):
                new = _rewrite_attr(value, quote, self.url)
            elif kind == "css":
                new = _rewrite_attr(value, quote, self.css)
            elif kind == "srcset":
                new = _rewrite_attr(value, quote, self.srcset)
            elif kind == "ping":
                new = _rewrite_attr(value, quote, self.ping)
            elif kind == "srcdoc" and name == "iframe" and not srcdoc_seen:
                srcdoc_seen = True
                new = self._srcdoc_attr(value, quote)
            elif (kind == "target" and name in _TARGET_TAGS) or (
                kind == "formtarget" and name in _FORMTARGET_TAGS
            ):
                new = contain_target(value)
            elif kind == "content" and equiv == "refresh":
                new = _rewrite_attr(value, quote, self.refresh)
            elif kind == "http-equiv" and equiv == "content-security-policy":
                new = neutralise_csp(value)
            elif kind == "smil" and animated in _ANIMATED_URLS:
                new = _rewrite_attr(value, quote, self.url)
            elif kind == "smil-values" and animated in _ANIMATED_URLS:
                new = _rewrite_attr(value, quote, self.url_list)
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
                self._set_base(_unescape_attr(href))
        end = attrs[-1].end() if attrs else pos
        return "".join(out) + html_text[pos:end] if out else html_text[start:end]

    def _srcdoc_attr(self, value: str, quote: str) -> str:
        """A srcdoc value with its document rewritten and written out again, escaped for its
        quotes (unchanged if nothing in it changes). Past the depth or the page's allowance it
        is left as it is."""
        if self.depth >= _SRCDOC_DEPTH or self.srcdocs_left[0] <= 0:
            return value
        self.srcdocs_left[0] -= 1
        decoded = _unescape_ascii(value)
        new = self.srcdoc(decoded)
        return value if new == decoded else _escape_attr(new, quote)

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


def _attr_value(a: re.Match[str]) -> tuple[str | None, str]:
    """Return (value as written, quote character) of a scanned attribute; value None if absent."""
    for group, quote in (("dq", '"'), ("sq", "'"), ("uq", "")):
        if a[group] is not None:
            return a[group], quote
    return None, ""


def _alternation(words: Iterable[str]) -> str:
    """A regex matching any of `words` with common prefixes factored out (sre tries each branch)."""
    branches: dict[str, list[str]] = {}
    for word in sorted(set(words)):
        branches.setdefault(word[:1], []).append(word[1:])
    alts = []
    for first, rests in branches.items():
        if not first:
            continue
        while len(rests) == 1 and rests[0]:  # a chain with no branching: plain text
            first, rests = first + rests[0], [""]
        alts.append(re.escape(first) + ("" if rests == [""] else _alternation(rests)))
    optional = "" in branches
    return "(?:" + "|".join(alts) + ")" + ("?" if optional else "")


def _skip_pattern(ups: int) -> re.Pattern[str]:
    """One regex that matches a run of text, comments, end tags and start tags that need no change.

    Each token is an atomic group that matches exactly what the slow path's regexes would match
    at that point, so the fast path cannot tokenise differently. A start tag is skipped only if
    its name is lower-case and not special (raw text, `<head>`, `<base>`, `<meta>`...) and every
    attribute is either a lower-case name of no interest or a URL attribute whose value is plainly
    relative (no scheme, not rooted, no character reference or backslash before the path, no
    dot-dot segment but up to `ups` leading `../`, which the base's directories absorb);
    anything else is left to the slow path. Atomic groups arrived in Python 3.11.
    """
    ws = r"[\t\n\f\r ]"
    sep = r"[\t\n\f\r /]*"
    name = r"[^\t\n\f\r />][^\t\n\f\r />=]*"
    lower_name = r"[^\t\n\f\r />A-Z][^\t\n\f\r />=A-Z]*(?![^\t\n\f\r />=])"
    name_end = r"(?![^\t\n\f\r />=])"
    value = ws + "*=" + ws + r"""*(?:"[^"]*"?|'[^']*'?|[^\t\n\f\r >]*)"""

    def relative(stop: str) -> str:
        # No dot-dot segment (`..`, `%2e`, or a reference or a tab or newline that may make one):
        # it could climb.
        dot = r"|\.(?!\.|%2[eE])|%(?!2[eE])"
        rest = "(?:[^" + stop + r"\t\n\r.%&]++" + dot + r"|&(?:amp;|(?![#A-Za-z])))*+"
        first = "(?:[^" + stop + r"\t\n\r/?#:&\\.%]++" + dot + ")*+"
        return rf"(?:\.\./){{0,{ups}}}(?![\x00-\x20/\\])" + first + "(?:[/?#]" + rest + ")?"

    relative_url = (
        "(?:(?!" + ws + "*=)|" + ws + "*=" + ws + '*(?:"' + relative('"') + '"'
        "|'" + relative("'") + "'"
        r"""|(?!["'])""" + relative(r"\t\n\f\r >") + r"(?![^\t\n\f\r >])))"
    )
    interesting = _alternation({*_ATTR_KINDS, *_DROPPED_ATTRS})
    boring_attr = (
        "(?>"
        + sep
        + "(?:"
        + _alternation(_URL_ATTRS)
        + name_end
        + relative_url
        + "|(?!"
        + interesting
        + name_end
        + ")"
        + lower_name
        + "(?:"
        + value
        + ")?))"
    )
    special = _alternation({*_RAW_TEXT, *_FOREIGN, "plaintext", "head", "html", "base", "meta"})
    start_tag = (
        "<(?!"
        + special
        + r"(?![^\t\n\f\r />]))[a-z][^\t\n\f\r />A-Z]*(?![^\t\n\f\r />])"
        + boring_attr
        + "*+"
        + sep
        + ">"
    )
    foreign_end = "(?!(?i:" + _alternation(_FOREIGN) + r")(?![^\t\n\f\r />]))"
    end_tag = (
        "</" + foreign_end + r"[A-Za-z][^\t\n\f\r />]*(?>" + sep + name + "(?:" + value + ")?)*+"
        + sep + ">"
    )  # fmt: skip
    comment = r"<!--(?:>|->|(?s:.*?)--!?>)|<!\[CDATA\[(?s:.*?)\]\]>|<(?:!(?!--|\[CDATA\[)|\?)[^>]*>"
    return re.compile(
        r"(?:[^<]+|<(?![A-Za-z!?/])|(?>"
        + end_tag
        + ")|(?>"
        + start_tag
        + ")|(?>"
        + comment
        + "))*+"
    )


# The fast path's pattern for a base this many directories deep (a few cached: most sites are
# shallow); None before Python 3.11.
_SKIP: Callable[[int], re.Pattern[str]] | None = (
    functools.lru_cache(maxsize=8)(_skip_pattern) if sys.version_info >= (3, 11) else None
)
_SKIP_UPS = 8  # deeper bases get this many `../` on the fast path; longer climbs take the slow one
_raw_text_ends: dict[str, re.Pattern[str]] = {}


def _raw_text_end(name: str) -> re.Pattern[str]:
    pattern = _raw_text_ends.get(name)
    if pattern is None:
        pattern = _raw_text_ends[name] = re.compile(rf"</{name}(?=[\t\n\f\r />])", re.I)
    return pattern


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
            run = _SKIP(min(page.ups, _SKIP_UPS)).match(html_text, pos)
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
        name = tag[2].lower()
        if tag[1]:
            out.append(html_text[lt : close.end()])
            pos = close.end()
            if name in _FOREIGN and foreign:
                foreign -= 1
            continue
        out += [
            tag.group(),
            page.tag(html_text, tag.end(), name, attrs),
            html_text[pos : close.end()],
        ]
        pos = close.end()
        complete = close.group().endswith(">")
        if name in _FOREIGN and not close.group().rstrip(">").endswith("/"):
            foreign += 1
        elif name in _BREAKOUT:  # an HTML element ends foreign content
            foreign = 0
        if name == "head" and head_at is None and complete:
            head_at = len(out)
        elif name == "html" and html_at is None and complete:
            html_at = len(out)
        elif name == "plaintext":
            out.append(html_text[pos:])
            pos = len(html_text)
        elif name in _RAW_TEXT and not foreign:
            closing = _raw_text_end(name).search(html_text, pos)
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


# Sitemaps (sitemaps.org): the addresses of a site's pages, in <loc> and <xhtml:link href>.
_SITEMAP_ROOT = re.compile(r"<(?:[\w.-]+:)?(?:urlset|sitemapindex)[\s>]")
_SITEMAP_LOC = re.compile(r"(<(?:[\w.-]+:)?loc>)([^<]*)(?=</)")
_SITEMAP_LINK = re.compile(r"(<(?:[\w.-]+:)?link\b[^>]*?\shref=)([\"'])([^\"'<>]*)\2")


def rewrite_sitemap(xml: str, base_url: str, prefix: str) -> str:
    """A sitemap with every page address in the proxy's form (under ``prefix``, absolute when
    the prefix is), byte for byte elsewhere; other XML documents are returned unchanged."""
    if not _SITEMAP_ROOT.search(xml, 0, 65536):
        return xml
    xml = _SITEMAP_LOC.sub(lambda m: m[1] + rewrite_url(m[2], base_url, prefix), xml)
    return _SITEMAP_LINK.sub(
        lambda m: m[1] + m[2] + rewrite_url(m[3], base_url, prefix) + m[2], xml
    )

"""CSS rewriting: `url()`, `@import "..."` and `image-set("...")` URLs through the proxy, read
as the browser reads them (CSS escapes decoded), written back byte for byte elsewhere."""

from __future__ import annotations

import re

from ._tokenizer import WS
from ._urls import rewrite_url

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
    rf"({WS}*)(?:\"((?:[^\"\\\n]|\\[\s\S])*)\"|'((?:[^'\\\n]|\\[\s\S])*)')({WS}*)\)"
)
_CSS_URL_BARE = re.compile(r"([^\"'()]*)\)")
_CSS_IMPORT_WS = re.compile(rf"{WS}*")
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

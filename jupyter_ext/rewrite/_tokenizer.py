"""The HTML tokenizer's patterns, where it matters for finding URLs: tags, attributes, quotes,
comments and raw-text elements, as the HTML5 tokenizer reads them.

The pattern fragments (strings) are what both the token-by-token scanner (`_html.py`) and the
fast path (`_fast.py`) are built from, so the two cannot read markup differently.
"""

from __future__ import annotations

import re

SPACE = r"\t\n\f\r "  # ASCII whitespace (HTML, CSS, Refresh), for character classes
WS = f"[{SPACE}]"
SEP = f"[{SPACE}/]*"  # before an attribute, or before the end of a tag
NAME_STOP = SPACE + "/>"  # a tag or attribute name runs to one of these (attribute names: or "=")
UNQUOTED_STOP = SPACE + ">"  # an unquoted attribute value runs to one of these
TAG_START = "[A-Za-z]"  # `<` then this opens a tag; `</` then this an end tag
TAG_NAME = f"{TAG_START}[^{NAME_STOP}]*"
ATTR_NAME = f"[^{NAME_STOP}][^{NAME_STOP}=]*"


def attr_value(double_quoted: str, single_quoted: str, unquoted: str) -> str:
    """An attribute's `=` and value, the value's text after its opening quote (if any) given."""
    return f"{WS}*={WS}*(?:\"{double_quoted}|'{single_quoted}|{unquoted})"


ATTR_VALUE = attr_value('(?P<dq>[^"]*)"?', "(?P<sq>[^']*)'?", f"(?P<uq>[^{UNQUOTED_STOP}]*)")
ATTRIBUTE = f"{SEP}(?P<name>{ATTR_NAME})(?:{ATTR_VALUE})?"
# Comments (`<!-->` and `<!--->` are whole ones), CDATA sections, doctypes and other `<!...>`,
# processing instructions (`<?...>`, bogus comments in HTML).
MARKUP_DECLARATION = (
    r"<!--(?:>|->|(?s:.*?)--!?>)|<!\[CDATA\[(?s:.*?)\]\]>|<(?:!(?!--|\[CDATA\[)|\?)[^>]*>"
)

SPECIAL = re.compile(MARKUP_DECLARATION + r"|(?P<eof><[!?](?s:.*))")  # eof: unterminated
TAG_OPEN = re.compile(f"<(/?)({TAG_NAME})")
ATTR = re.compile(ATTRIBUTE)
TAG_END = re.compile(SEP + r"(?:>|\Z)")

# Elements whose content is text up to their end tag (in HTML content, not in SVG or MathML).
RAW_TEXT = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"}
)
PLAINTEXT = "plaintext"  # its content runs to the end of the document
# Elements whose content is foreign (SVG, MathML): a <style> in them is not raw text, so the
# parser decodes character references in its CSS.
FOREIGN = frozenset({"svg", "math"})
# HTML start tags that close every open SVG and MathML element (HTML, "in foreign content").
BREAKOUT = frozenset({
    "b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em",
    "embed", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "i", "img", "li", "listing",
    "menu", "meta", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike",
    "sub", "sup", "table", "tt", "u", "ul", "var",
})  # fmt: skip

_raw_text_ends: dict[str, re.Pattern[str]] = {}


def raw_text_end(name: str) -> re.Pattern[str]:
    """The end tag that closes raw-text element `name`."""
    pattern = _raw_text_ends.get(name)
    if pattern is None:
        pattern = _raw_text_ends[name] = re.compile(rf"</{name}(?=[{NAME_STOP}])", re.I)
    return pattern


def unnamed(fragment: str) -> str:
    """`fragment` with its named groups made plain, to repeat it inside a larger pattern."""
    return re.sub(r"\(\?P<\w+>", "(?:", fragment)

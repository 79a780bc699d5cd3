"""Attribute values as the HTML tokenizer reads them (character references decoded) and written
back (escaped for their quotes and for the page's encoding), keeping what did not change as
written."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.entities import html5 as _ENTITIES

_REF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)")
_ESCAPES = {"&": "&amp;", '"': "&quot;", "'": "&#39;", "<": "&lt;", ">": "&gt;"}


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


def unescape_ascii(value: str) -> str:
    """Decode the character references in an attribute value that stand for ASCII characters,
    keeping the others as written. Written out again, a decoded non-ASCII character would become
    bytes of whatever encoding the page is in (the proxy reads ASCII-compatible pages as latin-1);
    kept as a reference, it means the same in any. (The srcdoc document then holds the reference,
    which its own parser decodes everywhere but in script and style text.)"""
    if "&" not in value:
        return value
    return "".join(d if d.isascii() else w for w, d in _decode_pieces(value))


def unescape_attr(value: str) -> str:
    """Decode character references the way the HTML tokenizer does inside attribute values."""
    return "".join(d for _, d in _decode_pieces(value)) if "&" in value else value


def escape_attr(value: str, quote: str) -> str:
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


def rewrite_attr(raw: str, quote: str, rewrite: Callable[[str], str]) -> str:
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
    if unescape_attr(new) == new_decoded:
        return new
    tail, kept = "", len(pieces)
    while kept and new_decoded.endswith(pieces[kept - 1][1] + tail):
        kept -= 1
        tail = pieces[kept][1] + tail
    while kept < len(pieces) and pieces[kept][0] != pieces[kept][1] and pieces[kept][1].isascii():
        tail = tail[len(pieces[kept][1]) :]  # `&#47;` next to the new text: write it plainly
        kept += 1
    head = new_decoded[: len(new_decoded) - len(tail)]
    return escape_attr(head, quote) + "".join(r for r, _ in pieces[kept:])

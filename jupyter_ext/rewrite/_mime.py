"""What a response's `Content-Type` header says its body is, read as browsers read it.

The Fetch standard's "extract a MIME type": the header's values (several lines, or one with
commas) are each parsed as a MIME type (WHATWG MIME Sniffing, "parse a MIME type"); the last
valid one wins, and keeps the charset of an earlier one with the same essence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HTTP_WS = " \t\n\r"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_QUOTED_TOKEN = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_VALUE = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*(?:"|\\?$))*', re.S)  # to a comma outside quotes


@dataclass
class MimeType:
    """A parsed MIME type: lower-case type and subtype, parameters in order of appearance."""

    type: str
    subtype: str
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def essence(self) -> str:
        return f"{self.type}/{self.subtype}"

    def __str__(self) -> str:
        out = self.essence
        for name, value in self.parameters.items():
            if not _TOKEN.fullmatch(value):
                value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            out += f";{name}={value}"
        return out


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """The value of the HTTP quoted string at text[pos] (a `"`) and where it ends."""
    value, pos = "", pos + 1
    while pos < len(text):
        c = text[pos]
        if c == '"':
            return value, pos + 1
        if c == "\\":
            pos += 1
            if pos >= len(text):
                return value + "\\", pos
            c = text[pos]
        value += c
        pos += 1
    return value, pos


def parse_mime_type(text: str) -> MimeType | None:
    """WHATWG MIME Sniffing's "parse a MIME type"; None for failure."""
    text = text.strip(_HTTP_WS)
    kind, slash, rest = text.partition("/")
    if not slash or not _TOKEN.fullmatch(kind):
        return None
    subtype, _, params = rest.partition(";")
    subtype = subtype.rstrip(_HTTP_WS)
    if not _TOKEN.fullmatch(subtype):
        return None
    mime = MimeType(kind.lower(), subtype.lower())
    pos = len(text) - len(params)
    while pos < len(text) and text[pos - 1] == ";":
        while pos < len(text) and text[pos] in _HTTP_WS:
            pos += 1
        end = pos
        while end < len(text) and text[end] not in ";=":
            end += 1
        name, pos = text[pos:end].lower(), end
        if pos >= len(text):
            break
        pos += 1  # past ";" or "="
        if text[pos - 1] == ";":
            continue
        if pos < len(text) and text[pos] == '"':
            value, pos = _quoted(text, pos)
            pos = text.find(";", pos) + 1 or len(text) + 1
        else:
            end = text.find(";", pos)
            end = len(text) if end < 0 else end
            value, pos = text[pos:end].rstrip(_HTTP_WS), end + 1
            if not value:
                continue
        if (
            _TOKEN.fullmatch(name)
            and _QUOTED_TOKEN.fullmatch(value)
            and name not in mime.parameters
        ):
            mime.parameters[name] = value
    return mime


def _split(line: str) -> list[str]:
    """Fetch's "get, decode, and split" of one header line: values at commas outside quotes."""
    values, pos = [], 0
    while True:
        m = _VALUE.match(line, pos)
        assert m is not None  # matches the empty string at worst
        values.append(m.group().strip(" \t"))
        if m.end() >= len(line):
            return values
        pos = m.end() + 1


def extract_mime_type(values: list[str]) -> MimeType | None:
    """Fetch's "extract a MIME type" from a response's `Content-Type` header lines."""
    essence = charset = None
    mime: MimeType | None = None
    for line in values:
        for value in _split(line):
            found = parse_mime_type(value)
            if found is None or found.essence == "*/*":
                continue
            mime = found
            if mime.essence != essence:
                charset = mime.parameters.get("charset")
                essence = mime.essence
            elif "charset" not in mime.parameters and charset is not None:
                mime.parameters["charset"] = charset
    return mime

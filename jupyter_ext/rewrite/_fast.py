"""The HTML rewriter's fast path: one regex that skips a run of text and tags needing no change,
so Python code only sees the few tags that may carry a URL to proxy.

It is built from the tokenizer's own fragments (`_tokenizer.py`) and the attribute table
(`_attributes.py`), so it tokenises exactly like the token-by-token path. It needs atomic groups
and possessive quantifiers (Python 3.11+); before that the rewriter takes the slow path only.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterable

from ._attributes import ANY_ELEMENT_URLS, EDITS
from ._tokenizer import (
    ATTR_VALUE,
    ATTRIBUTE,
    FOREIGN,
    MARKUP_DECLARATION,
    NAME_STOP,
    SEP,
    TAG_NAME,
    TAG_START,
    UNQUOTED_STOP,
    WS,
    attr_value,
    unnamed,
)

UPS = 8  # deeper bases get this many `../` on the fast path; longer climbs take the slow one


def alternation(words: Iterable[str]) -> str:
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
        alts.append(re.escape(first) + ("" if rests == [""] else alternation(rests)))
    optional = "" in branches
    return "(?:" + "|".join(alts) + ")" + ("?" if optional else "")


def _relative(stop: str, ups: int) -> str:
    """A URL value (up to a character of `stop`) that is plainly relative: no scheme, not rooted,
    no character reference or backslash before the path, no dot-dot segment (`..`, `%2e`, or a
    reference or a tab or newline that may make one: it could climb) but up to `ups` leading
    `../`, which the base's directories absorb."""
    dot = r"|\.(?!\.|%2[eE])|%(?!2[eE])"
    rest = "(?:[^" + stop + r"\t\n\r.%&]++" + dot + r"|&(?:amp;|(?![#A-Za-z])))*+"
    first = "(?:[^" + stop + r"\t\n\r/?#:&\\.%]++" + dot + ")*+"
    return rf"(?:\.\./){{0,{ups}}}(?![\x00-\x20/\\])" + first + "(?:[/?#]" + rest + ")?"


def skip_pattern(ups: int, special_tags: frozenset[str]) -> re.Pattern[str]:
    """One regex that matches a run of text, comments, end tags and start tags that need no change.

    Each token is an atomic group that matches exactly what the slow path's regexes would match
    at that point. A start tag is skipped only if its name is lower-case and not one of
    `special_tags` and every attribute is either a lower-case name of no interest or a URL
    attribute whose value is plainly relative (`_relative`); anything else is left to the slow
    path.
    """
    name_end = f"(?![^{NAME_STOP}=])"
    lower_name = f"[^{NAME_STOP}A-Z][^{NAME_STOP}=A-Z]*" + name_end
    quoted_relative = attr_value(
        _relative('"', ups) + '"',
        _relative("'", ups) + "'",
        r"""(?!["'])""" + _relative(UNQUOTED_STOP, ups) + f"(?![^{UNQUOTED_STOP}])",
    )
    relative_url = f"(?:(?!{WS}*=)|{quoted_relative})"
    any_value = unnamed(ATTR_VALUE)
    boring_attr = (
        f"(?>{SEP}(?:{alternation(ANY_ELEMENT_URLS)}{name_end}{relative_url}"
        f"|(?!{alternation(EDITS)}{name_end}){lower_name}(?:{any_value})?))"
    )
    tag_end = f"(?![^{NAME_STOP}])"
    start_tag = f"<(?!{alternation(special_tags)}{tag_end})[a-z][^{NAME_STOP}A-Z]*{tag_end}"
    start_tag += f"{boring_attr}*+{SEP}>"
    foreign_end = f"(?!(?i:{alternation(FOREIGN)}){tag_end})"
    end_tag = f"</{foreign_end}{TAG_NAME}(?>{unnamed(ATTRIBUTE)})*+{SEP}>"
    text = f"[^<]+|<(?!{TAG_START}|[!?/])"
    return re.compile(f"(?:{text}|(?>{end_tag})|(?>{start_tag})|(?>{MARKUP_DECLARATION}))*+")


def skipper(special_tags: frozenset[str]) -> Callable[[int], re.Pattern[str]] | None:
    """The fast path's pattern for a base this many directories deep (a few cached: most sites
    are shallow), skipping no start tag named in `special_tags`; None before Python 3.11."""
    if sys.version_info < (3, 11):
        return None
    return functools.lru_cache(maxsize=8)(
        functools.partial(skip_pattern, special_tags=special_tags)
    )

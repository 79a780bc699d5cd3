"""Import maps: a page's own map with its addresses proxied, and the rules that send a page's
module imports (bare `https://...` and root-relative specifiers) through the proxy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from ._urls import rewrite_url


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

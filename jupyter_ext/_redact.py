"""Capability tokens never reach a log: a filter that blanks them in every record it sees.

A token in a proxied path is the whole credential for a room's site (its cookies, its logged-in
pages), so access lines (``502 GET /cobrowse/proxy/<token>/...``), tornado's warnings and
tracebacks name the path without it.
"""

from __future__ import annotations

import logging
import re

from tornado.log import access_log, app_log, gen_log

_TOKEN_IN_PATH = re.compile(r"(cobrowse/proxy/)[A-Za-z0-9_-]{16,}")
HIDDEN = "[token]"


def redact(text: str) -> str:
    """``text`` with every capability token in a proxy path replaced by ``[token]``."""
    return _TOKEN_IN_PATH.sub(rf"\g<1>{HIDDEN}", text)


class RedactTokens(logging.Filter):
    """Rewrites a record's message (and its traceback) without capability tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def server_loggers(*more: logging.Logger) -> list[logging.Logger]:
    """The loggers a Jupyter server writes request lines, warnings and tracebacks to."""
    return [access_log, app_log, gen_log, *more]

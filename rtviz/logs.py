"""One line per event, plain or JSON (LOG_FORMAT=json), carrying the request id and the user.

The request id and the user live in context variables: the HTTP middleware (rtviz.middleware)
sets them for a request, the websocket wrapper (rtviz.asgi) for a socket's whole life, and every
task a consumer starts inherits them, so its log lines say whose socket they are about without
the consumer passing anything. Never a session id, a cookie or a password: only these fields
and the message.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
user_var: contextvars.ContextVar[str] = contextvars.ContextVar("user", default="-")

# An id from the proxy (nginx's $request_id) is kept if it looks like one; anything else a
# client could send is replaced, so a log line cannot be forged or bloated through it.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9-]{8,64}")


def request_id_from(header: str | None) -> str:
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Puts the request id and the user on every record, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user = user_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "user": getattr(record, "user", "-"),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"))


# Characters that would end or rewrite a line of the plain log: C0 and C1 controls (newline,
# carriage return, escape...) and Unicode's line and paragraph separators.
LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def line_escape(text: str) -> str:
    """`text` on one line: a control character as its escape (\\n, \\x1b), the rest as is."""
    return LINE_BREAKERS.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


class PlainFormatter(logging.Formatter):
    """One event, one line: a message carrying a client's text (a URL-decoded path, a name)
    cannot start a line that looks like another event. A traceback, added after, keeps its
    lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return line_escape(super().formatMessage(record))


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(user)s] %(message)s"


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: one console handler, plain or JSON."""
    formatter = (
        {"()": "rtviz.logs.JsonFormatter"}
        if log_format == "json"
        else {"class": "rtviz.logs.PlainFormatter", "format": PLAIN_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "rtviz.logs.ContextFilter"}},
        "formatters": {"rtviz": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "rtviz",
            }
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "feeds": {"level": level},
            "dashboard": {"level": level},
            "budgets": {"level": level},
            "rtviz": {"level": level},
            "daphne.server": {"level": "INFO"},  # "Listening on ..." tells where the server is
            # runserver's request log: once, not again through Django's own "django" handler.
            "django.channels.server": {
                "handlers": ["console"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }

"""One logging set-up for every command (serve, demo, worker), with a request id on every line.

Each request gets an id (from a trusted `X-Request-ID` header, or a new one), kept in a context
variable: every log line written while the request runs carries it, the response carries it back, and
error pages show it so a customer can read it out to us. Lines are plain text, or one JSON object each
with `PORTAL_LOG_FORMAT=json`. Log what happened and to which record (ids), never what people typed,
their names, addresses or secrets; the database logs no SQL parameters (see db.py), and every line
loses what a database error quotes from the row (PostgreSQL's DETAIL) before it is written."""

from __future__ import annotations

import json
import logging
import re
import secrets
from contextvars import ContextVar
from typing import Literal

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
NO_REQUEST = "-"
# A request id we accept from a proxy in front of us: short, and safe to write into a log line.
GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)

# What a database error can quote from the row it refused: PostgreSQL's DETAIL line ("Key (email)=(...)",
# "Failing row contains (...)"), a value it could not read, and SQLAlchemy's parameters if shown.
DATABASE_VALUES = (
    (re.compile(r"^([ \t]*DETAIL:).*$", re.MULTILINE), r"\1 (values not logged)"),
    (re.compile(r'(invalid input (?:syntax|value) for [^:\n]*: )"[^"\n]*"'), r"\1(value not logged)"),
    (re.compile(r"\[parameters: .*?\]$", re.MULTILINE | re.DOTALL), "[parameters not logged]"),
)
# Libraries that write whole URLs (a device's push address is a secret) or message contents at
# DEBUG or INFO: only their warnings reach the log, whatever PORTAL_LOG_LEVEL says.
CHATTY_LIBRARIES = ("urllib3", "requests", "httpx", "httpcore", "pywebpush", "aiosmtpd", "mail.log")


def new_request_id(offered: str | None = None) -> str:
    """The proxy's id if it is well formed, else a new random one."""
    if offered and GOOD_REQUEST_ID.fullmatch(offered):
        return offered
    return secrets.token_hex(8)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (a dash outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def without_database_values(text: str) -> str:
    for pattern, replacement in DATABASE_VALUES:
        text = pattern.sub(replacement, text)
    return text


class TextFormatter(logging.Formatter):
    """Plain lines, without values quoted by database errors."""

    def format(self, record: logging.LogRecord) -> str:
        return without_database_values(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, message, and the error if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "request_id": getattr(record, "request_id", NO_REQUEST),
                 "message": without_database_values(record.getMessage())}
        if record.exc_info:
            entry["error"] = without_database_values(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)


def setup(log_format: LogFormat = "text", level: str = "INFO") -> None:
    """Configure the root logger once for this process; uvicorn's loggers pass their lines to it."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
    # uvicorn's own access lines are written outside the request's context, without its id; the
    # request-id middleware writes one line per request instead (portal/web/requestid.py).
    logging.getLogger("uvicorn.access").disabled = True

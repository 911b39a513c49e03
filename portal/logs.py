"""One logging set-up for every command (serve, demo, worker), with a request id on every line.

Each request gets an id (from a trusted `X-Request-ID` header, or a new one), kept in a context
variable: every log line written while the request runs carries it, the response carries it back, and
error pages show it so a customer can read it out to us. Lines are plain text, or one JSON object each
with `PORTAL_LOG_FORMAT=json`. Log what happened and to which record (ids), never what people typed,
their names, addresses or secrets; the database logs no SQL parameters (see db.py)."""

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


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, message, and the error if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "request_id": getattr(record, "request_id", NO_REQUEST),
                 "message": record.getMessage()}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(log_format: LogFormat = "text", level: str = "INFO") -> None:
    """Configure the root logger once for this process; uvicorn's loggers pass their lines to it."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
    # uvicorn's own access lines are written outside the request's context, without its id; the
    # request-id middleware writes one line per request instead (portal/web/requestid.py).
    logging.getLogger("uvicorn.access").disabled = True

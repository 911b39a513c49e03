"""Gives each request an id for the logs, and writes one line per request: method, path (never the
query, which can hold personal data), status and time taken. The id goes back in `X-Request-ID`."""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.logs import new_request_id, request_id

logger = logging.getLogger("portal.requests")
HEADER = "x-request-id"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp, trust_header: bool = False) -> None:
        self.app = app
        self.trust_header = trust_header  # Only behind a proxy that sets it.

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = None
        if self.trust_header:
            offered = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
        token = request_id.set(new_request_id(offered))
        scope.setdefault("state", {})["request_id"] = request_id.get()
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id.get()
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logger.info("%s %s %s %.0f ms", scope["method"], scope["path"], status,
                        (time.perf_counter() - started) * 1000)
            request_id.reset(token)

"""CSRF protection for every unsafe method.

Two checks, both must pass: the request comes from our own origin (Origin, or Sec-Fetch-Site where a
browser sends no Origin), and it carries a token tied to the session, in the `csrf_token` form field
or the `X-CSRF-Token` header. The body is read here once, within the size limit, and replayed to the
app, so oversized input is refused before anything parses it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import parse_qs

from fastapi import Request
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.settings import Settings
from portal.web.sessions import SessionState

ErrorPageForScope = Callable[[Scope, int], Response]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
MAX_FIELDS = 200  # No form of ours comes near this; more is an attack or a mistake.


def csrf_token(request: Request) -> str:
    state: SessionState = request.state.session
    state.mark()  # A page with a form needs a session to tie its token to.
    return _token_for(request, state)


def _token_for(request: Request | StarletteRequest, state: SessionState) -> str:
    secret = request.app.state.settings.secret_key.encode()
    return hmac.new(secret, f"csrf:{state.id}".encode(), hashlib.sha256).hexdigest()


class BodyTooLarge(Exception):
    pass


class MalformedBody(Exception):
    pass


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, refuse: ErrorPageForScope) -> None:
        self.app = app
        self.settings = settings
        self.refuse = refuse  # The helpful error page (portal/web/errors.py), handed over by the app.

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read_body(scope, receive)
        except BodyTooLarge:
            await self.refuse(scope, 413)(scope, receive, send)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # Only a disconnect can come now; wait for it.
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        request = StarletteRequest(scope, replay)
        try:
            allowed = self._same_origin(request) and await self._token_matches(request, body)
        except MalformedBody:
            await self.refuse(scope, 400)(scope, receive, send)
            return
        if not allowed:
            await self.refuse(scope, 403)(scope, receive, send)
            return
        await self.app(scope, replay, send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.settings.max_body_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                raise BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _same_origin(self, request: StarletteRequest) -> bool:
        """Browsers send Origin on every unsafe request (and Sec-Fetch-Site); a request with
        neither did not come from a page of ours."""
        origin = request.headers.get("origin")
        if origin is not None:
            return origin in self.settings.allowed_origins
        return request.headers.get("sec-fetch-site") == "same-origin"

    async def _token_matches(self, request: StarletteRequest, body: bytes) -> bool:
        state: SessionState | None = request.scope.get("state", {}).get("session")
        if state is None or state.is_new:
            return False  # No session came with the request, so no token can be right.
        sent = request.headers.get("x-csrf-token") or self._token_from_body(request, body)
        if not sent:
            return False
        # Checking a token changes nothing in the session: a request that only sends something (a
        # shared screen's changes, twice a second) must not write back the session it read.
        return hmac.compare_digest(sent.encode(), _token_for(request, state).encode())

    @staticmethod
    def _token_from_body(request: StarletteRequest, body: bytes) -> str | None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            try:
                fields = parse_qs(body.decode("latin-1"), max_num_fields=MAX_FIELDS)
            except ValueError as exc:
                raise MalformedBody from exc
            values = fields.get("csrf_token")
            return values[0] if values else None
        return None

"""Devices someone signed in on before, remembered in a signed cookie, so that the limits meant for
strangers do not slow the owner down (the "device cookie" defence against guessing and lock-outs).

The cookie holds a random id for this browser and, for each person who signed in on it, a short keyed
digest of each way they can be named at sign-in (email address, customer references), signed with the
secret key. Without the key it says nothing about who they are. It is never a way in: it only decides
which rate limits apply. Checking it reads no database, so it takes the same time whether or not the
identifier belongs to anyone."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.settings import Settings

LIFETIME = dt.timedelta(days=180)
MAX_IDENTIFIERS = 8  # A household's shared computer: a few people, each with a few references.
STATE_KEY = "device_cookie"  # A new cookie value waiting for the response, in the request's state.


def cookie_name(settings: Settings) -> str:
    return "__Host-portal_device" if settings.secure_cookies else "portal_device"


def _keyed(settings: Settings, message: str) -> str:
    return hmac.new(settings.secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def identifier_digest(settings: Settings, identifier: str) -> str:
    """A keyed digest of an identifier in its one spelling (see identity/service.py
    canonical_identifier): also what rate limits are keyed by, so they hold no addresses."""
    return _keyed(settings, f"identifier:{identifier}")[:32]


def _read(connection: HTTPConnection, settings: Settings) -> tuple[str, list[str]] | None:
    """The device id and identifier digests, if the cookie is ours, unchanged and not too old."""
    value = connection.cookies.get(cookie_name(settings), "")
    parts = value.split(".")
    if len(parts) != 4 or not parts[1].isdigit():
        return None
    device_id, issued, digests, signature = parts
    if not hmac.compare_digest(signature, _keyed(settings, f"device:{device_id}.{issued}.{digests}")):
        return None
    if time.time() - int(issued) > LIFETIME.total_seconds():
        return None
    return device_id, digests.split("_") if digests else []


def known(connection: HTTPConnection, settings: Settings, identifier: str) -> str:
    """A key for this device if someone named by `identifier` signed in on it before; "" if not."""
    found = _read(connection, settings)
    wanted = identifier_digest(settings, identifier)
    if found is None or not any(hmac.compare_digest(wanted, digest) for digest in found[1]):
        return ""
    return hashlib.sha256(found[0].encode()).hexdigest()


def remember(connection: HTTPConnection, settings: Settings, identifiers: Iterable[str]) -> None:
    """After a sign-in: this device now knows these identifiers too (the newest kept, if too many).
    The cookie goes out with the response."""
    device_id, digests = _read(connection, settings) or (secrets.token_hex(16), [])
    for identifier in identifiers:
        digest = identifier_digest(settings, identifier)
        digests = [*[kept for kept in digests if kept != digest], digest]
    payload = f"{device_id}.{int(time.time())}.{'_'.join(digests[-MAX_IDENTIFIERS:])}"
    connection.scope.setdefault("state", {})[STATE_KEY] = (
        f"{payload}.{_keyed(settings, f'device:{payload}')}")


class DeviceCookieMiddleware:
    """Sends the cookie `remember` left in the request's state."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            value = scope.get("state", {}).get(STATE_KEY)
            if message["type"] == "http.response.start" and value:
                parts = [f"{cookie_name(self.settings)}={value}", "Path=/",
                         f"Max-Age={int(LIFETIME.total_seconds())}", "HttpOnly", "SameSite=Lax"]
                if self.settings.secure_cookies:
                    parts.append("Secure")
                MutableHeaders(scope=message).append("Set-Cookie", "; ".join(parts))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

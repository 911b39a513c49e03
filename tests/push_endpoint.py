"""A push service on 127.0.0.1 for tests, and a device that can read what it is sent.

`FakeDevice` is what a browser keeps for a push subscription: a P-256 key pair and an auth secret.
Its `subscription(endpoint)` is the browser's PushSubscription.toJSON(). `PushEndpoint` is a tiny
HTTP server that takes the POSTs a push service would, answering with the status a test chooses;
`FakeDevice.read()` decrypts a received body (aes128gcm, RFC 8291) with the device's own keys, so
a test proves the message was really encrypted for that device."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeDevice:
    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def p256dh(self) -> str:
        return b64url(self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                         serialization.PublicFormat.UncompressedPoint))

    def subscription(self, endpoint: str) -> dict[str, Any]:
        return {"endpoint": endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)}}

    def read(self, body: bytes) -> dict[str, Any]:
        """The JSON a push message carries, decrypted as the browser would."""
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")
        return json.loads(plain)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushEndpoint:
    """Answers every POST with `status` (201, as push services do, unless a test says otherwise)."""

    status: int = 201
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, name: str) -> str:
        return f"{self.base}/push/{name}"

    def start(self) -> PushEndpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                endpoint.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                  self.rfile.read(length)))
                self.send_response(endpoint.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def wait_for(self, count: int = 1, seconds: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the push endpoint got {len(self.received)} messages, not {count}")
            time.sleep(0.05)
        return self.received

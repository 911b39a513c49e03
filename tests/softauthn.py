"""A small software authenticator for tests: makes real WebAuthn responses with a P-256 key.

It follows the spec's byte layouts (authenticator data, "none" attestation, COSE keys), and lets a
test bend any part of a response: the origin, the RP ID hash, the flags, the sign count."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    origin: str = "http://testserver"
    aaguid: bytes = bytes(16)
    credentials: list[Credential] = field(default_factory=list)

    def create(self, options: dict[str, Any], *, origin: str | None = None,
               rp_id: str | None = None, flags: int = UP | UV | AT,
               credential_id: bytes | None = None) -> dict[str, Any]:
        """Answer navigator.credentials.create() options (as the server's JSON)."""
        public_key = options["publicKey"]
        rp = rp_id or public_key["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        cred = Credential(credential_id or os.urandom(32), key, rp,
                          unb64url(public_key["user"]["id"]))
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})
        attested = self.aaguid + struct.pack(">H", len(cred.credential_id)) + cred.credential_id + cose
        auth_data = hashlib.sha256(rp.encode()).digest() + bytes([flags]) + struct.pack(">I", 0)
        auth_data += attested
        client_data = self._client_data("webauthn.create", public_key["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.credentials.append(cred)
        return {"id": b64url(cred.credential_id), "rawId": b64url(cred.credential_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "attestationObject": b64url(attestation),
                             "transports": ["internal"]}}

    def get(self, options: dict[str, Any], *, credential: Credential | None = None,
            origin: str | None = None, rp_id: str | None = None, flags: int = UP | UV,
            sign_count: int | None = None, user_handle: bytes | None = None) -> dict[str, Any]:
        """Answer navigator.credentials.get() options with a signed assertion."""
        cred = credential or self.credentials[-1]
        cred.sign_count = cred.sign_count + 1 if sign_count is None else sign_count
        rp = rp_id or options["publicKey"]["rpId"]
        auth_data = (hashlib.sha256(rp.encode()).digest() + bytes([flags])
                     + struct.pack(">I", cred.sign_count))
        client_data = self._client_data("webauthn.get", options["publicKey"]["challenge"], origin)
        signature = cred.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        handle = cred.user_handle if user_handle is None else user_handle
        return {"id": b64url(cred.credential_id), "rawId": b64url(cred.credential_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature), "userHandle": b64url(handle)}}

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

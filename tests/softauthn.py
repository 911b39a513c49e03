"""A small software authenticator for tests: makes real WebAuthn responses with a P-256 key.

It follows the spec's byte layouts (authenticator data, "none" attestation, COSE keys), and lets a
test bend any part of a response, at registration (`create`) and at sign-in (`get`): the origin, the
RP ID hash, the flags (user present and verified, backup eligible and backed up), the sign count, the
credential id (length included), the user handle, and the client data (crossOrigin, topOrigin, any
other member, or bytes of the test's own choosing in place of the JSON)."""

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

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
DEEPLY_NESTED = b"[" * 5000 + b"]" * 5000
OMIT = object()  # As a value in `client_data`: leave that member out.


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
    backup_flags: int = 0  # BE and BS as given at registration; sent again at every sign-in.


@dataclass
class SoftAuthenticator:
    origin: str = "http://testserver"
    aaguid: bytes = bytes(16)
    credentials: list[Credential] = field(default_factory=list)

    def create(self, options: dict[str, Any], *, origin: str | None = None,
               rp_id: str | None = None, flags: int = UP | UV | AT,
               credential_id: bytes | None = None, sign_count: int = 0,
               client_data: dict[str, Any] | None = None,
               client_data_bytes: bytes | None = None) -> dict[str, Any]:
        """Answer navigator.credentials.create() options (as the server's JSON)."""
        public_key = options["publicKey"]
        rp = rp_id or public_key["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        cred = Credential(credential_id or os.urandom(32), key, rp,
                          unb64url(public_key["user"]["id"]), sign_count, flags & (BE | BS))
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})
        attested = self.aaguid + struct.pack(">H", len(cred.credential_id)) + cred.credential_id + cose
        auth_data = (hashlib.sha256(rp.encode()).digest() + bytes([flags])
                     + struct.pack(">I", sign_count))
        auth_data += attested
        client_json = client_data_bytes or self._client_data(
            "webauthn.create", public_key["challenge"], origin, client_data)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        self.credentials.append(cred)
        return {"id": b64url(cred.credential_id), "rawId": b64url(cred.credential_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_json),
                             "attestationObject": b64url(attestation),
                             "transports": ["internal"]}}

    def get(self, options: dict[str, Any], *, credential: Credential | None = None,
            origin: str | None = None, rp_id: str | None = None, flags: int | None = None,
            sign_count: int | None = None, user_handle: bytes | None = None,
            raw_id: bytes | None = None, client_data: dict[str, Any] | None = None,
            client_data_bytes: bytes | None = None) -> dict[str, Any]:
        """Answer navigator.credentials.get() options with a signed assertion. Flags default to user
        present and verified, with the backup flags the credential was made with."""
        cred = credential or self.credentials[-1]
        cred.sign_count = cred.sign_count + 1 if sign_count is None else sign_count
        flags = UP | UV | cred.backup_flags if flags is None else flags
        rp = rp_id or options["publicKey"]["rpId"]
        auth_data = (hashlib.sha256(rp.encode()).digest() + bytes([flags])
                     + struct.pack(">I", cred.sign_count))
        client_json = client_data_bytes or self._client_data(
            "webauthn.get", options["publicKey"]["challenge"], origin, client_data)
        signature = cred.key.sign(auth_data + hashlib.sha256(client_json).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        handle = cred.user_handle if user_handle is None else user_handle
        sent_id = cred.credential_id if raw_id is None else raw_id
        return {"id": b64url(sent_id), "rawId": b64url(sent_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_json),
                             "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature), "userHandle": b64url(handle)}}

    def _client_data(self, kind: str, challenge: str, origin: str | None,
                     extra: dict[str, Any] | None) -> bytes:
        """As a browser writes it; `extra` adds, replaces or (with OMIT) leaves out members."""
        members = {"type": kind, "challenge": challenge, "origin": origin or self.origin,
                   "crossOrigin": False, **(extra or {})}
        return json.dumps({name: value for name, value in members.items() if value is not OMIT}).encode()

"""VAPID keys (web push): the pair that signs our web push messages, so push services know they come from us.

`generate()` makes a pair (the `portal vapid` command, and throwaway keys for the demo); `check_pair`
is what the settings use to refuse a key that does not parse or a public key that is not the private
key's. Keys travel as base64url text, as browsers and pywebpush expect them."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

PUBLIC_KEY_BYTES = 65  # An uncompressed P-256 point: 0x04, then x and y.


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; raises ValueError if it is not base64url."""
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="
                       for c in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url") from error


@dataclass(frozen=True)
class KeyPair:
    public: str  # For PORTAL_PUSH__VAPID_PUBLIC_KEY (and the browser's applicationServerKey).
    private: str  # For PORTAL_PUSH__VAPID_PRIVATE_KEY: the raw 32-byte private number.


def generate() -> KeyPair:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return KeyPair(public=public_key_of(key), private=b64url(private))


def public_key_of(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint))


def load_private(private: str) -> Vapid:
    """The signer for a private key given as raw base64url, base64url DER, or PEM."""
    text = private.strip()
    if text.startswith("-----BEGIN"):
        return Vapid.from_pem(text.encode())
    return Vapid.from_string(text)


def check_pair(public: str, private: str) -> None:
    """Raise ValueError, saying what is wrong, unless the two keys are a P-256 pair."""
    try:
        signer = load_private(private)
        key = signer.private_key
    except Exception as error:  # py_vapid raises whatever its decoder does.
        raise ValueError("PORTAL_PUSH__VAPID_PRIVATE_KEY is not a P-256 private key (make a pair "
                         "with `portal vapid`).") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("PORTAL_PUSH__VAPID_PRIVATE_KEY must be a P-256 key.")
    try:
        raw = b64url_decode(public)
    except ValueError:
        raw = b""
    if len(raw) != PUBLIC_KEY_BYTES or raw[0] != 4:
        raise ValueError("PORTAL_PUSH__VAPID_PUBLIC_KEY must be base64url of an uncompressed P-256 "
                         "point (65 bytes).")
    if b64url(raw) != public_key_of(key):
        raise ValueError("PORTAL_PUSH__VAPID_PUBLIC_KEY is not the public key of "
                         "PORTAL_PUSH__VAPID_PRIVATE_KEY.")

"""Safe places to send people back to after a detour (a language change, signing in)."""

from __future__ import annotations

from urllib.parse import urlsplit


def local_path(candidate: str | None, default: str = "/") -> str:
    """Only paths on this site, so `next=` can never send someone to another site."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or "\\" in candidate:
        return default
    return candidate

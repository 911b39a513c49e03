"""Safe places to send people back to after a detour (a language change, signing in)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response


def local_path(candidate: str | None, default: str = "/") -> str:
    """Only paths on this site, so `next=` can never send someone to another site."""
    if not candidate or not candidate.startswith("/") or candidate.startswith("//"):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or "\\" in candidate:
        return default
    return candidate


def go_to(request: Request, path: str) -> Response:
    """After a form works: a 303 to the next page, or for htmx a whole-page visit to it, so the
    address, the title and the focus all move on as they would without JavaScript."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": path})
    return RedirectResponse(path, status_code=303)

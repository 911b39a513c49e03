"""One-off messages for the next page ("Your message was sent"), kept in the server-side session.

A message is left for a page (`page`), says what happened (`kind`) and, where it helps, to what
(`reference`). A page takes only a message left for it: one meant for another page stays for that
page, so a message is never shown in the wrong place."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

KEY = "flash"


@dataclass(frozen=True)
class Flash:
    kind: str
    reference: str = ""


def flash(request: HTTPConnection, page: str, kind: str, reference: str = "") -> None:
    request.state.session.set(KEY, {"page": page, "kind": kind, "reference": reference})


def take_flash(request: HTTPConnection, page: str, *kinds: str) -> Flash | None:
    """The message left for `page` (with `kinds`, only one of those), removed as it is read."""
    state = request.state.session
    left = state.data.get(KEY)
    if not isinstance(left, dict) or left.get("page") != page or (kinds and left.get("kind") not in kinds):
        return None
    state.take(KEY)
    return Flash(str(left.get("kind", "")), str(left.get("reference", "")))


def take_kind(request: HTTPConnection, page: str, *kinds: str) -> str | None:
    """Just what happened, for pages that need no reference."""
    found = take_flash(request, page, *kinds)
    return found.kind if found else None

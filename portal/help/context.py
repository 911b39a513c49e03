"""What the customer was doing when they asked for help, so they never have to say it twice.

Links to /help carry a reference (`?about=case:CS-101502-1`), never personal data; the page someone came
from is taken from the Referer header. Both are kept in the server-side session until the customer
sends a request, and they choose what to share before sending."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request
from sqlmodel import Session, select

from portal.access import Actor
from portal.accounts.models import Bill, Case, Service
from portal.accounts.service import allowed
from portal.accounts.wording import label
from portal.i18n import lazy_gettext as _l

SESSION_KEY = "help_context"
MOST_KEPT = 5
ABOUT = re.compile(r"(bill|case):[A-Za-z0-9-]{1,30}|service:[0-9]{1,9}|payments|payment-plan|moving|privacy")
TOPICS = {
    "payments": _l("Your payments"),
    "payment-plan": _l("Your payment plan"),
    "moving": _l("Moving home"),
    "privacy": _l("Your data"),
}


@dataclass(frozen=True)
class ContextItem:
    value: str  # What is stored and shared: "case:CS-101502-1", "page:/account/bills".
    text: object  # What the customer (and the adviser) reads.


def remember(request: Request, about: str | None) -> None:
    """Keep what this visit to /help is about, and the page the customer came from."""
    state = request.state.session
    kept: list[str] = list(state.data.get(SESSION_KEY, []))
    found = []
    if about and ABOUT.fullmatch(about):
        found.append(about)
    page = _page_from_referer(request)
    if page:
        found.append(f"page:{page}")
    changed = False
    for value in found:
        if value not in kept:
            kept = [value, *kept][:MOST_KEPT]
            changed = True
    if changed:
        state.set(SESSION_KEY, kept)


def _page_from_referer(request: Request) -> str | None:
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if not referer or f"{parts.scheme}://{parts.netloc}" != str(request.base_url).rstrip("/"):
        return None
    path = parts.path
    if not path.startswith("/account") or len(path) > 100:
        return None  # Only the customer's own pages are worth passing on.
    return path


def forget(request: Request) -> None:
    """After a request is sent, its context has been shared; start afresh."""
    if request.state.session.data.get(SESSION_KEY):
        request.state.session.set(SESSION_KEY, [])


def items(request: Request, db: Session, actor: Actor) -> list[ContextItem]:
    """The kept context this customer may see, in words. Anything they may not see is dropped."""
    found = []
    for value in request.state.session.data.get(SESSION_KEY, []):
        text = describe(db, actor, value)
        if text is not None:
            found.append(ContextItem(value, text))
    return found


def describe(db: Session, actor: Actor, value: str) -> object | None:
    """One context value in words, or None if it names nothing this actor may see."""
    kind, _sep, ref = value.partition(":")
    if kind == "page":
        return _l("The page you were on: %(path)s") % {"path": ref} if ref.startswith("/") else None
    if kind in TOPICS and not ref:
        return TOPICS[kind]
    if kind == "bill":
        bill = allowed(db, actor, db.exec(select(Bill).where(Bill.reference == ref)).first())
        return _l("Bill %(reference)s") % {"reference": ref} if bill else None
    if kind == "case":
        case = allowed(db, actor, db.exec(select(Case).where(Case.reference == ref)).first())
        return f"{label(case.kind)}, {ref}" if case else None
    if kind == "service" and ref.isascii() and ref.isdigit() and len(ref) <= 9:
        service = allowed(db, actor, db.get(Service, int(ref)))
        return label(service.kind) if service else None
    return None


def chosen(available: list[ContextItem], shared: list[str]) -> list[str]:
    """The values the customer left ticked, in the order shown; nothing they did not see."""
    keep = set(shared)
    return [item.value for item in available if item.value in keep]

"""The last step of every way of signing in: a locked sign-in refused, a new session id, the log
entry, and back to where the person was going."""

from __future__ import annotations

import ipaddress

from fastapi import Request
from sqlmodel import Session

from portal.db import id_of
from portal.identity import service
from portal.identity.models import Person
from portal.web.sessions import SessionState


class SignInLocked(Exception):
    """An adviser locked this person's sign-in: no way in, and no session, until it is lifted. The
    app answers with a page that says to call us (portal/app.py)."""


def complete_sign_in(request: Request, db: Session, person: Person, how: str) -> None:
    """Every way in ends here, so a locked sign-in is refused here, whatever the way."""
    if person.sign_in_locked:
        service.record_refusal(db, person.id, f"sign-in is locked ({how})")
        raise SignInLocked
    state: SessionState = request.state.session
    state.sign_in(id_of(person))
    service.record_sign_in(db, person, how)


def client_address(request: Request) -> str:
    """Who is asking, for rate limits. IPv6 by its /64, as one household or phone holds a whole
    /64 and could otherwise step round a limit."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)

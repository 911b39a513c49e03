"""The last step of every way of signing in: a new session id, the log entry, and back to where the
person was going."""

from __future__ import annotations

import ipaddress

from fastapi import Request
from sqlmodel import Session

from portal.db import id_of
from portal.identity import service
from portal.identity.models import Person
from portal.web.sessions import SessionState


def complete_sign_in(request: Request, db: Session, person: Person, how: str) -> None:
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

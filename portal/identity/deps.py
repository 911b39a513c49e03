"""Request dependencies for who is acting and whose account it is."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from portal.access import Actor
from portal.deps import SessionDep
from portal.help.requests import advisable_accounts
from portal.identity.models import Person
from portal.identity.signing_in import SignInLocked
from portal.web.sessions import SessionState


class SignInRequired(Exception):
    def __init__(self, return_to: str) -> None:
        self.return_to = return_to


def current_actor(request: Request, db: SessionDep) -> Actor:
    state: SessionState = request.state.session
    person = db.get(Person, state.person_id) if state.person_id else None
    if person is None or person.id is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    if person.sign_in_locked:  # Locking ends their sessions; this catches one made in the meantime.
        state.end()
        raise SignInLocked
    actor = Actor(person_id=person.id, name=person.name, staff_role=person.staff_role, team=person.team,
                  acting_for=getattr(request.state, "acting", None))
    if actor.is_adviser:
        actor = replace(actor, advisable_accounts=advisable_accounts(db, actor))
    return actor


def sign_in_url(return_to: str) -> str:
    return f"/sign-in?next={quote(return_to, safe='/')}"


CurrentActor = Annotated[Actor, Depends(current_actor)]

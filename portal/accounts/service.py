from __future__ import annotations

from sqlmodel import Session, select

from portal.accounts.models import CustomerAccount
from portal.identity.access import Actor, Permission, can


def accounts_for(db: Session, actor: Actor) -> list[CustomerAccount]:
    """The accounts this actor may see."""
    candidates = db.exec(select(CustomerAccount).where(
        CustomerAccount.holder_person_id == actor.person_id).order_by(CustomerAccount.reference))
    return [a for a in candidates if can(actor, a, Permission.view_account)]

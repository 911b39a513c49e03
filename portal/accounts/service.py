"""Which accounts an actor may see, and finding things on them without leaking other people's."""

from __future__ import annotations

import re
from typing import Protocol, TypeVar

from sqlmodel import Session, col, select

from portal.access import Actor, Permission, can
from portal.accounts.models import CustomerAccount, Service


class OnAnAccount(Protocol):
    account_id: int


class Referenced(OnAnAccount, Protocol):
    """A table whose rows have a reference people see (a bill, a case)."""

    reference: str


Thing = TypeVar("Thing", bound=OnAnAccount)
WithReference = TypeVar("WithReference", bound=Referenced)


REFERENCE = re.compile(r"[A-Za-z0-9-]{1,30}")


def looks_like_reference(value: str) -> bool:
    """References are letters, digits and hyphens: anything else is not one of ours (and some
    characters, like NUL, PostgreSQL would refuse outright)."""
    return REFERENCE.fullmatch(value) is not None


# Any of these lets a carer reach an account's pages; each page then asks `can()` for its own.
ACCOUNT_PERMISSIONS = (Permission.view_account, Permission.view_payments, Permission.change_details,
                       Permission.manage_needs)


def accounts_for(db: Session, actor: Actor) -> list[CustomerAccount]:
    """The accounts this actor may see: their own, or those of the person they act for."""
    candidates = db.exec(select(CustomerAccount).where(
        CustomerAccount.holder_person_id == actor.customer_id).order_by(CustomerAccount.reference))
    return [a for a in candidates if any(can(actor, a, p) for p in ACCOUNT_PERMISSIONS)]


def allowed(db: Session, actor: Actor, thing: Thing | None,
            permission: Permission = Permission.view_account) -> Thing | None:
    """`thing` if the actor may do `permission` on its account, otherwise None: callers answer 404
    either way, so nobody learns whether another customer's bill or case exists."""
    if thing is None:
        return None
    account = db.get(CustomerAccount, thing.account_id)
    return thing if account is not None and can(actor, account, permission) else None


def by_reference(db: Session, actor: Actor, model: type[WithReference], reference: str,
                 permission: Permission = Permission.view_account) -> WithReference | None:
    """The bill or case with this reference, if the actor may see it (None for a reference that is
    not one of ours, or another customer's)."""
    if not looks_like_reference(reference):
        return None
    found = db.exec(select(model).where(col(model.reference) == reference)).first()
    return allowed(db, actor, found, permission)


def by_id(db: Session, actor: Actor, model: type[Thing], thing_id: int,
          permission: Permission = Permission.view_account) -> Thing | None:
    """The service (or other thing on an account) with this id, if the actor may see it."""
    return allowed(db, actor, db.get(model, thing_id), permission)


def account_of(db: Session, thing: OnAnAccount) -> CustomerAccount | None:
    return db.get(CustomerAccount, thing.account_id)


def service_named(db: Session, service_id: int | None) -> Service | None:
    return db.get(Service, service_id) if service_id else None


def services_of(db: Session, account_id: int) -> list[Service]:
    return list(db.exec(select(Service).where(Service.account_id == account_id).order_by(col(Service.id))))

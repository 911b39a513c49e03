"""The one authorisation check: can this actor do this to this subject's account?

Every route that touches an account asks `can()`; carers and advisers get their rules here, not in
handlers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from portal.accounts.models import CustomerAccount


class Permission(StrEnum):
    view_account = "view_account"
    change_details = "change_details"
    manage_needs = "manage_needs"
    see_privacy = "see_privacy"


@dataclass(frozen=True)
class Actor:
    person_id: int
    name: str


def can(actor: Actor, subject: CustomerAccount, permission: Permission) -> bool:
    # The account holder may do everything on their own account. Carers and advisers come later,
    # each with their own rule here.
    return subject.holder_person_id == actor.person_id and permission in Permission

"""The one authorisation check: can this actor do this to this subject?

Every route that touches an account or a request for help asks `can()`; carers and advisers get their
rules here, not in handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from portal.accounts.models import CustomerAccount
from portal.help.models import HelpRequest, RequestStatus, Team
from portal.ops.models import Incident

ADVISER = "adviser"
OPERATIONS = "operations"


class Permission(StrEnum):
    view_account = "view_account"
    change_details = "change_details"
    manage_needs = "manage_needs"
    see_privacy = "see_privacy"
    give_reading = "give_reading"
    # Staff only: see a customer's record in the adviser console and answer them.
    advise = "advise"
    # Staff only: publish, correct and resolve incidents in /ops.
    publish_incidents = "publish_incidents"


CUSTOMER_PERMISSIONS = frozenset(Permission) - {Permission.advise, Permission.publish_incidents}


@dataclass(frozen=True)
class Actor:
    person_id: int
    name: str
    staff_role: str = ""
    team: str = ""
    # For an adviser: the accounts of customers waiting in their queue or whose request they hold,
    # worked out once per request (see identity/deps.py).
    advisable_accounts: frozenset[int] = field(default=frozenset())

    @property
    def is_adviser(self) -> bool:
        return self.staff_role == ADVISER

    @property
    def is_operations(self) -> bool:
        return self.staff_role == OPERATIONS


def adviser_may_take(actor: Actor, request: HelpRequest) -> bool:
    """Specialists see every queue; other advisers see the general one."""
    return actor.is_adviser and (request.team is Team.general or actor.team == Team.specialist.value)


def can(actor: Actor, subject: CustomerAccount | HelpRequest | Incident | None,
        permission: Permission) -> bool:
    """`subject` is None for a new thing that has no record yet (a new incident)."""
    if permission is Permission.publish_incidents:
        return actor.is_operations and (subject is None or isinstance(subject, Incident))
    if subject is None or isinstance(subject, Incident):
        return False
    if isinstance(subject, HelpRequest):
        if permission is not Permission.advise:
            return subject.customer_person_id == actor.person_id  # Your own request for help.
        if subject.status is RequestStatus.waiting:
            return adviser_may_take(actor, subject)
        return actor.is_adviser and subject.claimed_by_person_id == actor.person_id
    if permission is Permission.advise:
        return actor.is_adviser and subject.id in actor.advisable_accounts
    # The account holder may do everything a customer can on their own account.
    return subject.holder_person_id == actor.person_id and permission in CUSTOMER_PERMISSIONS

"""The one authorisation check: can this actor do this to this subject?

Every route that touches an account or a request for help asks `can()`; carers and advisers get their
rules here, not in handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from portal.accounts.models import CustomerAccount
from portal.help.models import HelpRequest, RequestStatus, Team
from portal.identity.models import Person
from portal.ops.models import Incident

ADVISER = "adviser"
OPERATIONS = "operations"


class Permission(StrEnum):
    view_account = "view_account"
    change_details = "change_details"
    manage_needs = "manage_needs"
    see_privacy = "see_privacy"
    give_reading = "give_reading"
    view_payments = "view_payments"
    send_messages = "send_messages"
    talk_to_adviser = "talk_to_adviser"
    # Never for a carer: only the customer chooses who helps them, and looks after their own sign-in.
    manage_carers = "manage_carers"
    manage_security = "manage_security"
    # Staff only: see a customer's record in the adviser console and answer them.
    advise = "advise"
    # Staff only: publish, correct and resolve incidents in /ops.
    publish_incidents = "publish_incidents"
    # Staff only: record a power of attorney or deputyship, and pause a carer's access at once.
    record_authority = "record_authority"


STAFF_PERMISSIONS = frozenset({Permission.advise, Permission.publish_incidents, Permission.record_authority})
CUSTOMER_PERMISSIONS = frozenset(Permission) - STAFF_PERMISSIONS


class Scope(StrEnum):
    """What a customer may let a carer do. Security, carers and privacy are never among them."""

    account = "account"
    messages = "messages"
    talk = "talk"
    payments = "payments"
    contact = "contact"


SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.account: frozenset({Permission.view_account, Permission.give_reading}),
    Scope.messages: frozenset({Permission.send_messages}),
    Scope.talk: frozenset({Permission.talk_to_adviser}),
    Scope.payments: frozenset({Permission.view_payments}),
    Scope.contact: frozenset({Permission.change_details, Permission.manage_needs}),
}


@dataclass(frozen=True)
class ActingFor:
    """A carer acting for a customer, under an authority that was checked at the start of this
    request (portal/carers/guard.py)."""

    authority_id: int
    customer_person_id: int
    customer_name: str
    scopes: frozenset[Scope]

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset().union(*(SCOPE_PERMISSIONS[scope] for scope in self.scopes))


@dataclass(frozen=True)
class Actor:
    person_id: int
    name: str
    staff_role: str = ""
    team: str = ""
    # For an adviser: the accounts of customers waiting in their queue or whose request they hold,
    # worked out once per request (see identity/deps.py).
    advisable_accounts: frozenset[int] = field(default=frozenset())
    # Set while a carer acts for someone: then every check is about that person, within their scopes.
    acting_for: ActingFor | None = None

    @property
    def customer_id(self) -> int:
        """Whose things this request is about: the person acted for, or the actor themself."""
        return self.acting_for.customer_person_id if self.acting_for else self.person_id

    @property
    def is_adviser(self) -> bool:
        return self.staff_role == ADVISER

    @property
    def is_operations(self) -> bool:
        return self.staff_role == OPERATIONS


def adviser_may_take(actor: Actor, request: HelpRequest) -> bool:
    """Specialists see every queue; other advisers see the general one."""
    return actor.is_adviser and (request.team is Team.general or actor.team == Team.specialist.value)


def help_permission(request: HelpRequest) -> Permission:
    """What a carer needs to see a request for help: messages, or talking to an adviser."""
    return Permission.send_messages if request.kind.value == "message" else Permission.talk_to_adviser


def can(actor: Actor, subject: CustomerAccount | HelpRequest | Person | Incident | None,
        permission: Permission) -> bool:
    """`subject` is None for a new thing that has no record yet (a new incident). A Person subject is
    the customer themself, for things that are theirs rather than an account's (asking for help)."""
    if permission is Permission.publish_incidents:
        return actor.is_operations and (subject is None or isinstance(subject, Incident))
    if subject is None or isinstance(subject, Incident):
        return False
    if permission is Permission.record_authority:
        return actor.is_adviser and actor.acting_for is None and isinstance(subject, CustomerAccount)
    acting = actor.acting_for
    if isinstance(subject, Person):
        if acting is not None:
            return subject.id == acting.customer_person_id and permission in acting.permissions
        return subject.id == actor.person_id and permission in CUSTOMER_PERMISSIONS
    if isinstance(subject, HelpRequest):
        if permission is not Permission.advise:
            if acting is not None:
                # A carer sees the customer's requests of the kinds they may use, never private ones.
                return (subject.customer_person_id == acting.customer_person_id and not subject.private
                        and help_permission(subject) in acting.permissions)
            return subject.customer_person_id == actor.person_id  # Your own request for help.
        if acting is not None:
            return False
        if subject.status is RequestStatus.waiting:
            return adviser_may_take(actor, subject)
        return actor.is_adviser and subject.claimed_by_person_id == actor.person_id
    if permission is Permission.advise:
        return actor.is_adviser and acting is None and subject.id in actor.advisable_accounts
    if acting is not None:
        return (subject.holder_person_id == acting.customer_person_id
                and permission in acting.permissions)
    # The account holder may do everything a customer can on their own account.
    return subject.holder_person_id == actor.person_id and permission in CUSTOMER_PERMISSIONS

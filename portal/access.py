"""The one authorisation check: can this actor do this to this subject?

Every route that touches an account or a request for help asks `can()`; carers and advisers get their
rules here, not in handlers. Subjects are described by small protocols, so this module imports no
feature: each subject's table says which kind of subject it is (`access_kind`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Literal, Protocol, cast

from portal.identity.models import Person

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
    # Staff only: lock the sign-in of the account's holder, or of someone who helps them, and lift it.
    lock_sign_in = "lock_sign_in"


STAFF_PERMISSIONS = frozenset({Permission.advise, Permission.publish_incidents, Permission.record_authority,
                               Permission.lock_sign_in})
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


class AccountSubject(Protocol):
    """A customer account (accounts/models.py)."""

    access_kind: ClassVar[Literal["account"]]
    id: int | None
    holder_person_id: int | None


class HelpSubject(Protocol):
    """A request for help: a callback, a message or a chat (help/models.py)."""

    access_kind: ClassVar[Literal["help_request"]]
    customer_person_id: int
    private: bool
    claimed_by_person_id: int | None

    @property
    def kind(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def team(self) -> str: ...


class IncidentSubject(Protocol):
    """An incident that operations publish (ops/models.py)."""

    access_kind: ClassVar[Literal["incident"]]


Subject = AccountSubject | HelpSubject | IncidentSubject | Person

GENERAL_TEAM, SPECIALIST_TEAM = "general", "specialist"


def adviser_may_take(actor: Actor, request: HelpSubject) -> bool:
    """Specialists see every queue; other advisers see the general one."""
    return actor.is_adviser and (request.team == GENERAL_TEAM or actor.team == SPECIALIST_TEAM)


def help_permission(request: HelpSubject) -> Permission:
    """What a carer needs to see a request for help: messages, or talking to an adviser."""
    return Permission.send_messages if request.kind == "message" else Permission.talk_to_adviser


def can(actor: Actor, subject: Subject | None, permission: Permission) -> bool:
    """`subject` is None for a new thing that has no record yet (a new incident). A Person subject is
    the customer themself, for things that are theirs rather than an account's (asking for help)."""
    kind = "person" if isinstance(subject, Person) else getattr(subject, "access_kind", None)
    if permission is Permission.publish_incidents:
        return actor.is_operations and kind in (None, "incident")
    if subject is None or kind not in ("person", "help_request", "account"):
        return False
    if permission in (Permission.record_authority, Permission.lock_sign_in):
        return actor.is_adviser and actor.acting_for is None and kind == "account"
    if isinstance(subject, Person):
        return _can_for_person(actor, subject, permission)
    if kind == "help_request":
        return _can_for_help(actor, cast(HelpSubject, subject), permission)
    return _can_for_account(actor, cast(AccountSubject, subject), permission)


def _can_for_person(actor: Actor, person: Person, permission: Permission) -> bool:
    acting = actor.acting_for
    if acting is not None:
        return person.id == acting.customer_person_id and permission in acting.permissions
    return person.id == actor.person_id and permission in CUSTOMER_PERMISSIONS


def _can_for_help(actor: Actor, request: HelpSubject, permission: Permission) -> bool:
    acting = actor.acting_for
    if permission is not Permission.advise:
        if acting is not None:
            # A carer sees the customer's requests of the kinds they may use, never private ones.
            return (request.customer_person_id == acting.customer_person_id and not request.private
                    and help_permission(request) in acting.permissions)
        return request.customer_person_id == actor.person_id  # Your own request for help.
    if acting is not None:
        return False
    if request.status == "waiting":
        return adviser_may_take(actor, request)
    return actor.is_adviser and request.claimed_by_person_id == actor.person_id


def _can_for_account(actor: Actor, account: AccountSubject, permission: Permission) -> bool:
    acting = actor.acting_for
    if permission is Permission.advise:
        return actor.is_adviser and acting is None and account.id in actor.advisable_accounts
    if acting is not None:
        return account.holder_person_id == acting.customer_person_id and permission in acting.permissions
    # The account holder may do everything a customer can on their own account.
    return account.holder_person_id == actor.person_id and permission in CUSTOMER_PERMISSIONS

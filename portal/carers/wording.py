"""Plain words for what carers may do and where an authority stands."""

from __future__ import annotations

import datetime as dt

from portal.access import Scope
from portal.carers.models import AuthorityStatus, Basis, CarerAuthority
from portal.carers.service import expired
from portal.i18n import lazy_gettext as _l

# The order scopes are listed in, on every page.
SCOPE_ORDER = (Scope.account, Scope.messages, Scope.talk, Scope.payments, Scope.contact)

SCOPES: dict[Scope, tuple[object, object]] = {
    Scope.account: (_l("See the account and give meter readings"), _l("Bills, use, services and cases.")),
    Scope.messages: (_l("See and send messages"), _l("Not the messages you keep private.")),
    Scope.talk: (_l("Talk to advisers for you"), _l("Ask us to call, or chat with us.")),
    Scope.payments: (_l("Manage payments and payment plans"), _l("We tell you each time they look.")),
    Scope.contact: (_l("Update your contact details"),
                    _l("Email, phone, and what helps you. We tell you each time they change them.")),
}

BASES: dict[Basis, object] = {
    Basis.invitation: _l("You invited them"),
    Basis.lasting_power_of_attorney: _l("Lasting power of attorney"),
    Basis.deputyship: _l("Deputy order from the court"),
}


def scope_label(scope: Scope) -> object:
    return SCOPES[scope][0]


def scope_hint(scope: Scope) -> object:
    return SCOPES[scope][1]


def status_text(authority: CarerAuthority, today: dt.date) -> object:
    if authority.status is AuthorityStatus.active and expired(authority, today):
        return _l("Ended")
    return {
        AuthorityStatus.invited: _l("Waiting for them to say yes"),
        AuthorityStatus.active: _l("Can act for you now"),
        AuthorityStatus.suspended: _l("Paused by us"),
        AuthorityStatus.ended: _l("Stopped"),
    }[authority.status]


def basis_text(basis: Basis) -> object:
    return BASES[basis]

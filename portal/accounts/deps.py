"""Which account a page is about: the one the person chose, if they may see it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portal.accounts.models import CustomerAccount
from portal.accounts.service import accounts_for
from portal.deps import SessionDep
from portal.identity.deps import CurrentActor

CHOSEN_ACCOUNT = "account_id"


class NoAccountYet(Exception):
    """The person has no account they may see (someone who only helps others, for example)."""


def chosen_account(request: Request, actor: CurrentActor, db: SessionDep) -> CustomerAccount:
    """The account chosen on the dashboard, kept in the server-side session (never in the URL). The
    choice is checked against `can()` on every request, so losing access takes effect at once."""
    accounts = accounts_for(db, actor)
    if not accounts:
        raise NoAccountYet
    chosen = request.state.session.data.get(CHOSEN_ACCOUNT)
    return next((a for a in accounts if a.id == chosen), accounts[0])


def choose(request: Request, account: CustomerAccount) -> None:
    request.state.session.set(CHOSEN_ACCOUNT, account.id)


CurrentAccount = Annotated[CustomerAccount, Depends(chosen_account)]

"""The dashboard, and choosing which account the other pages show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.accounts import dashboard
from portal.accounts.deps import choose
from portal.accounts.service import accounts_for
from portal.clock import utcnow
from portal.deps import SessionDep, SettingsDep
from portal.identity.deps import CurrentActor
from portal.web.forms import Field, Form
from portal.web.navigation import local_path
from portal.web.templating import render

router = APIRouter()


@router.get("/account", response_class=HTMLResponse)
def overview(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep) -> HTMLResponse:
    board = dashboard.dashboard(db, actor, utcnow(), settings.time_zone)
    return render(request, "account/overview.html", {"actor": actor, "board": board})


@dataclass(frozen=True)
class ChooseData:
    account: str
    next: str


@dataclass
class ChooseForm(Form[ChooseData]):
    fields: ClassVar = (Field("account"), Field("next"))

    def check(self) -> None:
        self.errors.clear()  # Never an error: the account must be theirs, and `next` a page of ours.


@router.post("/account/choose")
def choose_account(request: Request, actor: CurrentActor, db: SessionDep,
                   form: Annotated[ChooseForm, Depends(ChooseForm.from_request)]) -> Response:
    """Show another of my accounts on the account pages. A form, not a link: the choice lives in
    the session, never in the address."""
    form.validate()
    account = next((a for a in accounts_for(db, actor) if a.reference == form.data.account), None)
    if account is None:
        raise HTTPException(status_code=404)
    choose(request, account)
    return RedirectResponse(local_path(form.data.next, "/account"), status_code=303)

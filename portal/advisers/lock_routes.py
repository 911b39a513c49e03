"""/adviser/people/{id}/sign-in: an adviser locks someone's sign-in at once (a customer whose account
may be in the wrong hands, or someone who helps a customer), and unlocks it, each with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import Actor
from portal.advisers import locks
from portal.advisers.deps import Adviser
from portal.advisers.forms import LockForm, LockReasonData, UnlockForm
from portal.deps import SessionDep, SettingsDep, broker_of
from portal.web.flash import flash, take_kind
from portal.web.forms import Form
from portal.web.navigation import go_to
from portal.web.templating import render

router = APIRouter(prefix="/adviser/people")


def _lockable(db: SessionDep, adviser: Actor, person_id: int) -> locks.Lockable:
    found = locks.lockable(db, adviser, person_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _page(request: Request, found: locks.Lockable, form: Form[LockReasonData] | None = None,
          status: int = 200) -> Response:
    locked = found.person.sign_in_locked
    return render(request, "advisers/sign_in_lock.html", {
        "found": found, "person": found.person, "locked": locked,
        "form": form or (UnlockForm.blank() if locked else LockForm.blank()),
        "flash": take_kind(request, "sign_in_lock", "locked", "unlocked") if status == 200 else None,
        "actions": {locks.LOCKED: "locked", locks.UNLOCKED: "unlocked"}}, status_code=status)


@router.get("/{person_id:int}/sign-in", response_class=HTMLResponse)
def sign_in_lock(request: Request, person_id: int, adviser: Adviser, db: SessionDep) -> Response:
    return _page(request, _lockable(db, adviser, person_id))


@router.post("/{person_id:int}/lock", response_class=HTMLResponse)
def lock(request: Request, person_id: int, adviser: Adviser, db: SessionDep, settings: SettingsDep,
         form: Annotated[LockForm, Depends(LockForm.from_request)]) -> Response:
    found = _lockable(db, adviser, person_id)
    if found.person.sign_in_locked:  # Someone locked it a moment ago: the page shows it.
        return go_to(request, f"/adviser/people/{person_id}/sign-in")
    if not form.validate():
        return _page(request, found, form, status=422)
    if locks.lock(db, broker_of(request), adviser, person_id, form.data.reason, settings.time_zone):
        flash(request, "sign_in_lock", "locked")
    return go_to(request, f"/adviser/people/{person_id}/sign-in")


@router.post("/{person_id:int}/unlock", response_class=HTMLResponse)
def unlock(request: Request, person_id: int, adviser: Adviser, db: SessionDep,
           form: Annotated[UnlockForm, Depends(UnlockForm.from_request)]) -> Response:
    found = _lockable(db, adviser, person_id)
    if not found.person.sign_in_locked:
        return go_to(request, f"/adviser/people/{person_id}/sign-in")
    if not form.validate():
        return _page(request, found, form, status=422)
    if locks.unlock(db, adviser, person_id, form.data.reason):
        flash(request, "sign_in_lock", "unlocked")
    return go_to(request, f"/adviser/people/{person_id}/sign-in")

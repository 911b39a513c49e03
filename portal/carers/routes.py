"""/carers: people who help me, people I help, invitations, and acting for someone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import Actor, Scope
from portal.carers import policy, service, wording
from portal.carers.forms import ChoiceForm, CodeForm, InviteForm, NameForm, TermsForm
from portal.carers.guard import ACTING, REFUSED
from portal.carers.models import CarerAuthority
from portal.clock import today_in
from portal.cobrowse import service as cobrowse
from portal.cobrowse.models import EndReason
from portal.deps import SessionDep, SettingsDep
from portal.i18n import gettext as _
from portal.identity.deps import CurrentActor, sign_in_url
from portal.identity.signing_in import client_address, complete_sign_in
from portal.notify.service import deliver_pending
from portal.privacy.wording import action_text
from portal.web.flash import flash, take_kind
from portal.web.forms import new_form_key
from portal.web.navigation import go_to
from portal.web.ratelimit import allow
from portal.web.sessions import SessionState
from portal.web.templating import render

router = APIRouter(prefix="/carers")
INVITATION = "carer_invitation"  # The invitation whose code this session gave, while accepting it.
NEW_CODE = "carer_new_code"  # The code of an invitation just made, shown once.

FLASH = {
    "invited": lambda: _("We sent them a code"),
    "changed": lambda: _("Your changes are saved. They work straight away."),
    "stopped": lambda: _("Their access has stopped"),
    "accepted": lambda: _("You can now help this person. Choose them below to act for them."),
    "declined": lambda: _("You said no. We told the person who asked."),
    "stopped_acting": lambda: _("You stopped acting for someone. You are now yourself again."),
    "acting_ended": lambda: _("You can no longer act for that person. They or we changed what you "
                              "can do, or it has run out."),
}


def _flash(request: Request) -> str | None:
    key = take_kind(request, "carers", *FLASH)
    return FLASH[key]() if key else None


def _owned(db: SessionDep, actor: Actor, authority_id: int) -> CarerAuthority:
    authority = service.owned(db, actor, authority_id)
    if authority is None:
        raise HTTPException(status_code=404)
    return authority




def _common(settings: SettingsDep) -> dict[str, object]:
    return {"scope_order": wording.SCOPE_ORDER, "today": today_in(settings.time_zone), "words": wording}


@router.get("", response_class=HTMLResponse)
def carers(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep) -> Response:
    mine = [] if actor.acting_for else service.people_who_help(db, actor.person_id)
    helping = service.people_i_help(db, actor.person_id)
    return render(request, "carers/index.html", {
        **_common(settings), "actor": actor, "mine": mine, "helping": helping,
        "customers": service.names(db, (a.customer_person_id for a in helping)),
        "flash": _flash(request), "service": service})


# Inviting someone

def _invite_page(request: Request, settings: SettingsDep, form: InviteForm, status: int = 200) -> Response:
    return render(request, "carers/invite.html", {**_common(settings), "form": form},
                  status_code=status)


@router.get("/invite", response_class=HTMLResponse)
def invite_form(request: Request, actor: CurrentActor, settings: SettingsDep) -> Response:
    return _invite_page(request, settings, InviteForm.blank(form_key=new_form_key()))


@router.post("/invite", response_class=HTMLResponse)
def invite(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep,
           background: BackgroundTasks,
           form: Annotated[InviteForm, Depends(InviteForm.from_request)]) -> Response:
    form.today = today_in(settings.time_zone)
    if not form.validate():  # A missing or malformed form key is replaced, never an error.
        return _invite_page(request, settings, form, status=422)
    authority, code = service.invite(db, settings, actor, form.data.invitation, form.data.form_key,
                                     form.today)
    if code is not None:
        request.state.session.set(NEW_CODE, {"id": authority.id, "code": code})
    background.add_task(deliver_pending, request.app.state.engine, settings)
    return go_to(request, f"/carers/invited/{authority.id}")


@router.get("/invited/{authority_id:int}", response_class=HTMLResponse)
def invited(request: Request, authority_id: int, actor: CurrentActor, db: SessionDep,
            settings: SettingsDep) -> Response:
    authority = _owned(db, actor, authority_id)
    kept = request.state.session.take(NEW_CODE) or {}
    code = kept.get("code") if kept.get("id") == authority.id else None
    return render(request, "carers/invited.html", {
        **_common(settings), "authority": authority,
        "code": service.show_code(code) if code else None,
        "link": service.accept_link(settings, code) if code else None})


# One of my carers: what they can do, what they did, change or stop it

@router.get("/{authority_id:int}", response_class=HTMLResponse)
def carer(request: Request, authority_id: int, actor: CurrentActor, db: SessionDep,
          settings: SettingsDep) -> Response:
    authority = _owned(db, actor, authority_id)
    return render(request, "carers/carer.html", {
        **_common(settings), "authority": authority, "scopes": service.scopes_of(authority),
        "service": service, "flash": _flash(request)})


def _what(action: str, detail: str) -> object | None:
    """The page an entry is about, in words: one looked at, or one they were refused."""
    if action == "carer_viewed":
        return policy.page_name(detail)
    if action == REFUSED:
        return policy.refused_page_name(detail)
    return None


@router.get("/{authority_id:int}/activity", response_class=HTMLResponse)
def activity(request: Request, authority_id: int, actor: CurrentActor, db: SessionDep,
             settings: SettingsDep) -> Response:
    authority = _owned(db, actor, authority_id)
    entries = [{"at": e.at, "what": _what(e.action, e.detail), "action": action_text(e.action),
                "path": e.detail if e.action == "carer_viewed" else ""}
               for e in service.activity_of(db, authority)]
    return render(request, "carers/activity.html", {
        **_common(settings), "authority": authority, "entries": entries})


def _change_page(request: Request, settings: SettingsDep, authority: CarerAuthority, form: TermsForm,
                 status: int = 200) -> Response:
    return render(request, "carers/change.html", {**_common(settings), "authority": authority,
                                                  "form": form}, status_code=status)


@router.get("/{authority_id:int}/change", response_class=HTMLResponse)
def change_form(request: Request, authority_id: int, actor: CurrentActor, db: SessionDep,
                settings: SettingsDep) -> Response:
    authority = _owned(db, actor, authority_id)
    if authority.status.value == "ended":
        return go_to(request, f"/carers/{authority_id}")
    form = TermsForm.for_terms(service.Terms(service.scopes_of(authority), authority.ends_on))
    return _change_page(request, settings, authority, form)


@router.post("/{authority_id:int}/change", response_class=HTMLResponse)
def change(request: Request, authority_id: int, actor: CurrentActor, db: SessionDep, settings: SettingsDep,
           background: BackgroundTasks,
           form: Annotated[TermsForm, Depends(TermsForm.from_request)]) -> Response:
    authority = _owned(db, actor, authority_id)
    if authority.status.value == "ended":
        return go_to(request, f"/carers/{authority_id}")
    form.today = today_in(settings.time_zone)
    if not form.validate():
        return _change_page(request, settings, authority, form, status=422)
    service.change(db, actor, authority, form.data.terms, form.today)
    service.announce_change(request.app.state.broker, db, authority)
    background.add_task(deliver_pending, request.app.state.engine, settings)
    flash(request, "carers", "changed")
    return go_to(request, f"/carers/{authority_id}")


@router.get("/{authority_id:int}/stop", response_class=HTMLResponse)
def stop_form(request: Request, authority_id: int, actor: CurrentActor, db: SessionDep,
              settings: SettingsDep) -> Response:
    authority = _owned(db, actor, authority_id)
    return render(request, "carers/stop.html", {**_common(settings), "authority": authority})


@router.post("/{authority_id:int}/stop", response_class=HTMLResponse)
def stop(request: Request, authority_id: int, actor: CurrentActor, db: SessionDep, settings: SettingsDep,
         background: BackgroundTasks) -> Response:
    authority = _owned(db, actor, authority_id)
    if authority.status.value != "ended":
        service.stop(db, actor, authority)
        service.announce_change(request.app.state.broker, db, authority)
        background.add_task(deliver_pending, request.app.state.engine, settings)
    flash(request, "carers", "stopped")
    return go_to(request, "/carers")


# Accepting an invitation (the carer)

def _code_page(request: Request, form: CodeForm, status: int = 200) -> Response:
    return render(request, "carers/accept.html", {"form": form}, status_code=status)


@router.get("/accept", response_class=HTMLResponse)
def accept_form(request: Request, code: str = "") -> Response:
    if code:
        # A link from before codes moved out of the query: the code leaves the address at once,
        # for the page to fill in from after "#", so the browser's history keeps no copy of it.
        return go_to(request, service.accept_path(code))
    return _code_page(request, CodeForm.blank())


@router.post("/accept", response_class=HTMLResponse)
def check_code(request: Request, db: SessionDep, settings: SettingsDep,
               form: Annotated[CodeForm, Depends(CodeForm.from_request)]) -> Response:
    authority = None
    if form.validate():
        if not allow(db, service.ACCEPT_PER_CLIENT, client_address(request)):
            form.error("code", _("You have tried too many codes. Wait 15 minutes and try again, or "
                                 "call us on %(phone)s.", phone=settings.help.phone))
        else:
            authority = service.invitation_for(db, settings, form.data.code)
            if authority is None:
                form.error("code", _("That code is wrong, has been used, or is more than 14 days "
                                     "old. Check it, or ask the person who invited you to send a "
                                     "new one."))
    if authority is None:
        return _code_page(request, form, status=422)
    request.state.session.set(INVITATION, authority.id)
    return go_to(request, "/carers/accept/confirm")


def _invitation(request: Request, db: SessionDep) -> CarerAuthority | None:
    return service.waiting_invitation(db, request.state.session.data.get(INVITATION))


def _confirm_page(request: Request, db: SessionDep, authority: CarerAuthority, form: NameForm,
                  status: int = 200, problem: str | None = None) -> Response:
    customer = service.customer_of(db, authority)
    return render(request, "carers/accept_confirm.html", {
        "authority": authority, "customer": customer, "form": form,
        "scopes": service.scopes_of(authority), "scope_order": wording.SCOPE_ORDER, "words": wording,
        "is_signed_in": bool(request.state.session.person_id), "problem": problem}, status_code=status)


@router.get("/accept/confirm", response_class=HTMLResponse)
def confirm_form(request: Request, db: SessionDep) -> Response:
    authority = _invitation(request, db)
    if authority is None:
        return go_to(request, "/carers/accept")
    return _confirm_page(request, db, authority, NameForm.blank(name=authority.carer_name))


@router.post("/accept/confirm", response_class=HTMLResponse)
def confirm(request: Request, db: SessionDep, settings: SettingsDep, background: BackgroundTasks,
            form: Annotated[NameForm, Depends(NameForm.from_request)]) -> Response:
    authority = _invitation(request, db)
    if authority is None:
        return go_to(request, "/carers/accept")
    state: SessionState = request.state.session
    carer = service.person_signed_in(db, state.person_id)
    if carer is None:
        if service.person_with_email(db, authority.carer_email) is not None:
            # They already sign in here: they accept as themselves, after signing in.
            return go_to(request, sign_in_url("/carers/accept/confirm"))
        if not form.validate():
            return _confirm_page(request, db, authority, form, status=422)
        carer = service.new_carer(db, authority, form.data.name)
    try:
        accepted = service.accept(db, settings, authority, carer)
    except service.OwnInvitation:
        problem = _("This code is for the person who will help you. Give it to them.")
        if state.person_id:
            return _confirm_page(request, db, authority, form, status=422, problem=problem)
        form.error("name", problem)
        return _confirm_page(request, db, authority, form, status=422)
    state.data.pop(INVITATION, None)
    state.mark()
    if not accepted:
        return go_to(request, "/carers/accept")
    background.add_task(deliver_pending, request.app.state.engine, settings)
    if state.person_id != carer.id:
        complete_sign_in(request, db, carer, "carer invitation")
        flash(request, "carers", "accepted")  # Shown on /carers, after the passkey step or without it.
        return go_to(request, "/set-up/passkey?next=/carers")
    flash(request, "carers", "accepted")
    return go_to(request, "/carers")


@router.post("/accept/decline", response_class=HTMLResponse)
def decline(request: Request, db: SessionDep, background: BackgroundTasks, settings: SettingsDep) -> Response:
    authority = _invitation(request, db)
    if authority is not None:
        service.decline(db, authority, request.state.session.person_id)
        background.add_task(deliver_pending, request.app.state.engine, settings)
    request.state.session.data.pop(INVITATION, None)
    flash(request, "carers", "declined")
    return go_to(request, "/carers/declined")


@router.get("/declined", response_class=HTMLResponse)
def declined(request: Request) -> Response:
    return render(request, "carers/declined.html", {})


# Acting for someone (the carer)

def first_page(scopes: frozenset[Scope]) -> str:
    """Where a carer starts: the account if they may see it, else the first thing they may do."""
    for scope, page in ((Scope.account, "/account"), (Scope.payments, "/account/payments"),
                        (Scope.messages, "/help/messages"), (Scope.talk, "/help"),
                        (Scope.contact, "/account/details")):
        if scope in scopes:
            return page
    return "/carers"


def _stop_sharing(request: Request, db: SessionDep, settings: SettingsDep) -> None:
    """A screen shared from this browser showed one person's things: it stops when that changes."""
    cobrowse.end_for_session(db, request.app.state.broker, request.state.session.id,
                             EndReason.stopped_acting, settings.time_zone)


@router.post("/act", response_class=HTMLResponse)
def act(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep,
        form: Annotated[ChoiceForm, Depends(ChoiceForm.from_request)]) -> Response:
    if not form.validate():
        raise HTTPException(status_code=400)
    acting = service.start_acting(db, actor, form.data.authority, today_in(settings.time_zone))
    if acting is None:
        raise HTTPException(status_code=404)
    state: SessionState = request.state.session
    _stop_sharing(request, db, settings)
    state.set(ACTING, acting.authority_id)
    state.data.pop("account_id", None)  # Start on their account, not one of the carer's own.
    return go_to(request, first_page(acting.scopes))


@router.post("/stop-acting", response_class=HTMLResponse)
def stop_acting(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep) -> Response:
    service.stop_acting(db, actor)
    _stop_sharing(request, db, settings)
    state: SessionState = request.state.session
    state.data.pop(ACTING, None)
    state.data.pop("account_id", None)
    flash(request, "carers", "stopped_acting")
    return go_to(request, "/carers")


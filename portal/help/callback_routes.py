"""Ask us to call you: choose a day and a time, then see, change or cancel the callback."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import Actor
from portal.accounts.deps import NoAccountYet, chosen_account
from portal.accounts.models import CustomerAccount
from portal.deps import SessionDep, SettingsDep
from portal.help import callbacks, context, requests, service
from portal.help.models import HelpRequest
from portal.i18n import lazy_gettext as _l
from portal.identity.deps import CurrentActor
from portal.validation import PHONE_MAX, tidy_phone
from portal.web.flash import flash, take_kind
from portal.web.forms import Field, Form, form_key_or_new, new_form_key
from portal.web.navigation import go_to
from portal.web.templating import render

router = APIRouter(prefix="/help/callback")

TOPIC_MAX = 1000
BOOKED, MOVED, ALREADY = "callback_booked", "callback_moved", "callback_already"

CHOOSE_TIME = _l("Choose a time for us to call you")
NOT_OFFERED = _l("That time is no longer free. Choose one of the times shown.")
FULL = _l("That time is now full. Choose another time.")


Now = Annotated[dt.datetime, Depends(service.get_now)]  # Tests freeze it with dependency_overrides.


def account_if_any(request: Request, actor: CurrentActor, db: SessionDep) -> CustomerAccount | None:
    """The chosen account; someone with no account of their own may still ask for a call."""
    try:
        return chosen_account(request, actor, db)
    except NoAccountYet:
        return None


AccountIfAny = Annotated[CustomerAccount | None, Depends(account_if_any)]


HIDDEN = 10_000


@dataclass(frozen=True)
class CallbackData:
    slot: str
    phone: str
    topic: str
    share: list[str]
    day: str
    form_key: str


@dataclass
class CallbackForm(Form[CallbackData]):
    fields: ClassVar = (
        Field("slot", required=CHOOSE_TIME, max_length=30),
        Field("phone", required=_l("Enter the phone number we should call"), max_length=PHONE_MAX,
              too_long=_l("Your phone number is too long. Use 20 characters or fewer."),
              pattern=r"(?:\+44|0)(?: ?\d){9,10}",  # As on the change phone number form.
              invalid=_l("Enter a UK phone number, like 07700 900123"), normalise=tidy_phone),
        Field("topic", multiline=True, max_length=TOPIC_MAX,
              too_long=_l("What the call is about must be 1000 characters or fewer")),
        # Hidden or ticked-by-default fields: never an error the customer could act on; each is
        # checked where it is used.
        Field("share", many=True, max_length=HIDDEN),
        Field("day", max_length=HIDDEN),  # The day whose times were shown.
        Field("form_key", max_length=HIDDEN),
    )


@dataclass(frozen=True)
class MoveData:
    slot: str
    day: str


@dataclass
class MoveForm(Form[MoveData]):
    fields: ClassVar = (
        Field("slot", required=CHOOSE_TIME, max_length=30),
        Field("day", max_length=HIDDEN),
    )


def _check_slot(form: CallbackForm | MoveForm, offered: callbacks.Offer) -> callbacks.Slot | None:
    """The chosen slot, or an error on the form saying why it cannot be had."""
    if "slot" in form.errors or not form.values["slot"]:
        return None
    try:
        return callbacks.choose(offered, form.values["slot"])
    except callbacks.SlotFull:
        form.error("slot", FULL)
    except callbacks.SlotNotOffered:
        form.error("slot", NOT_OFFERED)
    return None


def _take_flash(request: Request, *wanted: str) -> str:
    return take_kind(request, "callback", *wanted) or ""


def _ask_page(request: Request, db: SessionDep, actor: Actor, form: CallbackForm,
              offered: callbacks.Offer, status: int = 200) -> Response:
    days = offered.days
    wanted = form.values["day"][:10] or callbacks.day_of_slot(days, form.values["slot"])
    return render(request, "help/callback.html", {
        "form": form, "days": days, "shown": callbacks.day_to_show(days, wanted),
        "items": context.items(request, db, actor), "helps": callbacks.needs_words(db, actor.customer_id),
    }, status_code=status, htmx_main=True)


@router.get("", response_class=HTMLResponse)
def ask(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep, now: Now,
        account: AccountIfAny, day: str = "", about: str | None = None) -> Response:
    context.remember(request, about)
    booked = callbacks.still_to_make(db, actor)
    if booked is not None:  # One call at a time: change that one instead.
        flash(request, "callback", ALREADY)
        return go_to(request, f"/help/callback/{booked.reference}")
    form = CallbackForm.blank(
        phone=callbacks.default_phone(db, actor, account), day=day[:10],
        share=[item.value for item in context.items(request, db, actor)],
        form_key=new_form_key())
    return _ask_page(request, db, actor, form, callbacks.offer(db, settings, now))


@router.post("", response_class=HTMLResponse)
def send(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep, now: Now,
         account: AccountIfAny,
         form: Annotated[CallbackForm, Depends(CallbackForm.from_request)]) -> Response:
    sent = callbacks.already_sent(db, actor, form.sent_key)
    if sent is not None:  # Sent twice: the first one stands.
        return go_to(request, f"/help/callback/{sent.reference}")
    booked = callbacks.still_to_make(db, actor)
    if booked is not None:
        flash(request, "callback", ALREADY)
        return go_to(request, f"/help/callback/{booked.reference}")
    offered = callbacks.offer(db, settings, now)
    form.validate()
    slot = _check_slot(form, offered)
    if form.errors or slot is None:
        return _ask_page(request, db, actor, form, offered, status=422)
    items = context.items(request, db, actor)
    data = form.data
    try:
        callback, created = callbacks.book(
            db, actor, slot, phone=data.phone, topic=data.topic, shared=context.chosen(items, data.share),
            account_id=account.id if account is not None else None,
            form_key=form_key_or_new(data.form_key), per_slot=settings.help.callbacks_per_slot)
    except callbacks.SlotFull:  # Someone took the last place while this form was being sent.
        form.error("slot", FULL)
        return _ask_page(request, db, actor, form, callbacks.offer(db, settings, now), status=422)
    context.forget(request)
    if created:
        requests.announce(request.app.state.broker, callback, "opened")
        flash(request, "callback", BOOKED)
    return go_to(request, f"/help/callback/{callback.reference}")


def _callback_or_404(db: SessionDep, actor: Actor, reference: str) -> HelpRequest:
    found = callbacks.callback_of(db, actor, reference[:20])
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _when(callback: HelpRequest, settings: SettingsDep) -> dict[str, object]:
    assert callback.callback_at is not None
    return {"starts_at": callback.callback_at,
            "ends_at": callback.callback_at + callbacks.slot_length(settings)}


@router.get("/{reference}", response_class=HTMLResponse)
def status(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
           settings: SettingsDep) -> Response:
    callback = _callback_or_404(db, actor, reference)
    return render(request, "help/callback_status.html", {
        "callback": callback, **_when(callback, settings),
        "just": _take_flash(request, BOOKED, MOVED, ALREADY),
        "open": callbacks.can_change(callback), "topic": callbacks.topic_of(db, callback),
        "shared": callbacks.shared_with_adviser(db, actor, callback),
        "helps": callbacks.needs_words(db, actor.customer_id),
        "outcome": callbacks.OUTCOMES.get(callback.outcome)})


def _move_page(request: Request, callback: HelpRequest, settings: SettingsDep, form: MoveForm,
               offered: callbacks.Offer, status: int = 200) -> Response:
    assert callback.callback_at is not None
    days = offered.days
    wanted = (form.values["day"] or callbacks.day_of_slot(days, form.values["slot"])
              or callbacks.day_of_slot(days, callback.callback_at.strftime(callbacks.KEY_FORMAT)))
    return render(request, "help/callback_change.html", {
        "callback": callback, **_when(callback, settings), "form": form, "days": days,
        "shown": callbacks.day_to_show(days, wanted),
        "current_key": callback.callback_at.strftime(callbacks.KEY_FORMAT)},
        status_code=status, htmx_main=True)


@router.get("/{reference}/change", response_class=HTMLResponse)
def change(request: Request, reference: str, actor: CurrentActor, db: SessionDep, settings: SettingsDep,
           now: Now, day: str = "") -> Response:
    callback = _callback_or_404(db, actor, reference)
    if not callbacks.can_change(callback):
        return go_to(request, f"/help/callback/{callback.reference}")
    offered = callbacks.offer(db, settings, now, ignore=callback)
    return _move_page(request, callback, settings, MoveForm.blank(day=day[:10]), offered)


@router.post("/{reference}/change", response_class=HTMLResponse)
def save_change(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
                settings: SettingsDep, now: Now,
                form: Annotated[MoveForm, Depends(MoveForm.from_request)]) -> Response:
    callback = _callback_or_404(db, actor, reference)
    if not callbacks.can_change(callback):
        return go_to(request, f"/help/callback/{callback.reference}")
    offered = callbacks.offer(db, settings, now, ignore=callback)
    form.validate()
    slot = _check_slot(form, offered)
    if form.errors or slot is None:
        return _move_page(request, callback, settings, form, offered, status=422)
    try:
        moved = callbacks.move(db, actor, callback, slot, settings.help.callbacks_per_slot)
    except callbacks.SlotFull:  # Someone took the last place while this form was being sent.
        form.error("slot", FULL)
        return _move_page(request, callback, settings, form,
                          callbacks.offer(db, settings, now, ignore=callback), status=422)
    if moved:
        requests.announce(request.app.state.broker, callback, "changed")
        flash(request, "callback", MOVED)
    return go_to(request, f"/help/callback/{callback.reference}")


@router.get("/{reference}/cancel", response_class=HTMLResponse)
def cancel(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
           settings: SettingsDep) -> Response:
    callback = _callback_or_404(db, actor, reference)
    if not callbacks.can_change(callback):
        return go_to(request, f"/help/callback/{callback.reference}")
    return render(request, "help/callback_cancel.html", {"callback": callback, **_when(callback, settings)},
                  htmx_main=True)


@router.post("/{reference}/cancel", response_class=HTMLResponse)
def confirm_cancel(request: Request, reference: str, actor: CurrentActor, db: SessionDep) -> Response:
    callback = _callback_or_404(db, actor, reference)
    if callbacks.can_change(callback):
        requests.cancel(db, actor, callback)
        requests.announce(request.app.state.broker, callback, "cancelled")
    return go_to(request, f"/help/callback/{callback.reference}")

"""The notification centre (/updates), its settings, and the live banner stream.

Every page and form works without JavaScript. With it, the header count and a short banner in a
polite live region follow new updates as they arrive (server-sent events from /updates/events),
without moving focus."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.datastructures import FormData

from portal.access import Actor
from portal.deps import SessionDep, SettingsDep, web_session
from portal.i18n import get_locale
from portal.identity.deps import CurrentActor
from portal.push import service as push
from portal.updates import centre, live, preferences, rules, service
from portal.updates.forms import SettingsForm, channel_field, service_name, settings_form, usage_field
from portal.updates.models import DeliveryChannel, Update, UpdateKind
from portal.web.csrf import MAX_FIELDS
from portal.web.flash import flash, take_kind
from portal.web.navigation import go_to
from portal.web.sse import frame, live_response
from portal.web.templating import render

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/updates")

Page = Annotated[int, Query(ge=1, le=10_000)]
ALL_SEEN = "updates_all_seen"
REMINDERS_STOPPED = "update_reminders_stopped"
SETTINGS_SAVED = "update_settings_saved"



def unseen_updates(request: Request) -> int | None:
    """For the header (a template global): how many new updates the signed-in customer has, or None
    for anyone else (signed out, staff, a carer acting for someone), who get no updates link and no
    live banner."""
    if hasattr(request.state, "unseen_updates"):
        return request.state.unseen_updates
    state = getattr(request.state, "session", None)
    found = None
    if state is not None and state.person_id and getattr(request.state, "acting", None) is None:
        try:
            found = centre.unseen_for(request.app.state.engine, state.person_id)
        except SQLAlchemyError:  # An error page must still show when the database is down.
            logger.warning("could not count new updates", exc_info=True)
    request.state.unseen_updates = found
    return found


# The notification centre


@router.get("", response_class=HTMLResponse)
def updates(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep,
            page: Page = 1) -> Response:
    shown, pages, page = centre.page_of(db, actor.person_id, page, settings.time_zone)
    return render(request, "updates/index.html", {
        "updates": shown, "page": page, "pages": pages,
        "unseen": service.unseen_count(db, actor.person_id),
        "all_seen": take_kind(request, "updates", ALL_SEEN) is not None}, htmx_main=True)


@router.post("/seen")
def mark_all_seen(request: Request, actor: CurrentActor, db: SessionDep) -> Response:
    service.see_all(db, actor.person_id)
    flash(request, "updates", ALL_SEEN)
    return go_to(request, "/updates")


# Settings


def masked_email(email: str) -> str:
    """Enough to recognise, not enough for someone looking over a shoulder: "s…@example.org"."""
    name, at, domain = email.partition("@")
    return f"{name[:1]}…@{domain}" if at and name else ""


def phone_end(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    return digits[-3:] if len(digits) >= 3 else ""


def _settings_page(request: Request, db: Session, current: preferences.Current, form: SettingsForm,
                   status: int = 200, saved: bool = False) -> Response:
    settings = request.app.state.settings
    push_on = settings.push.available
    return render(request, "updates/settings.html", {
        "form": form, "recipient": current.recipient, "metered": current.metered,
        "kinds": [{"kind": kind, "field": channel_field(kind)} for kind in UpdateKind],
        # Notifications are a choice only where the portal can send them (VAPID keys are set).
        "channels": [c for c in rules.CHOOSABLE if push_on or c is not DeliveryChannel.push],
        "usage_field": usage_field,
        "usage_label": lambda m: service_name(m, form.several_accounts), "saved": saved,
        "email_shown": masked_email(current.recipient.email), "phone_end": phone_end(current.recipient.phone),
        "most_a_day": rules.MAX_DAILY_CAP, "push_on": push_on,
        "devices": push.devices(db, current.recipient.person_id) if push_on else [],
        "describe_device": push.describe, "vapid_public_key": settings.push.vapid_public_key,
        "device_off": take_kind(request, "update_settings", push.DEVICE_OFF) is not None},
        status_code=status, htmx_main=True)


async def _form_data(request: Request) -> FormData:
    try:
        return await request.form(max_files=0, max_fields=MAX_FIELDS)
    except Exception as exc:  # Malformed bodies are the sender's problem, not a 500.
        raise HTTPException(status_code=400) from exc


@router.get("/settings", response_class=HTMLResponse)
def update_settings(request: Request, actor: CurrentActor, db: SessionDep) -> Response:
    current = preferences.current(db, actor)
    form = settings_form(current.metered).from_current(current)
    saved = take_kind(request, "update_settings", SETTINGS_SAVED) is not None
    return _settings_page(request, db, current, form, saved=saved)


@router.post("/settings", response_class=HTMLResponse)
def save_settings(request: Request, actor: CurrentActor, db: SessionDep,
                  data: Annotated[FormData, Depends(_form_data)]) -> Response:
    current = preferences.current(db, actor)
    form = settings_form(current.metered).from_data(data)
    if not form.validate():
        return _settings_page(request, db, current, form, status=422)
    preferences.save(db, actor, form.data)
    flash(request, "update_settings", SETTINGS_SAVED)
    return go_to(request, "/updates/settings")


# The live banner and header count




def _just_ended() -> Iterator[str]:
    yield frame(live.ENDED, "")


@router.get("/events")
def events(request: Request, db: SessionDep) -> Response:
    """Server-sent events for the signed-in customer. Anyone else, and a session that ends while
    the stream is open, get an "ended" event, so the browser stops reconnecting."""
    person_id = centre.customer_id(db, web_session(request).person_id)
    if person_id is None:
        return StreamingResponse(_just_ended(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})
    settings = request.app.state.settings
    return live_response(request, live.UpdatesStream(
        request.app.state.templates, settings.time_zone, settings.session_idle_minutes, person_id,
        web_session(request).id, get_locale()))


# One update


def _own(db: Session, actor: Actor, update_id: str) -> Update:
    """The person's own update, or 404: the same for one that does not exist and someone else's."""
    found = (service.update_for(db, actor.person_id, int(update_id))
             if update_id.isdigit() and len(update_id) < 12 else None)
    if found is None:
        raise HTTPException(status_code=404)
    return found


@router.get("/{update_id}", response_class=HTMLResponse)
def one_update(request: Request, update_id: str, actor: CurrentActor, db: SessionDep,
               settings: SettingsDep) -> Response:
    found = _own(db, actor, update_id)
    service.open_update(db, found)
    steps = centre.next_steps(db, found) if found.needs_action and found.done_at is None else []
    return render(request, "updates/update.html", {
        "item": centre.shown(db, found, settings.time_zone),
        "steps": [centre.step_sentence(step, settings.time_zone) for step in steps],
        "stopped": take_kind(request, "update", REMINDERS_STOPPED) is not None})


@router.post("/{update_id}/stop-reminders")
def stop_reminders(request: Request, update_id: str, actor: CurrentActor, db: SessionDep) -> Response:
    found = _own(db, actor, update_id)
    if found.reminders_stopped_at is None:  # Pressed twice: stopped and logged once.
        service.ask_to_stop_reminders(db, found, actor.person_id)
    flash(request, "update", REMINDERS_STOPPED)
    return go_to(request, f"/updates/{found.id}")

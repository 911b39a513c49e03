"""Incident publishing for operations staff (/ops) and the public service status page (/status).

Only operations staff see /ops: for anyone else every /ops address is "Page not found", as the
adviser console is for non-advisers. Signed-out visitors are sent to sign in, as everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from portal.access import Actor, Permission, can
from portal.accounts.models import ServiceKind
from portal.clock import aware
from portal.deps import SessionDep, SettingsDep
from portal.i18n import lazy_gettext as _l
from portal.identity.deps import CurrentActor
from portal.ops import service
from portal.ops.forms import FixedForm, IncidentForm, written_against
from portal.ops.models import Confidence, Incident, IncidentStage, IncidentVersion, new_incident_reference
from portal.ops.service import Change, Outcome
from portal.web.flash import flash, take_flash
from portal.web.forms import Form
from portal.web.navigation import go_to
from portal.web.templating import render

router = APIRouter()
Now = Annotated[dt.datetime, Depends(service.get_now)]  # Tests freeze it with dependency_overrides.

SERVICE_WORDS = {
    ServiceKind.electricity: _l("Electricity"),
    ServiceKind.gas: _l("Gas"),
    ServiceKind.water: _l("Water"),
    ServiceKind.boiler_cover: _l("Boiler cover"),
}
STAGE_WORDS = {
    IncidentStage.investigating: _l("Finding out what is wrong"),
    IncidentStage.fixing: _l("Fixing it"),
    IncidentStage.resolved: _l("Fixed"),
}
CONFIDENCE_WORDS = {
    Confidence.low: _l("Not sure"),
    Confidence.medium: _l("Fairly sure"),
    Confidence.high: _l("Very sure"),
}
CONFIDENCE_SENTENCES = {
    Confidence.low: _l("We are not sure about this time yet."),
    Confidence.medium: _l("We are fairly sure about this time."),
    Confidence.high: _l("We are very sure about this time."),
}
WORDS = {"service_words": SERVICE_WORDS, "stage_words": STAGE_WORDS, "confidence_words": CONFIDENCE_WORDS,
         "confidence_sentences": CONFIDENCE_SENTENCES, "aware": aware}
CHANGE_TITLES = {
    Change.update: _l("Post an update"),
    Change.correct: _l("Correct what we said"),
    Change.resolve: _l("Mark as fixed"),
}


def current_operations(actor: CurrentActor) -> Actor:
    if not can(actor, None, Permission.publish_incidents):
        raise HTTPException(status_code=404)
    return actor


Operations = Annotated[Actor, Depends(current_operations)]


def _flash(request: Request, reference: str = "") -> str:
    """What was just done to this incident ("published", "update", ...), once."""
    found = take_flash(request, "incident")
    return found.kind if found and found.reference == reference else ""


def _set_flash(request: Request, kind: str, reference: str) -> None:
    flash(request, "incident", kind, reference)


def _incident_or_404(db: Session, actor: Actor, reference: str) -> Incident:
    found = service.by_reference(db, actor, reference[:20])
    if found is None:
        raise HTTPException(status_code=404)
    return found


# The list and a new incident


@router.get("/ops", response_class=HTMLResponse)
def incidents(request: Request, actor: Operations, db: SessionDep, now: Now) -> Response:
    still, fixed = service.for_operations(db, now)
    return render(request, "ops/index.html", {"open": still, "fixed": fixed, "actor": actor, **WORDS})


def _new_page(request: Request, form: IncidentForm, status: int = 200) -> Response:
    return render(request, "ops/new.html", {"form": form, **WORDS}, status_code=status, htmx_main=True)


@router.get("/ops/incidents/new", response_class=HTMLResponse)
def new_incident(request: Request, actor: Operations) -> Response:
    return _new_page(request, IncidentForm.blank(reference=new_incident_reference(),
                                                  stage=IncidentStage.investigating.value))


@router.post("/ops/incidents/new", response_class=HTMLResponse)
def publish(request: Request, actor: Operations, db: SessionDep, settings: SettingsDep, now: Now,
            form: Annotated[IncidentForm, Depends(IncidentForm.from_request)]) -> Response:
    form.values["reference"] = reference = service.new_reference_or(form.values["reference"])
    if not form.validate_at(now, settings.time_zone, settings.organisation.service_areas):
        return _new_page(request, form, status=422)
    incident, created = service.publish(db, actor, form.draft(), reference, now)
    if created:
        service.nudge(request.app.state.broker)
        _set_flash(request, "published", incident.reference)
    return go_to(request, f"/ops/incidents/{incident.reference}")


# One incident


@router.get("/ops/incidents/{reference}", response_class=HTMLResponse)
def incident_page(request: Request, reference: str, actor: Operations, db: SessionDep) -> Response:
    incident = _incident_or_404(db, actor, reference)
    return render(request, "ops/incident.html", {
        "incident": incident, "history": service.history(db, incident),
        "flash": _flash(request, incident.reference), **WORDS})


def _change_page(request: Request, incident: Incident, current: IncidentVersion, kind: Change,
                 form: Form, status: int = 200, stale: bool = False) -> Response:
    # Words about a fix (to mark it fixed, or to correct a fixed one), or every field.
    template = "ops/fixed.html" if isinstance(form, FixedForm) else "ops/change.html"
    return render(request, template, {
        "incident": incident, "current": current, "kind": kind.value, "title": CHANGE_TITLES[kind],
        "form": form,
        "stale": stale, **WORDS}, status_code=status, htmx_main=True)


def _blank_form(settings: Any, incident: Incident, current: IncidentVersion, kind: Change) -> Form:
    if kind is Change.resolve or incident.stage is IncidentStage.resolved:
        return FixedForm.filled_from(current, keep_words=kind is Change.correct)
    return IncidentForm.filled_from(incident.service, incident.areas, incident.safety_critical, current,
                                    settings.time_zone)


def _allowed(incident: Incident, kind: Change) -> bool:
    """A fixed incident can only be corrected; a new problem is a new incident."""
    return kind is Change.correct or incident.stage is not IncidentStage.resolved


def _show_change(request: Request, reference: str, actor: Actor, db: Session, settings: Any,
                 kind: Change) -> Response:
    incident = _incident_or_404(db, actor, reference)
    if not _allowed(incident, kind):
        return go_to(request, f"/ops/incidents/{incident.reference}")
    current = service.current_version(db, incident)
    return _change_page(request, incident, current, kind, _blank_form(settings, incident, current, kind))


def _send_change(request: Request, reference: str, actor: Actor, db: Session, settings: Any,
                 now: dt.datetime, kind: Change, sent: IncidentForm) -> Response:
    incident = _incident_or_404(db, actor, reference)
    if not _allowed(incident, kind):
        return go_to(request, f"/ops/incidents/{incident.reference}")
    current = service.current_version(db, incident)
    fixed_words = kind is Change.resolve or incident.stage is IncidentStage.resolved
    form: IncidentForm | FixedForm
    if fixed_words:
        form = FixedForm.from_data(sent.values)  # Its fields are some of the incident form's.
        ok = form.validate()
    else:
        form = sent
        ok = form.validate_at(now, settings.time_zone, settings.organisation.service_areas)
    if not ok:
        return _change_page(request, incident, current, kind, form, status=422)
    draft = form.draft(current) if isinstance(form, FixedForm) else form.draft()
    outcome = service.change(db, actor, incident, draft, kind, form.data.from_version, now)
    if outcome is Outcome.stale:
        # What they wrote stays; what it says now is on the page to compare, and sending again
        # replaces it.
        current = service.current_version(db, incident)
        written_against(form, current.version)
        return _change_page(request, incident, current, kind, form, status=409, stale=True)
    if outcome is Outcome.made:
        service.nudge(request.app.state.broker)
        _set_flash(request, kind.value, incident.reference)
    return go_to(request, f"/ops/incidents/{incident.reference}")


@router.get("/ops/incidents/{reference}/update", response_class=HTMLResponse)
def update_form(request: Request, reference: str, actor: Operations, db: SessionDep,
                settings: SettingsDep) -> Response:
    return _show_change(request, reference, actor, db, settings, Change.update)


@router.post("/ops/incidents/{reference}/update", response_class=HTMLResponse)
def post_update(request: Request, reference: str, actor: Operations, db: SessionDep, settings: SettingsDep,
                now: Now, form: Annotated[IncidentForm, Depends(IncidentForm.from_request)]) -> Response:
    return _send_change(request, reference, actor, db, settings, now, Change.update, form)


@router.get("/ops/incidents/{reference}/correct", response_class=HTMLResponse)
def correct_form(request: Request, reference: str, actor: Operations, db: SessionDep,
                 settings: SettingsDep) -> Response:
    return _show_change(request, reference, actor, db, settings, Change.correct)


@router.post("/ops/incidents/{reference}/correct", response_class=HTMLResponse)
def post_correction(request: Request, reference: str, actor: Operations, db: SessionDep,
                    settings: SettingsDep, now: Now,
                    form: Annotated[IncidentForm, Depends(IncidentForm.from_request)]) -> Response:
    return _send_change(request, reference, actor, db, settings, now, Change.correct, form)


@router.get("/ops/incidents/{reference}/resolve", response_class=HTMLResponse)
def resolve_form(request: Request, reference: str, actor: Operations, db: SessionDep,
                 settings: SettingsDep) -> Response:
    return _show_change(request, reference, actor, db, settings, Change.resolve)


@router.post("/ops/incidents/{reference}/resolve", response_class=HTMLResponse)
def post_resolution(request: Request, reference: str, actor: Operations, db: SessionDep,
                    settings: SettingsDep, now: Now,
                    form: Annotated[IncidentForm, Depends(IncidentForm.from_request)]) -> Response:
    return _send_change(request, reference, actor, db, settings, now, Change.resolve, form)


# The public status page


@router.get("/status", response_class=HTMLResponse)
def status(request: Request, db: SessionDep, now: Now) -> Response:
    still, fixed = service.public_status(db, now)
    return render(request, "ops/status.html", {"open": still, "fixed": fixed, **WORDS})

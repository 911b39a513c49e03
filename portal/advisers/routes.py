"""The adviser console: a queue of callbacks, messages and chats, and the customer in front of the adviser.

Only advisers see it: for anyone else every /adviser address is "Page not found", so nobody learns it
exists. Signed-out visitors are sent to sign in, as everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlmodel import Session

from portal.access import Actor
from portal.advisers import live, service
from portal.advisers.deps import Adviser
from portal.advisers.forms import AvailabilityForm, CallOutcomeForm, CloseForm, ReplyForm
from portal.carers import service as carers
from portal.clock import today_in, utcnow
from portal.deps import SessionDep, SettingsDep, broker_of
from portal.help.models import HelpRequest, RequestKind
from portal.web.flash import flash, take_flash
from portal.web.forms import Form, new_form_key
from portal.web.navigation import go_to
from portal.web.sse import live_response
from portal.web.templating import is_htmx, render

router = APIRouter(prefix="/adviser")


def _flash(request: Request) -> dict[str, str]:
    """A one-off message for the next page: {"kind": ..., "reference": ...}."""
    found = take_flash(request, "adviser")
    return {"kind": found.kind, "reference": found.reference} if found else {"kind": "", "reference": ""}


def _set_flash(request: Request, kind: str, reference: str = "") -> None:
    flash(request, "adviser", kind, reference)


# The queue


@router.get("", response_class=HTMLResponse)
def queue(request: Request, adviser: Adviser, db: SessionDep) -> Response:
    return render(request, "advisers/queue.html", {
        **live.queue_context(db, adviser), "flash": _flash(request),
        "available": service.available_for_chat(db, adviser)}, htmx_main=True)


@router.get("/events")
def queue_events(request: Request, adviser: Adviser) -> StreamingResponse:
    return live_response(request, live.QueueStream(request, adviser))


@router.post("/requests/{reference}/claim")
def claim(request: Request, reference: str, adviser: Adviser, db: SessionDep) -> Response:
    outcome = service.claim(db, adviser, broker_of(request), reference)
    if outcome is None:
        raise HTTPException(status_code=404)
    if outcome is service.Claimed.taken:
        _set_flash(request, "taken", reference)
        return go_to(request, "/adviser")
    return go_to(request, f"/adviser/requests/{reference}")


@router.post("/availability")
def availability(request: Request, adviser: Adviser, db: SessionDep,
                 form: Annotated[AvailabilityForm, Depends(AvailabilityForm.from_request)]) -> Response:
    if form.validate():
        service.set_available_for_chat(db, adviser, form.data.available)
    return go_to(request, "/adviser")


# One request and its customer

def _request_or_404(db: Session, adviser: Actor, reference: str) -> HelpRequest:
    found = service.find(db, adviser, reference)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _request_page(request: Request, db: Session, adviser: Actor, help_request: HelpRequest, *,
                  settings: Any, reply_form: ReplyForm | None = None, close_form: Form | None = None,
                  status: int = 200) -> Response:
    """The request page. Each view of the customer's record is written to the activity log."""
    service.record_view(db, adviser, help_request)
    failed = next((f for f in (reply_form, close_form) if f is not None and f.errors), None)
    callback = help_request.kind is RequestKind.callback
    return render(request, "advisers/request.html", {
        "panel": service.panel(db, adviser, help_request, utcnow(), settings.time_zone),
        "help_request": help_request,
        "holds": service.holds(adviser, help_request),
        "adviser": adviser,
        **live.WORDS, "outcome_words": service.OUTCOME_WORDS,
        "outcomes": [{"value": o, "text": service.OUTCOME_WORDS[o]} for o in service.OUTCOMES],
        "form": failed,
        "reply_form": reply_form or ReplyForm.blank(form_key=new_form_key()),
        "close_form": close_form or (CallOutcomeForm.blank() if callback else CloseForm.blank()),
        "flash": _flash(request) if status == 200 else {"kind": "", "reference": ""},
        # Who acts for this customer (portal/carers/), and who asked, if it was one of them.
        "carers": carers.helped_by(db, help_request.customer_person_id, today_in(settings.time_zone)),
        "asked_by": carers.names(db, [help_request.acting_person_id]).get(help_request.acting_person_id or 0),
    }, status_code=status, htmx_main=True)


@router.get("/requests/{reference}", response_class=HTMLResponse)
def request_page(request: Request, reference: str, adviser: Adviser, db: SessionDep,
                 settings: SettingsDep) -> Response:
    return _request_page(request, db, adviser, _request_or_404(db, adviser, reference), settings=settings)


@router.post("/requests/{reference}/reply", response_class=HTMLResponse)
def reply(request: Request, reference: str, adviser: Adviser, db: SessionDep, settings: SettingsDep,
          form: Annotated[ReplyForm, Depends(ReplyForm.from_request)]) -> Response:
    help_request = _request_or_404(db, adviser, reference)
    if not service.holds(adviser, help_request) or help_request.kind is RequestKind.callback:
        return go_to(request, f"/adviser/requests/{reference}")  # Not theirs to answer (now).
    if not form.validate():
        page = _request_page(request, db, adviser, help_request, settings=settings, reply_form=form,
                             status=422)
        if is_htmx(request):  # The form asked for itself back; errors belong at the top of the page.
            page.headers.update({"HX-Retarget": "#main-content", "HX-Reswap": "outerHTML"})
        return page
    service.reply(db, adviser, broker_of(request), help_request, form.data.body, form.data.form_key)
    if is_htmx(request):
        # Sent in place, so the adviser can go on typing: a fresh box (focus stays in it) and the
        # conversation as it is now.
        return render(request, "advisers/_reply_sent.html", {
            "help_request": help_request, "reply_form": ReplyForm.blank(form_key=new_form_key()),
            "panel": service.conversation(db, help_request), **live.WORDS})
    _set_flash(request, "replied", reference)
    return go_to(request, f"/adviser/requests/{reference}")


@router.post("/requests/{reference}/close", response_class=HTMLResponse)
def close(request: Request, reference: str, adviser: Adviser, db: SessionDep, settings: SettingsDep,
          sent: Annotated[CallOutcomeForm, Depends(CallOutcomeForm.from_request)]) -> Response:
    """Record the call (a callback), or close with a note (a message or a chat)."""
    help_request = _request_or_404(db, adviser, reference)
    if not service.holds(adviser, help_request):
        return go_to(request, f"/adviser/requests/{reference}")
    # A message or a chat is closed with a note only.
    form: CallOutcomeForm | CloseForm = (sent if help_request.kind is RequestKind.callback
                                         else CloseForm.from_data(sent.values))
    if not form.validate():
        return _request_page(request, db, adviser, help_request, settings=settings, close_form=form,
                             status=422)
    outcome = form.data.outcome if isinstance(form, CallOutcomeForm) else ""
    service.close(db, adviser, broker_of(request), help_request, form.data.note, outcome)
    _set_flash(request, "closed", reference)
    return go_to(request, "/adviser")


@router.post("/requests/{reference}/typing")
def typing(request: Request, reference: str, adviser: Adviser, db: SessionDep) -> Response:
    help_request = _request_or_404(db, adviser, reference)
    if service.holds(adviser, help_request):
        service.typing(broker_of(request), adviser, help_request)
    return Response(status_code=204)


@router.get("/requests/{reference}/events")
def request_events(request: Request, reference: str, adviser: Adviser, db: SessionDep) -> StreamingResponse:
    found = _request_or_404(db, adviser, reference)
    return live_response(request, live.RequestStream(request, adviser, found))

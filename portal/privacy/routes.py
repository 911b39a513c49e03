"""Your data: what we hold and why, a copy of all of it, and what you agreed to."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.accounts import models as account_models
from portal.deps import SessionDep, SettingsDep
from portal.i18n import format_date, format_datetime
from portal.identity.deps import CurrentActor
from portal.needs import wording as needs_wording
from portal.privacy import service, wording
from portal.web.templating import render

router = APIRouter(prefix="/account/privacy")
NO_STORE = {"Cache-Control": "no-store"}


def _readers(settings: SettingsDep) -> dict[str, Any]:
    """Helpers the data page uses to show the export's ISO dates and stored keys in plain words."""
    return {
        "day": lambda iso: format_date(dt.date.fromisoformat(iso)) if iso else "",
        "moment": lambda iso: format_datetime(dt.datetime.fromisoformat(iso), settings.time_zone)
        if iso else "",
        "kinds": account_models,
        "action_text": wording.action_text,
        "topic_text": wording.topic_text,
        "status_text": wording.status_text,
        "channel_text": needs_wording.channel_text,
        "support_text": needs_wording.support_text,
    }


@router.get("", response_class=HTMLResponse)
def privacy(request: Request, actor: CurrentActor, db: SessionDep,
            settings: SettingsDep) -> Response:
    return render(request, "privacy/index.html", {
        "consent": service.consent_history(db, actor.person_id), **_readers(settings)}, htmx_main=True)


@router.get("/data", response_class=HTMLResponse)
def data(request: Request, actor: CurrentActor, db: SessionDep,
         settings: SettingsDep) -> Response:
    return render(request, "privacy/data.html", {
        "data": service.export(db, actor), **_readers(settings)}, htmx_main=True)


@router.get("/download")
def download(actor: CurrentActor, db: SessionDep) -> Response:
    everything = service.export(db, actor)
    service.record_download(db, actor)
    name = f"my-data-{everything['accounts'][0]['reference']}" if everything["accounts"] else "my-data"
    body = json.dumps(everything, ensure_ascii=False, indent=2)
    return Response(body, media_type="application/json", headers={
        **NO_STORE, "Content-Disposition": f'attachment; filename="{name}.json"'})

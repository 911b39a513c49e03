"""/manifest.webmanifest, /icons/..., /sw.js and /offline."""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal import i18n
from portal.deps import SettingsDep
from portal.help.service import opening_hours, zone_label
from portal.pwa import icons, service
from portal.web.templating import render

router = APIRouter()


def _language_from(lang: str | None) -> None:
    """`?lang=` picks the language outright: the browser fetches the manifest without cookies, and
    the service worker stores the offline page once for each language."""
    if lang in i18n.LANGUAGES:
        i18n.set_locale(lang)


@router.get("/manifest.webmanifest")
def manifest(request: Request, settings: SettingsDep, lang: str | None = None) -> Response:
    _language_from(lang)
    service_name = request.app.state.templates.globals["service_name"]()
    body = json.dumps(service.manifest(settings, service_name), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})


@router.get("/icons/{name}")
def icon(name: str, settings: SettingsDep, v: str | None = None) -> Response:
    found = icons.ICONS.get(name)
    if found is None:
        raise HTTPException(status_code=404)
    current = v == icons.version(settings)
    return Response(icons.png(found, settings), media_type="image/png", headers={
        "Cache-Control": "public, max-age=31536000, immutable" if current else "no-cache"})


@router.get("/sw.js")
def service_worker(request: Request, settings: SettingsDep) -> Response:
    static_url = request.app.state.templates.globals["static_url"]
    return Response(service.worker_script(settings, static_url), media_type="application/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@router.get("/offline", response_class=HTMLResponse)
def offline(request: Request, settings: SettingsDep, lang: str | None = None) -> HTMLResponse:
    """The page the service worker shows when the device is offline. It is stored once and shown to
    anyone, so it is the same whoever asks: nothing about who is signed in, nothing that changes by
    the hour."""
    _language_from(lang)
    return render(request, "pages/offline.html", {
        "public_page": True, "hours": opening_hours(settings.help.hours),
        "zone": zone_label(settings.time_zone)})

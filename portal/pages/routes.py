from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from portal import i18n
from portal.db import reachable
from portal.deps import SessionDep, SettingsDep
from portal.pages.glossary import in_reading_order
from portal.web.navigation import local_path
from portal.web.templating import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def start(request: Request) -> HTMLResponse:
    return render(request, "pages/start.html")


@router.get("/accessibility-statement", response_class=HTMLResponse)
def accessibility_statement(request: Request) -> HTMLResponse:
    return render(request, "pages/accessibility_statement.html")


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request) -> HTMLResponse:
    return render(request, "pages/privacy.html")


@router.get("/cookies", response_class=HTMLResponse)
def cookies(request: Request) -> HTMLResponse:
    return render(request, "pages/cookies.html")


@router.get("/glossary", response_class=HTMLResponse)
def glossary(request: Request) -> HTMLResponse:
    return render(request, "pages/glossary.html", {"entries": in_reading_order()})


@router.get("/language/{code}")
def choose_language(code: str, settings: SettingsDep, next: str = "/") -> RedirectResponse:
    """A plain link switches language and remembers it for a year; no JavaScript needed.

    Not HttpOnly: the service worker reads it (Cookie Store API) to show the offline page in the
    language chosen here. It is only a language code, nothing secret."""
    if code not in i18n.LANGUAGES:
        raise HTTPException(status_code=404)
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(i18n.LOCALE_COOKIE, code, max_age=365 * 24 * 3600, path="/",
                        samesite="lax", secure=settings.secure_cookies, httponly=False)
    return response


@router.get("/theme.css")
def theme(settings: SettingsDep) -> Response:
    """The organisation's colours (checked for contrast when settings load)."""
    css = f":root {{ --brand: {settings.organisation.brand_colour}; }}\n"
    return Response(css, media_type="text/css",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})


@router.get("/healthz")
def healthz(db: SessionDep) -> JSONResponse:
    if not reachable(db):
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.deps import SettingsDep
from portal.help import service
from portal.web.templating import render

router = APIRouter()


@router.get("/help", response_class=HTMLResponse)
def help_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    return render(request, "help/index.html",
                  {"hours": service.opening_hours(settings.help_hours)})

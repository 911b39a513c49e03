from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from portal.activity import service as activity
from portal.deps import SessionDep
from portal.web.navigation import local_path
from portal.web.sessions import SessionState
from portal.web.templating import render

router = APIRouter()


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, next: str = "/account") -> HTMLResponse:
    return render(request, "identity/sign_in.html", {"next": local_path(next, "/account")})


@router.post("/sign-out")
def sign_out(request: Request, db: SessionDep) -> RedirectResponse:
    state: SessionState = request.state.session
    if state.person_id is not None:
        activity.record(db, actor_person_id=state.person_id, action="signed_out")
        db.commit()
    state.end()
    response = RedirectResponse("/signed-out", status_code=303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@router.get("/signed-out", response_class=HTMLResponse)
def signed_out(request: Request) -> HTMLResponse:
    return render(request, "identity/signed_out.html")

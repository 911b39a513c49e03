from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import OPERATIONS
from portal.demo import service
from portal.demo.personas import PERSONAS, persona
from portal.deps import SessionDep
from portal.i18n import lazy_gettext as _l
from portal.identity.signing_in import complete_sign_in
from portal.web.forms import Field, Form
from portal.web.navigation import go_to, local_path
from portal.web.templating import TEMPLATES_DIR, render

router = APIRouter(prefix="/demo")
COMPONENT_EXAMPLES = TEMPLATES_DIR / "components" / "examples"


@dataclass(frozen=True)
class PersonaData:
    persona: str


@dataclass
class PersonaForm(Form[PersonaData]):
    fields: ClassVar = (
        Field("persona", required=_l("Choose a person to sign in as"),
              choices=lambda: [p.key for p in PERSONAS]),
    )


def _page(request: Request, form: PersonaForm, next_path: str, status: int = 200) -> Response:
    return render(request, "demo/personas.html",
                  {"form": form, "personas": PERSONAS, "next": next_path},
                  status_code=status, htmx_main=True)


@router.get("", response_class=HTMLResponse)
def personas(request: Request, next: str = "/account") -> Response:
    return _page(request, PersonaForm.blank(), local_path(next, "/account"))


@router.post("", response_class=HTMLResponse)
def choose_persona(request: Request, db: SessionDep,
                   form: Annotated[PersonaForm, Depends(PersonaForm.from_request)],
                   next: str = "/account") -> Response:
    next_path = local_path(next, "/account")
    if not form.validate():
        return _page(request, form, next_path, status=422)
    chosen = persona(form.data.persona)
    assert chosen is not None
    if chosen.staff_role and next_path == "/account":
        # Advisers start at their queue, operations staff at their incidents.
        next_path = "/ops" if chosen.staff_role == OPERATIONS else "/adviser"
    complete_sign_in(request, db, service.person_for(db, chosen), "demo persona")
    return go_to(request, next_path)


@router.get("/outbox", response_class=HTMLResponse)
def outbox(request: Request, db: SessionDep) -> HTMLResponse:
    """What the portal would have emailed or texted: where testers find their codes."""
    return render(request, "demo/outbox.html", {"messages": service.outbox(db)})


def component_examples() -> dict[str, list[dict]]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(COMPONENT_EXAMPLES.glob("*.json"))}


@router.get("/components", response_class=HTMLResponse)
def components(request: Request) -> HTMLResponse:
    return render(request, "demo/components.html", {"components": component_examples()})


@router.get("/components/{name}", response_class=HTMLResponse)
def component(request: Request, name: str) -> HTMLResponse:
    examples = component_examples()
    if name not in examples:
        raise HTTPException(status_code=404)
    return render(request, "demo/component.html", {"name": name, "examples": examples[name]})

"""JSON endpoints for the passkey ceremonies, called by static/js/passkeys.js.

Every refusal is a 400 with a plain message for the page's live region, never a 500; too many tries
from one address are a 429 with Retry-After."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from portal.deps import SessionDep, SettingsDep
from portal.i18n import gettext as _
from portal.identity import passkeys, service
from portal.identity.deps import CurrentActor
from portal.identity.signing_in import client_address, complete_sign_in, too_many_passkey_tries
from portal.web.flash import flash
from portal.web.navigation import local_path
from portal.web.ratelimit import attempt
from portal.web.sessions import SessionState

router = APIRouter(prefix="/webauthn")


def _options(options_json: str) -> Response:
    return Response(f'{{"publicKey": {options_json}}}', media_type="application/json")


def _refused(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


async def json_credential(request: Request) -> dict[str, Any] | None:
    """The credential the browser sent, or None when it is not a JSON object."""
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


Credential = Annotated[dict[str, Any] | None, Depends(json_credential)]


@router.post("/authenticate/options")
def authenticate_options(request: Request, db: SessionDep, settings: SettingsDep) -> Response:
    """Passkey tries are limited here, per address and apart from codes: every try needs a fresh
    challenge from here, and the response that answers it is never refused for the count."""
    verdict = attempt(db, (service.PASSKEY_TRIES_PER_ADDRESS, client_address(request)))
    if not verdict.allowed:
        return too_many_passkey_tries(request, verdict.retry_after)
    state: SessionState = request.state.session
    state.mark()  # The challenge belongs to this session, so the session must exist.
    return _options(passkeys.authentication_options(db, settings, state.id))


@router.post("/authenticate/verify")
def authenticate_verify(request: Request, db: SessionDep, settings: SettingsDep,
                        credential: Credential, next: str = "/account") -> Response:
    if credential is None:
        return _refused(_("Something went wrong with your passkey. Try again."))
    state: SessionState = request.state.session
    try:
        signed_in = passkeys.authenticate(db, settings, state.id, credential)
    except passkeys.PasskeyRefused as refusal:
        service.record_refusal(db, refusal.person_id, refusal.reason)
        if refusal.suspicious and refusal.person_id:
            service.warn_about_passkey(db, settings, refusal.person_id)
        return _refused(str(refusal))
    complete_sign_in(request, db, signed_in.person, f"passkey: {signed_in.passkey.name}")
    return JSONResponse({"redirect": local_path(next, "/account")})


@router.post("/register/options")
def register_options(request: Request, actor: CurrentActor, db: SessionDep,
                     settings: SettingsDep) -> Response:
    person = service.person(db, actor.person_id)
    state: SessionState = request.state.session
    return _options(passkeys.registration_options(db, settings, person, state.id))


@router.post("/register/verify")
def register_verify(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep,
                    credential: Credential, next: str = "/account/security") -> Response:
    if credential is None:
        return _refused(_("Your passkey could not be saved. Try again."))
    person = service.person(db, actor.person_id)
    state: SessionState = request.state.session
    try:
        passkey = passkeys.register(db, settings, person, state.id, credential)
    except passkeys.PasskeyRefused as refusal:
        db.rollback()
        service.record_refusal(db, person.id, refusal.reason)
        return _refused(str(refusal))
    service.added_passkey(db, settings, person, passkey)
    flash(request, "security", "passkey_added")
    return JSONResponse({"redirect": local_path(next, "/account/security")})

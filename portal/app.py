"""create_app(settings): middleware, static files and the feature routers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.middleware import Middleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal import (
    accounts,
    advisers,
    carers,
    cobrowse,
    demo,
    details,
    help,
    identity,
    needs,
    ops,
    pages,
    privacy,
    push,
    pwa,
    updates,
)
from portal.accounts import wording
from portal.accounts.deps import NoAccountYet
from portal.broker import make_broker
from portal.carers.guard import ActingEnded, CarerPageLog, NotWhileActing, carer_guard
from portal.cobrowse import routes as cobrowse_routes
from portal.db import make_engine
from portal.housekeeping import purge_forever
from portal.identity.deps import SignInRequired, sign_in_url
from portal.identity.signing_in import SignInLocked
from portal.settings import Settings
from portal.updates import routes as updates_routes
from portal.updates import worker
from portal.web import errors
from portal.web.csrf import CsrfMiddleware
from portal.web.devices import DeviceCookieMiddleware
from portal.web.locale import LocaleMiddleware
from portal.web.navigation import go_to
from portal.web.requestid import RequestIdMiddleware
from portal.web.security import SecurityHeadersMiddleware
from portal.web.sessions import SessionMiddleware, SessionStore
from portal.web.templating import STATIC_DIR, is_htmx, make_environment, render

LOCKED_PAGE = "/sign-in/locked"  # Says to call us: see portal/identity/routes.py.

# Each feature package says which routers it has (its `routers()`); the order is the order of inclusion.
FEATURES = (pages, help, identity, accounts, details, needs, privacy, advisers, push, updates, ops, pwa,
            carers, cobrowse)


class CachedStatic:
    """Static files: a year's caching for versioned URLs (`?v=`), revalidation for the rest."""

    def __init__(self, app: ASGIApp, max_age: int) -> None:
        self.app = app
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        versioned = b"v=" in scope.get("query_string", b"")

        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                value = (f"public, max-age={self.max_age}, immutable" if versioned
                         else "no-cache")
                message["headers"] = [*message.get("headers", []),
                                      (b"cache-control", value.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cache)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One broker per running server, bound to its event loop. (Tests may run the same app in
        # two clients at once, each with its own loop; each gets its own broker.)
        broker = make_broker(settings)
        await broker.start()
        previous, app.state.broker = getattr(app.state, "broker", None), broker
        background = [asyncio.create_task(purge_forever(engine, settings))]
        if settings.worker.run:
            background.append(asyncio.create_task(worker.run_forever(engine, settings, broker)))
        yield
        for task in background:
            task.cancel()
        await broker.close()
        if app.state.broker is broker:
            app.state.broker = previous

    app = FastAPI(
        lifespan=lifespan,
        title=settings.organisation.name,
        docs_url=None, redoc_url=None, openapi_url=None,
        # Before every route: a carer acting for someone may use only what that person allowed.
        dependencies=[Depends(carer_guard)],
        middleware=[  # Outermost first.
            Middleware(RequestIdMiddleware, trust_header=settings.trust_request_id),
            Middleware(SecurityHeadersMiddleware, refuse=errors.error_response_for_scope),
            Middleware(LocaleMiddleware),
            Middleware(SessionMiddleware, store=SessionStore(engine, settings), settings=settings),
            Middleware(DeviceCookieMiddleware, settings=settings),
            Middleware(CsrfMiddleware, settings=settings, refuse=errors.error_response_for_scope),
            # What a carer looked at, once each answer is known (after carer_guard has run).
            Middleware(CarerPageLog),
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.templates = make_environment(settings)
    app.state.templates.globals.update(label=wording.label, step_detail=wording.step_detail,
                                       unit=wording.unit, unseen_updates=updates_routes.unseen_updates,
                                       sharing_now=cobrowse_routes.sharing_now)

    app.mount("/static", CachedStatic(StaticFiles(directory=STATIC_DIR),
                                      settings.static_max_age_seconds), name="static")
    for feature in FEATURES + ((demo,) if settings.demo else ()):
        for router in feature.routers():
            app.include_router(router)

    errors.install(app)

    @app.exception_handler(NoAccountYet)
    async def to_dashboard(request: Request, _exc: NoAccountYet) -> Response:
        return go_to(request, "/account")

    @app.exception_handler(NotWhileActing)
    async def not_while_acting(request: Request, exc: NotWhileActing) -> Response:
        return render(request, "carers/not_while_acting.html", {"customer_name": exc.customer_name},
                      status_code=403)

    @app.exception_handler(ActingEnded)
    async def acting_ended(request: Request, _exc: ActingEnded) -> Response:
        if request.headers.get("sec-fetch-mode") not in (None, "navigate") and not is_htmx(request):
            return Response(status_code=403)  # In the background: the next page says why.
        return go_to(request, "/carers")

    @app.exception_handler(SignInLocked)
    async def to_locked_page(request: Request, _exc: SignInLocked) -> Response:
        if request.url.path.startswith("/webauthn/"):  # The passkey script goes where it is told.
            return JSONResponse({"redirect": LOCKED_PAGE})
        return go_to(request, LOCKED_PAGE)

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired) -> Response:
        return go_to(request, sign_in_url(exc.return_to))

    return app

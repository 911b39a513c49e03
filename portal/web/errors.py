"""Error pages inside the layout, each with the way to talk to a person. Never a bare 500."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from portal import i18n
from portal.i18n import lazy_gettext as _l
from portal.logs import request_id
from portal.web.templating import is_htmx, render


@dataclass(frozen=True)
class ErrorPage:
    heading: object
    paragraphs: tuple[object, ...]


PAGES = {
    400: ErrorPage(_l("Sorry, we could not understand that request"), (
        _l("Something in the request was not in the form we expected."),
        _l("Go back, check what you entered and try again."),
    )),
    403: ErrorPage(_l("This form has expired"), (
        _l("To keep your account safe, a form stops working after some time. It also stops if you "
           "opened it from another site."),
        _l("Go back, refresh the page and try again."),
    )),
    404: ErrorPage(_l("Page not found"), (
        _l("If you typed the web address, check it is correct."),
        _l("If you pasted the web address, check you copied all of it."),
    )),
    405: ErrorPage(_l("Sorry, that did not work"), (
        _l("This page cannot do what the browser asked."),
        _l("Go back and try again."),
    )),
    413: ErrorPage(_l("What you sent is too large"), (
        _l("We could not accept it because it was too large."),
        _l("Go back and send something smaller."),
    )),
    500: ErrorPage(_l("Sorry, there is a problem with the service"), (
        _l("We could not do what you asked."),
        _l("Try again later."),
    )),
}


def _page_for(status: int) -> ErrorPage:
    if status in PAGES:
        return PAGES[status]
    return PAGES[500] if status >= 500 else PAGES[400]


def error_page(request: Request, status: int, headers: dict[str, str] | None = None) -> HTMLResponse:
    page = _page_for(status)
    response = render(request, "errors/error.html",
                      {"heading": page.heading, "paragraphs": page.paragraphs, "status": status,
                       "request_id": request_id.get() if status >= 500 else ""},
                      status_code=status, headers=headers, htmx_main=True)
    if is_htmx(request):
        # Whatever the request meant to update, the error replaces the main content.
        response.headers["HX-Retarget"] = "#main-content"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def error_response_for_scope(scope: Scope, status: int) -> Response:
    """For middleware, which has a scope but no routed request."""
    request = Request(scope)
    i18n.set_locale(i18n.negotiate(request.cookies.get(i18n.LOCALE_COOKIE),
                                   request.headers.get("accept-language")))
    return error_page(request, status)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_page(request, exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, _exc: RequestValidationError) -> Response:
        return error_page(request, 400)

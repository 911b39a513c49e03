"""Jinja setup: strict undefined, gettext from the request's locale, versioned static URLs, and
rendering just the main element for htmx requests."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from portal import i18n
from portal.settings import ROOT, Settings
from portal.web.csrf import csrf_token

TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


class StaticUrls:
    """`/static/path?v=<content hash>`: the URL changes when the file does, so it can be cached for a
    year."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, tuple[float, str]] = {}

    def __call__(self, path: str) -> str:
        file = self.directory / path
        mtime = file.stat().st_mtime
        cached = self._cache.get(path)
        if cached is None or cached[0] != mtime:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
            cached = (mtime, digest)
            self._cache[path] = cached
        return f"/static/{path}?v={cached[1]}"


def make_environment(settings: Settings) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.policies["ext.i18n.trimmed"] = True
    env.globals.update(
        settings=settings,
        static_url=StaticUrls(STATIC_DIR),
        languages=i18n.LANGUAGES,
        current_language=i18n.current_language,
        csrf_input=csrf_input,
        csrf_token=csrf_token,
        options=options,
        signed_in=signed_in,
        service_name=lambda: settings.organisation.service_name or i18n.gettext("Manage your account"),
        format_date=i18n.format_date,
        format_money=i18n.format_money,
        format_datetime=lambda value: i18n.format_datetime(value, settings.time_zone),
        format_time=lambda value: i18n.format_time(value.astimezone(ZoneInfo(settings.time_zone)).time()),
        format_local_date=lambda value, fmt="long": i18n.format_date(
            value.astimezone(ZoneInfo(settings.time_zone)).date(), fmt),
        money=lambda pence: i18n.format_money(Decimal(pence) / 100),
        format_number=i18n.format_number,
    )
    return env


class Options(dict):
    """Component params: a missing option reads as None, so macros need no `is defined` tests, while
    page templates stay strict about undefined variables."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def options(value: Any) -> Any:
    if isinstance(value, dict):
        return Options({key: options(item) for key, item in value.items()})
    if isinstance(value, list):
        return [options(item) for item in value]
    return value


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token(request))


def signed_in(request: Request) -> bool:
    state = getattr(request.state, "session", None)  # Absent if the error came before sessions.
    return bool(state and state.person_id)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    htmx_main: bool = False,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a whole page, or only its title and main element when htmx asked for a partial
    update of a page that offers one (`htmx_main`)."""
    env: Environment = request.app.state.templates
    fragment = htmx_main and is_htmx(request)
    full_context = {"request": request, "form": None, "htmx_fragment": fragment, **(context or {})}
    html = env.get_template(template).render(full_context)
    return HTMLResponse(html, status_code=status_code, headers=headers)

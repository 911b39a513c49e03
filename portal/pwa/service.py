"""What the manifest says and what the service worker keeps. No HTTP here.

The worker keeps only public things: our styles and scripts, and the offline page in each language.
Nothing personal is ever on that list, and the worker stores nothing else (static/sw.js)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from portal import i18n
from portal.i18n import gettext as _
from portal.pwa import icons
from portal.settings import Settings
from portal.web.templating import STATIC_DIR, TEMPLATES_DIR

START_URL = "/account"  # People who are signed out are sent to sign in first.
SERVICE_WORKER = STATIC_DIR / "sw.js"
# Folders of static/ whose files the pages use; the worker keeps them all (they are small).
PRECACHED_FOLDERS = ("css", "js", "vendor")
SHORT_NAME_LENGTH = 12  # Longer names are cut off under an icon on most phones.


def offline_url(language: str) -> str:
    return f"/offline?lang={language}"


def short_name(organisation_name: str) -> str:
    """The name under the icon: the organisation's name, or its first word when that is too long."""
    if len(organisation_name) <= SHORT_NAME_LENGTH:
        return organisation_name
    return organisation_name.split()[0]


def manifest(settings: Settings, service_name: str) -> dict[str, Any]:
    """The web app manifest, in the current language."""
    language = i18n.current_language()
    v = icons.version(settings)

    def icon(name: str, purpose: str) -> dict[str, str]:
        size = icons.ICONS[name].size
        return {"src": f"/icons/{name}?v={v}", "sizes": f"{size}x{size}", "type": "image/png",
                "purpose": purpose}

    return {
        "id": "/",
        "name": f"{settings.organisation.name} – {service_name}",
        "short_name": short_name(settings.organisation.name),
        "description": _("See your bills and updates, and talk to a person when you need to."),
        "lang": language.code,
        "dir": language.direction,
        "start_url": START_URL,
        "scope": "/",
        "display": "standalone",
        "theme_color": settings.organisation.brand_colour,
        "background_color": "#ffffff",
        "icons": [icon("icon-192.png", "any"), icon("icon-512.png", "any"),
                  icon("maskable-192.png", "maskable"), icon("maskable-512.png", "maskable")],
    }


def static_files() -> list[str]:
    """Paths under static/ that the worker keeps, like "css/portal.css"."""
    return sorted(str(path.relative_to(STATIC_DIR)) for folder in PRECACHED_FOLDERS
                  for path in (STATIC_DIR / folder).rglob("*") if path.is_file())


def precache(settings: Settings, static_url: Callable[[str], str]) -> list[str]:
    """Every URL the worker stores when it installs: the same versioned URLs the pages ask for."""
    return [*(static_url(path) for path in static_files()),
            f"/theme.css?v={settings.organisation.brand_colour[1:]}",
            *(offline_url(code) for code in i18n.LANGUAGES)]


def _files_digest(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for file in sorted(files):
        digest.update(str(file).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def release_version(settings: Settings, urls: list[str]) -> str:
    """Changes whenever anything the worker stores could change: a new release, a static file, a
    template or translation (the offline page), or a setting the offline page shows. A new version
    is a new worker, which empties the old caches when it takes over."""
    try:
        release = package_version("portal")
    except PackageNotFoundError:  # pragma: no cover (run from a copy that was never installed)
        release = "unknown"
    # Named as before the settings had groups, so the version (and browsers' caches) stay as they were.
    organisation, help_ = settings.organisation, settings.help
    shown = {"organisation_name": organisation.name, "service_name": organisation.service_name,
             "brand_colour": organisation.brand_colour, "help_phone": help_.phone,
             "help_phone_international": help_.phone_international, "help_relay_uk": help_.relay_uk,
             "help_hours": help_.hours, "time_zone": settings.time_zone}
    files = [*(path for path in STATIC_DIR.rglob("*") if path.is_file()),
             *(path for path in TEMPLATES_DIR.rglob("*.html")),
             *i18n.I18N_DIR.rglob("*.mo")]
    digest = hashlib.sha256()
    digest.update(release.encode())
    digest.update(json.dumps(shown, sort_keys=True, default=str).encode())
    digest.update(json.dumps(urls).encode())
    digest.update(_files_digest(files).encode())
    return digest.hexdigest()[:16]


def worker_config(settings: Settings, static_url: Callable[[str], str]) -> dict[str, Any]:
    urls = precache(settings, static_url)
    return {
        "version": release_version(settings, urls),
        "precache": urls,
        "offline": {code: offline_url(code) for code in i18n.LANGUAGES},
        "fallbackLanguage": i18n.DEFAULT_LOCALE,
        "languageCookie": i18n.LOCALE_COOKIE,
    }


def worker_script(settings: Settings, static_url: Callable[[str], str]) -> str:
    """static/sw.js with its settings in front: the version and what to store."""
    config = json.dumps(worker_config(settings, static_url), indent=1)
    return f"const CONFIG = {config};\n\n{SERVICE_WORKER.read_text()}"

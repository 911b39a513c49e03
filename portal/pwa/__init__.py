"""The installable app: the web app manifest, its icons, the service worker and the offline page."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.pwa import routes

    return [routes.router]

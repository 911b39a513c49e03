"""Your contact details, with a code to the new email or phone before a change takes effect."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.details import routes

    return [routes.router]

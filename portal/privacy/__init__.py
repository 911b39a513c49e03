"""Your data: a copy of everything we hold, and the history of what you agreed to."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.privacy import routes

    return [routes.router]

"""Communication and access needs: how each person wants us to contact them, and what helps."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.needs import routes

    return [routes.router]

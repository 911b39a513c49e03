"""Demo mode: sample people and accounts, and sign-in as a persona. Never in production."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.demo import routes

    return [routes.router]

"""Every way to reach a person."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.help import callback_routes, conversation_routes, routes

    return [routes.router, callback_routes.router, conversation_routes.router]

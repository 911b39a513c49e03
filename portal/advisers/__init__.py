"""The adviser console: a queue of callbacks, messages and chats, and the customer in front of the adviser."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.advisers import lock_routes, routes

    return [routes.router, lock_routes.router]

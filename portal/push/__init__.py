"""Web push: notifications on a phone or computer for status updates, for devices that opt in."""

from __future__ import annotations

from fastapi import APIRouter

from portal.push import sender as sender  # Hands the outbox its web push provider.


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.push import routes

    return [routes.router]

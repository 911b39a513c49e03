"""Carers: people a customer lets act for them, within limits the customer chooses."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.carers import adviser_routes, routes

    return [routes.router, adviser_routes.router]

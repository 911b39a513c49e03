"""Who is acting: people who sign in, their roles, and the one access check."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.identity import routes, security_routes, set_up_routes, webauthn_routes

    return [routes.router, set_up_routes.router, webauthn_routes.router, security_routes.router]

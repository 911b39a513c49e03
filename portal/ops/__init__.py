"""Operations staff publish incidents (outages, low pressure, delays) for a service and an area."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.ops import routes

    return [routes.router]

"""Customer accounts: the thing a customer, carer or adviser acts on."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    """This feature's pages, for the app to include (imported here, not at the top, so that loading
    any part of the feature does not load its routes)."""
    from portal.accounts import bill_routes, case_routes, routes, usage_routes

    return [routes.router, bill_routes.router, usage_routes.router, case_routes.router]

"""Every route the app serves, with its full path and methods.

FastAPI 0.16x keeps included routers as nested entries in `app.routes`, so a plain loop over it sees
no pages at all; `iter_route_contexts` walks into them."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]


def api_routes(app: FastAPI) -> list[RouteInfo]:
    found = [RouteInfo(context.path, frozenset(context.methods or ()))
             for context in iter_route_contexts(app.routes)
             if isinstance(context.original_route, APIRoute) and context.path]
    assert len(found) > 20, "the route table looks empty: has FastAPI changed how it keeps routes?"
    return found

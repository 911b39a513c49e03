"""Shared request dependencies, and the request's own things for code that has the request in hand.

Features use these instead of reading `request.app.state` or `request.state` themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from portal.broker import Broker
from portal.settings import Settings
from portal.web.sessions import SessionState


def db_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def broker_of(request: Request) -> Broker:
    """The app's publish/subscribe broker (one per running server)."""
    broker: Broker = request.app.state.broker
    return broker


def web_session(request: Request) -> SessionState:
    """The browser's server-side session (portal/web/sessions.py)."""
    state: SessionState = request.state.session
    return state



# The session closes when the handler returns, before the response is sent: a live stream (server-sent
# events) must not hold a pooled connection for as long as the browser stays connected.
SessionDep = Annotated[Session, Depends(db_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
BrokerDep = Annotated[Broker, Depends(broker_of)]
WebSessionDep = Annotated[SessionState, Depends(web_session)]

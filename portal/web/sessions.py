"""Server-side sessions.

The browser holds only an opaque random id; the database keeps a hash of it with the session's data,
so a leaked database does not hand out live sessions. Sessions end after a spell of idleness and after
an absolute limit, whichever comes first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from anyio import to_thread
from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, col, delete, update
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.clock import aware, utcnow
from portal.settings import Settings

# Only write `last_seen_at` this often, so reading pages does not mean a database write each time.
TOUCH_INTERVAL = dt.timedelta(seconds=60)


def hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def still_signed_in(db: Session, session_id: str, person_id: int, idle: dt.timedelta) -> bool:
    """For a live stream: this browser's session still belongs to the person and has not been idle
    too long (the stream's own traffic does not count as use)."""
    record = db.get(WebSession, hash_id(session_id))
    return (record is not None and record.person_id == person_id
            and utcnow() - aware(record.last_seen_at) <= idle)


class WebSession(SQLModel, table=True):
    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True,
                                  ondelete="CASCADE")
    data: str = "{}"
    user_agent: str = Field(default="", max_length=300)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_seen_at: dt.datetime = Field(default_factory=utcnow)


@dataclass
class SessionState:
    """The session as a request sees it. Change it through the methods so it gets saved."""

    id: str
    data: dict[str, Any] = field(default_factory=dict)
    person_id: int | None = None
    is_new: bool = True
    needs_saving: bool = False
    # Only the last-seen time is due an update: the data is left as another request may have saved it.
    needs_touch: bool = False
    ended: bool = False
    previous_id: str | None = None

    def mark(self) -> None:
        self.needs_saving = True

    def take(self, key: str, *only: Any) -> Any:
        """A one-off value (a "your change is saved" message): removed as it is read. With `only`,
        a value meant for some other page is left for that page."""
        if key not in self.data or (only and self.data[key] not in only):
            return None
        self.needs_saving = True
        return self.data.pop(key)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.needs_saving = True

    def sign_in(self, person_id: int) -> None:
        """A fresh id at every sign-in, so an id seen before sign-in is worth nothing after."""
        self.rotate()
        self.person_id = person_id
        self.data.pop("acting_for", None)  # Whoever signs in acts for nobody until they choose.

    def rotate(self) -> None:
        if not self.is_new:
            self.previous_id = self.id
        self.id = secrets.token_urlsafe(32)
        self.is_new = True
        self.needs_saving = True

    def end(self) -> None:
        self.ended = True
        self.person_id = None


class SessionStore:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.idle = dt.timedelta(minutes=settings.session_idle_minutes)
        self.maximum = dt.timedelta(hours=settings.session_max_hours)

    def load(self, session_id: str) -> tuple[SessionState | None, bool]:
        """The live session for this id, and whether its last-seen time is due an update."""
        with Session(self.engine) as db:
            record = db.get(WebSession, hash_id(session_id))
            if record is None:
                return None, False
            now = utcnow()
            if now - record.last_seen_at > self.idle or now - record.created_at > self.maximum:
                db.delete(record)
                db.commit()
                return None, False
            state = SessionState(id=session_id, data=json.loads(record.data),
                                 person_id=record.person_id, is_new=False)
            return state, now - record.last_seen_at > TOUCH_INTERVAL

    def save(self, state: SessionState, user_agent: str) -> None:
        with Session(self.engine) as db:
            if state.previous_id:
                db.exec(delete(WebSession).where(col(WebSession.id_hash) == hash_id(state.previous_id)))
            if state.ended:
                db.exec(delete(WebSession).where(col(WebSession.id_hash) == hash_id(state.id)))
            elif not state.needs_saving:
                # Frequent background requests (a shared screen's changes, live streams) only say the
                # person is still here: writing back the data they read would undo a change made by
                # a request that ran at the same time.
                db.exec(update(WebSession).where(
                    col(WebSession.id_hash) == hash_id(state.id)).values(last_seen_at=utcnow()))
            else:
                data, seen = json.dumps(state.data), utcnow()
                if state.is_new:
                    db.add(WebSession(id_hash=hash_id(state.id), user_agent=user_agent[:300], data=data,
                                      person_id=state.person_id, last_seen_at=seen))
                else:
                    # One statement: if the session ended elsewhere while this request ran (signed
                    # out, "sign out everywhere else", or a sign-in in another tab replaced it), it
                    # changes nothing, and the session is never brought back.
                    db.exec(update(WebSession).where(col(WebSession.id_hash) == hash_id(state.id))
                            .values(data=data, person_id=state.person_id, last_seen_at=seen))
            db.commit()


class SessionMiddleware:
    """Loads the session before the request and saves it, and its cookie, when the response starts."""

    def __init__(self, app: ASGIApp, store: SessionStore, settings: Settings) -> None:
        self.app = app
        self.store = store
        self.cookie_name = "__Host-portal_session" if settings.secure_cookies else "portal_session"
        self.secure = settings.secure_cookies
        self.max_age = settings.session_max_hours * 3600

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        cookie = connection.cookies.get(self.cookie_name)
        state, due_touch = (None, False)
        if cookie:
            state, due_touch = await to_thread.run_sync(self.store.load, cookie)
        if state is None:
            state = SessionState(id=secrets.token_urlsafe(32))
        if due_touch:
            state.needs_touch = True
        scope.setdefault("state", {})["session"] = state
        user_agent = connection.headers.get("user-agent", "")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and (
                    state.needs_saving or state.needs_touch or state.ended):
                await to_thread.run_sync(self.store.save, state, user_agent)
                headers = MutableHeaders(scope=message)
                if state.ended:
                    headers.append("Set-Cookie", self._cookie("", max_age=0))
                elif state.is_new:
                    headers.append("Set-Cookie", self._cookie(state.id, max_age=self.max_age))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, value: str, max_age: int) -> str:
        parts = [f"{self.cookie_name}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly",
                 "SameSite=Lax"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)

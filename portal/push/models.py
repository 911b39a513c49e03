from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class PushSubscription(SQLModel, table=True):
    """One device (one browser on a phone or computer) that gets web push notifications.

    The endpoint is the push service's address for that browser, so it is unique: when the same
    browser subscribes again, its row is updated, never doubled. The keys encrypt each message for
    that browser alone (aes128gcm)."""

    __tablename__ = "push_subscription"
    __table_args__ = (sa.UniqueConstraint("endpoint", name="uq_push_subscription_endpoint"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    endpoint: str = Field(sa_type=sa.Text)
    p256dh: str = Field(max_length=200)  # The browser's public key, base64url.
    auth: str = Field(max_length=100)  # The browser's auth secret, base64url.
    # The web session it was made in (web_session.id_hash), so signing out there removes it.
    session_hash: str = Field(max_length=64, index=True)
    user_agent: str = Field(default="", max_length=300)  # Shown as "Chrome on Android".
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_used_at: dt.datetime | None = None  # When a push service last took a message for it.

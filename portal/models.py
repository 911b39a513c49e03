"""Every table, imported in one place for Alembic and for creating test databases."""

from portal.accounts.models import CustomerAccount
from portal.activity.models import ActivityEntry
from portal.identity.models import OneTimeCode, Passkey, Person, WebAuthnChallenge
from portal.notify.models import InboxMessage, OutboxMessage
from portal.web.ratelimit import RateLimitHit
from portal.web.sessions import WebSession

__all__ = ["ActivityEntry", "CustomerAccount", "InboxMessage", "OneTimeCode", "OutboxMessage",
           "Passkey", "Person", "RateLimitHit", "WebAuthnChallenge", "WebSession"]

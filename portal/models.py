"""Every table, imported in one place for Alembic and for creating test databases."""

from portal.accounts.models import CustomerAccount
from portal.activity.models import ActivityEntry
from portal.identity.models import Person
from portal.web.sessions import WebSession

__all__ = ["ActivityEntry", "CustomerAccount", "Person", "WebSession"]

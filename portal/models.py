"""Every table, imported in one place for Alembic and for creating test databases."""

from portal.accounts.models import (
    Appointment,
    Bill,
    BillLine,
    Case,
    CaseStep,
    CustomerAccount,
    MeterReading,
    Payment,
    PaymentPlan,
    Service,
)
from portal.activity.models import ActivityEntry
from portal.carers.models import CarerAuthority
from portal.cobrowse.models import ScreenFrame, ScreenShare
from portal.help.models import HelpMessage, HelpRequest
from portal.identity.models import OneTimeCode, Passkey, Person, WebAuthnChallenge
from portal.needs.models import CommunicationNeeds
from portal.notify.models import InboxMessage, OutboxMessage
from portal.ops.models import Incident, IncidentVersion
from portal.privacy.models import ConsentRecord
from portal.push.models import PushSubscription
from portal.updates.models import Delivery, Update, UpdatePreferences, UsageAlert
from portal.web.ratelimit import RateLimitHit
from portal.web.sessions import WebSession

__all__ = [
    "ActivityEntry",
    "Appointment",
    "Bill",
    "BillLine",
    "CarerAuthority",
    "Case",
    "CaseStep",
    "CommunicationNeeds",
    "ConsentRecord",
    "CustomerAccount",
    "Delivery",
    "HelpMessage",
    "HelpRequest",
    "InboxMessage",
    "Incident",
    "IncidentVersion",
    "MeterReading",
    "OneTimeCode",
    "OutboxMessage",
    "Passkey",
    "Payment",
    "PaymentPlan",
    "Person",
    "PushSubscription",
    "RateLimitHit",
    "ScreenFrame",
    "ScreenShare",
    "Service",
    "Update",
    "UpdatePreferences",
    "UsageAlert",
    "WebAuthnChallenge",
    "WebSession",
]

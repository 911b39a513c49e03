"""A person's choices about updates (/updates/settings): channels per kind, quiet hours, a daily
limit, and usage alerts for the metered services on the accounts they may see.

Reading gives what the rules would use today (the defaults until the person saves). Saving writes
everything in one transaction with an activity entry; saving the same choices twice changes nothing
more, and two saves racing each other both succeed (the later one wins)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.access import Actor
from portal.accounts.models import CustomerAccount, Service, ServiceStatus
from portal.accounts.service import accounts_for, services_of
from portal.activity import service as activity
from portal.clock import utcnow
from portal.db import id_of
from portal.updates import rules
from portal.updates.models import DeliveryChannel, UpdateKind, UpdatePreferences, UsageAlert

MAX_USAGE_LIMIT = 100_000  # kWh or m³ in a month: far above any home.


@dataclass(frozen=True)
class Metered:
    """A service we can measure, on an account the person may see, and their limit for it."""

    service: Service
    account: CustomerAccount
    limit: int | None

    @property
    def id(self) -> int:
        return id_of(self.service)


@dataclass(frozen=True)
class Current:
    recipient: rules.Recipient  # Their email, phone, and the preferences the rules use today.
    metered: list[Metered]

    @property
    def preferences(self) -> rules.Preferences:
        return self.recipient.preferences


@dataclass(frozen=True)
class Choices:
    channels: Mapping[UpdateKind, frozenset[DeliveryChannel]]  # Beyond the portal.
    quiet_from: dt.time | None  # Both None: no quiet hours.
    quiet_until: dt.time | None
    daily_cap: int  # 0: no limit.
    usage: Mapping[int, int | None]  # Service id -> monthly limit; None removes it.


def metered_services(db: Session, actor: Actor) -> list[Metered]:
    services = [(service, account) for account in accounts_for(db, actor)
                for service in services_of(db, account.id or 0)
                if service.kind.metered and service.status is not ServiceStatus.ended]
    ids = [service.id for service, _ in services]
    limits = {a.service_id: a.monthly_units for a in db.exec(
        select(UsageAlert).where(col(UsageAlert.service_id).in_(ids))).all()}
    return [Metered(service, account, limits.get(service.id or 0)) for service, account in services]


def current(db: Session, actor: Actor) -> Current:
    recipient = rules.recipients(db, [actor.person_id])[actor.person_id]
    return Current(recipient, metered_services(db, actor))


def save(db: Session, actor: Actor, choices: Choices, now: dt.datetime | None = None) -> None:
    """Store the choices and log that they changed; commits."""
    now = now or utcnow()
    for attempt in range(2):
        try:
            _write(db, actor, choices, now)
            db.commit()
            return
        except IntegrityError:  # Another save made the same row first: update that one instead.
            db.rollback()
            if attempt:
                raise


def _write(db: Session, actor: Actor, choices: Choices, now: dt.datetime) -> None:
    row = db.exec(select(UpdatePreferences).where(
        UpdatePreferences.person_id == actor.person_id)).first() or UpdatePreferences(
        person_id=actor.person_id)
    row.channels = json.dumps({kind.value: sorted(c.value for c in choices.channels.get(kind, ()))
                               for kind in UpdateKind}, sort_keys=True)
    row.quiet_from, row.quiet_until = choices.quiet_from, choices.quiet_until
    row.daily_cap = choices.daily_cap
    row.updated_at = now
    db.add(row)
    # Only services this person may see; anything else in `choices.usage` is ignored.
    limits = 0
    for metered in metered_services(db, actor):
        wanted = choices.usage.get(metered.id)
        alert = db.exec(select(UsageAlert).where(UsageAlert.service_id == metered.id)).first()
        if wanted is None:
            if alert is not None:
                db.delete(alert)
            continue
        limits += 1
        if alert is None:
            alert = UsageAlert(person_id=actor.person_id, service_id=metered.id, monthly_units=wanted,
                               created_at=now)
        alert.person_id, alert.monthly_units = actor.person_id, wanted
        db.add(alert)
    db.flush()
    quiet = (f"{choices.quiet_from:%H:%M}-{choices.quiet_until:%H:%M}"
             if choices.quiet_from and choices.quiet_until else "none")
    activity.record(db, actor_person_id=actor.person_id, action="update_preferences_changed",
                    detail=f"quiet hours {quiet}; daily limit {choices.daily_cap or 'none'}; "
                           f"usage limits {limits}")

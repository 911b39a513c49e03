"""Incidents: operations staff publish, update, correct and resolve them; anyone reads /status.

Every change is a new IncidentVersion, stored with the incident and its activity entry in one
transaction. Telling people is the worker's job (portal/updates/fanout.py): after the commit we only
nudge it, so publishing returns at once whatever the number of people affected.

Sending a form twice makes one thing. A new incident's reference is chosen when its form is shown and
travels with it, and references are unique; a change says which version it was written against, and
(incident, version) is unique. So a second copy of either finds its work done, and a change written
against a version someone else has since replaced is refused rather than silently overwriting it."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select, update

from portal.access import Actor, Permission, can
from portal.accounts.models import ServiceKind
from portal.activity.service import record
from portal.broker import Broker, BrokerError
from portal.clock import aware, utcnow
from portal.db import id_of
from portal.ops.models import (
    REFERENCE_LETTERS,
    Confidence,
    Incident,
    IncidentStage,
    IncidentVersion,
    new_incident_reference,
)
from portal.updates.service import WORK_CHANNEL

logger = logging.getLogger(__name__)
RECENT = dt.timedelta(days=7)  # Fixed incidents stay on /status this long.
OPS_RECENT = dt.timedelta(days=30)  # And on the operations list this long.
REFERENCE = re.compile(f"IN-[{REFERENCE_LETTERS}]{{5}}")


def get_now() -> dt.datetime:
    """The current moment, as a FastAPI dependency; tests freeze it with `app.dependency_overrides`."""
    return utcnow()


def looks_like_reference(value: str) -> bool:
    return REFERENCE.fullmatch(value) is not None


@dataclass(frozen=True)
class Draft:
    """What operations staff wrote, checked (see forms.py)."""

    title: str
    what_is_happening: str
    who_is_affected: str
    what_to_do: str
    stage: IncidentStage
    expected_fix_at: dt.datetime | None
    confidence: Confidence
    service: ServiceKind | None = None  # None: as it was (a resolution does not change it).
    areas: tuple[str, ...] = ()  # Empty: as they were.
    safety_critical: bool | None = None  # None: as it was.


class Change(StrEnum):
    update = "update"  # News: a new stage, new words, a new fix time.
    correct = "correct"  # Puts right what the current version got wrong.
    resolve = "resolve"  # Fixed.


class Outcome(StrEnum):
    made = "made"
    already = "already"  # The same form came again: the first copy made it.
    stale = "stale"  # Someone changed the incident after this form was shown.


@dataclass(frozen=True)
class Listed:
    incident: Incident
    current: IncidentVersion


# Reading


def by_reference(db: Session, actor: Actor, reference: str) -> Incident | None:
    """The incident, for someone who may publish incidents."""
    if not looks_like_reference(reference):
        return None
    found = db.exec(select(Incident).where(Incident.reference == reference)).first()
    return found if found is not None and can(actor, found, Permission.publish_incidents) else None


def versions(db: Session, incident: Incident) -> list[IncidentVersion]:
    """Newest first."""
    return list(db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident.id)
                        .order_by(col(IncidentVersion.version).desc())).all())


class Sent(StrEnum):
    sending = "sending"  # Waiting for, or with, a worker.
    sent = "sent"
    replaced = "replaced"  # A newer version came before a worker got to it: it went to nobody.


@dataclass(frozen=True)
class Said:
    """A version in the history, with what became of it."""

    version: IncidentVersion
    sent: Sent


def history(db: Session, incident: Incident) -> list[Said]:
    """Every version, newest first."""
    found = versions(db, incident)
    said = []
    for number, version in enumerate(found):
        newer = found[number - 1] if number else None
        if version.fanned_out_at is None:
            sent = Sent.sending
        elif (version.reached == 0 and newer is not None
              and aware(newer.created_at) <= aware(version.fanned_out_at)):
            sent = Sent.replaced
        else:
            sent = Sent.sent
        said.append(Said(version, sent))
    return said


def current_version(db: Session, incident: Incident) -> IncidentVersion:
    return db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident.id,
                                                 IncidentVersion.version == incident.version)).one()


def _listed(db: Session, incidents: list[Incident]) -> list[Listed]:
    if not incidents:
        return []
    versions = db.exec(select(IncidentVersion).where(
        col(IncidentVersion.incident_id).in_([i.id for i in incidents])))
    latest: dict[tuple[int | None, int], IncidentVersion] = {(v.incident_id, v.version): v for v in versions}
    return [Listed(i, latest[(i.id, i.version)]) for i in incidents if (i.id, i.version) in latest]


def _incidents(db: Session, now: dt.datetime, resolved_for: dt.timedelta
               ) -> tuple[list[Listed], list[Listed]]:
    found = list(db.exec(select(Incident).where(or_(
        Incident.stage != IncidentStage.resolved, col(Incident.resolved_at) >= now - resolved_for))))
    still = sorted((i for i in found if i.stage is not IncidentStage.resolved),
                   key=lambda i: (aware(i.updated_at), i.id or 0), reverse=True)
    fixed = sorted((i for i in found if i.stage is IncidentStage.resolved),
                   key=lambda i: (aware(i.resolved_at or i.updated_at), i.id or 0), reverse=True)
    return _listed(db, still), _listed(db, fixed)


def for_operations(db: Session, now: dt.datetime) -> tuple[list[Listed], list[Listed]]:
    """Open incidents, the latest news first; then those fixed in the last 30 days."""
    return _incidents(db, now, OPS_RECENT)


def public_status(db: Session, now: dt.datetime) -> tuple[list[Listed], list[Listed]]:
    """For /status: what is wrong now, and what was fixed in the last 7 days."""
    return _incidents(db, now, RECENT)


# Changing


def new_reference_or(value: str) -> str:
    """The reference the form carried, if it looks like one; otherwise a fresh one."""
    return value if looks_like_reference(value) else new_incident_reference()


def publish(db: Session, actor: Actor, draft: Draft, reference: str, now: dt.datetime
            ) -> tuple[Incident, bool]:
    """Store a new incident and its first version, and commit. Sending the same form again returns
    the first incident: `(incident, created)`."""
    assert can(actor, None, Permission.publish_incidents) and draft.service is not None
    for _attempt in range(3):
        existing = db.exec(select(Incident).where(Incident.reference == reference)).first()
        if existing is not None:
            if _same_incident(db, actor, existing, draft):
                return existing, False
            reference = new_incident_reference()  # Another incident has that reference.
            continue
        incident = Incident(reference=reference, service=draft.service, areas=" ".join(draft.areas),
                            safety_critical=bool(draft.safety_critical), stage=draft.stage, version=1,
                            created_by_person_id=actor.person_id, created_at=now, updated_at=now)
        db.add(incident)
        try:
            db.flush()
        except IntegrityError:  # The same form, a moment ago.
            db.rollback()
            continue
        db.add(_version(id_of(incident), 1, draft, actor, now, is_correction=False))
        record(db, actor_person_id=actor.person_id, action="incident_published",
               detail=f"{reference} v1 {draft.service.value} {' '.join(draft.areas)}")
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            continue
        return incident, True
    raise RuntimeError("could not store the incident")


def _same_incident(db: Session, actor: Actor, incident: Incident, draft: Draft) -> bool:
    """Whether `incident` is what this form made the first time it was sent."""
    first = db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident.id,
                                                  IncidentVersion.version == 1)).first()
    return (first is not None and incident.created_by_person_id == actor.person_id
            and incident.service == draft.service and first.title == draft.title
            and first.what_is_happening == draft.what_is_happening)


def change(db: Session, actor: Actor, incident: Incident, draft: Draft, kind: Change, from_version: int,
           now: dt.datetime) -> Outcome:
    """Add a version written against `from_version`, and commit. Refused (`stale`) if the incident has
    moved on since, unless it moved on by this very change sent twice (`already`)."""
    assert can(actor, incident, Permission.publish_incidents)
    incident_id = id_of(incident)
    if incident.version != from_version:
        return _why_not(db, actor, incident, draft, kind, from_version)
    next_version = from_version + 1
    values: dict[str, object] = {"version": next_version, "stage": draft.stage, "updated_at": now,
                                 "resolved_at": now if draft.stage is IncidentStage.resolved else None}
    if kind is Change.correct and incident.stage is IncidentStage.resolved:
        values["resolved_at"] = incident.resolved_at  # Putting right a fixed one keeps its time.
    if draft.service is not None:
        values["service"] = draft.service
    if draft.areas:
        values["areas"] = " ".join(draft.areas)
    if draft.safety_critical is not None:
        values["safety_critical"] = draft.safety_critical
    # Only if nobody got there first: the row is locked until we commit.
    moved = db.exec(update(Incident).where(
        col(Incident.id) == incident_id, col(Incident.version) == from_version).values(**values)).rowcount
    if moved != 1:
        db.rollback()
        db.refresh(incident)
        return _why_not(db, actor, incident, draft, kind, from_version)
    db.add(_version(incident_id, next_version, draft, actor, now, is_correction=kind is Change.correct))
    record(db, actor_person_id=actor.person_id, action=f"incident_{kind.value}",
           detail=f"{incident.reference} v{next_version} {draft.stage.value}")
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        db.refresh(incident)
        return _why_not(db, actor, incident, draft, kind, from_version)
    db.refresh(incident)
    return Outcome.made


def _why_not(db: Session, actor: Actor, incident: Incident, draft: Draft, kind: Change,
             from_version: int) -> Outcome:
    later = db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident.id,
                                                  IncidentVersion.version == from_version + 1)).first()
    same = (later is not None and later.created_by_person_id == actor.person_id
            and later.is_correction == (kind is Change.correct) and later.stage is draft.stage
            and (later.title, later.what_is_happening, later.who_is_affected, later.what_to_do)
            == (draft.title, draft.what_is_happening, draft.who_is_affected, draft.what_to_do))
    return Outcome.already if same else Outcome.stale


def _version(incident_id: int, number: int, draft: Draft, actor: Actor, now: dt.datetime, *,
             is_correction: bool) -> IncidentVersion:
    return IncidentVersion(incident_id=incident_id, version=number, stage=draft.stage, title=draft.title,
                           what_is_happening=draft.what_is_happening,
                           who_is_affected=draft.who_is_affected, what_to_do=draft.what_to_do,
                           expected_fix_at=draft.expected_fix_at, confidence=draft.confidence,
                           is_correction=is_correction, created_by_person_id=actor.person_id,
                           created_at=now)


def nudge(broker: Broker) -> None:
    """Tell the workers there is a version to fan out. If the broker is down, they find it on their
    next round anyway."""
    try:
        broker.publish_sync(WORK_CHANNEL, {})
    except BrokerError as error:
        logger.warning("Could not nudge the workers: %s", error)

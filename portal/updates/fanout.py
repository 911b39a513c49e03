"""Fan-out: one update for each person an incident version reaches, with its deliveries, in bulk.

Publishing an incident only stores it (portal/ops/service.py); a worker calls `fan_out_pending`,
which claims each version not yet fanned out (a conditional UPDATE, so with several workers each
version is taken by one), finds who it reaches, and makes their updates and deliveries a thousand
people at a time, committing each batch. Who it reaches:

- the holders of accounts with a working service of the incident's kind (active, or with a fault
  reported: their supply is still ours) whose postcode district is in the incident's areas, and
- everyone told about an earlier version of the incident, so a correction or the fix reaches
  everyone who heard the first news, even if their area was taken off.

A version waits until every earlier version of its incident is done, so that second group is
complete. A version already replaced by a newer one when its turn comes (the workers were behind) is
passed over, reaching nobody: people hear only the newest news, and the newer version still reaches
everyone told before.

Everything is idempotent: an update's `source_key` ("incident:3:v2") is unique per person, and
inserts skip what is there already, so a worker that dies half way leaves batches that the next
worker to claim the version (once the claim runs out) simply passes over.

Live events are not sent from here: the worker sends one when it delivers the portal delivery."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Engine, Table, func, or_, text
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select, update

from portal.accounts.models import CustomerAccount, Service, ServiceStatus
from portal.db import id_of
from portal.ops.models import Incident, IncidentVersion
from portal.updates import rules
from portal.updates.models import Delivery, Update, UpdateKind

BATCH = 1000  # People per transaction (and per `rules.recipients` call, which makes 4 queries).
CLAIM = dt.timedelta(minutes=5)  # How long a claim lasts without news from its worker.
IN_SERVICE = (ServiceStatus.active, ServiceStatus.fault)
MESSAGE = "incident"
Plans = dict[tuple[Any, ...], list[dict[str, Any]]]  # A plan for each kind of recipient.
IDENTITY = frozenset({"person_id", "email", "phone"})  # Whether there is one matters, not which.
DELIVERY_COLUMNS = tuple(c.name for c in Delivery.__table__.columns  # type: ignore[attr-defined]
                         if c.name != "id")


def source_key(incident_id: int, version: int) -> str:
    return f"incident:{incident_id}:v{version}"


def status_link(incident: Incident) -> str:
    return f"/status#{incident.reference}"


def outward_code(postcode: str) -> str:
    """The postcode district: "nf2 9ef" -> "NF2". Without a space, all but the last 3 characters
    (the inward code is always 3 long), so "NF29EF" works too."""
    cleaned = postcode.strip().upper()
    if " " in cleaned:
        return cleaned.split()[0]
    return cleaned[:-3] if len(cleaned) > 3 else cleaned


def fan_out_pending(engine: Engine, worker_id: str, now: dt.datetime) -> int:
    """Fan out every version that is waiting (oldest first). Returns how many versions this worker
    finished."""
    done = 0
    while (version_id := _claim_next(engine, worker_id, now)) is not None:
        if _fan_out(engine, version_id, worker_id, now):
            done += 1
    return done


def _claim_next(engine: Engine, worker_id: str, now: dt.datetime) -> int | None:
    """Claim one version whose turn has come: not fanned out, not claimed by a live worker, and
    every earlier version of its incident done."""
    earlier = aliased(IncidentVersion)
    waiting_before = (select(earlier.id).where(earlier.incident_id == IncidentVersion.incident_id,
                                               earlier.version < IncidentVersion.version,
                                               col(earlier.fanned_out_at).is_(None)).exists())
    free = or_(col(IncidentVersion.claimed_until).is_(None), col(IncidentVersion.claimed_until) < now)
    with Session(engine) as db:
        candidates = db.exec(select(IncidentVersion.id).where(
            col(IncidentVersion.fanned_out_at).is_(None), free, ~waiting_before)
            .order_by(col(IncidentVersion.id)).limit(20)).all()
        for version_id in candidates:
            claimed = db.exec(update(IncidentVersion).where(
                col(IncidentVersion.id) == version_id, col(IncidentVersion.fanned_out_at).is_(None), free)
                .values(claimed_by=worker_id, claimed_until=now + CLAIM)).rowcount
            db.commit()
            if claimed == 1:
                return version_id
    return None


def _keep_claim(db: Session, version_id: int, worker_id: str, until: dt.datetime) -> bool:
    """Renew this worker's claim, in the batch's transaction; False if it has lost it (another worker
    took over a claim that ran out, or the version is done)."""
    kept = db.exec(update(IncidentVersion).where(
        col(IncidentVersion.id) == version_id, col(IncidentVersion.claimed_by) == worker_id,
        col(IncidentVersion.fanned_out_at).is_(None)).values(claimed_until=until)).rowcount
    return bool(kept == 1)


def _fan_out(engine: Engine, version_id: int, worker_id: str, now: dt.datetime) -> bool:
    started = time.monotonic()
    with Session(engine, expire_on_commit=False) as db:
        version = db.get(IncidentVersion, version_id)
        incident = db.get(Incident, version.incident_id) if version is not None else None
        if version is None or incident is None:
            return False
        key = source_key(id_of(incident), version.version)
        # Already replaced (the worker was behind): people hear only the newest news.
        people = audience(db, incident) if version.version == incident.version else {}
        ids = sorted(people)
        plans: Plans = {}
        for start in range(0, len(ids), BATCH):
            # The claim lasts CLAIM from now on the worker's own clock (`now` may be a test's).
            if not _keep_claim(db, version_id, worker_id,
                               now + CLAIM + dt.timedelta(seconds=time.monotonic() - started)):
                db.rollback()
                return False
            _make_updates(db, incident, version, key, ids[start:start + BATCH], people, plans, now)
            db.commit()
        reached = db.exec(select(func.count()).select_from(Update).where(
            Update.incident_id == incident.id, Update.source_key == key)).one()
        finished = db.exec(update(IncidentVersion).where(
            col(IncidentVersion.id) == version_id, col(IncidentVersion.claimed_by) == worker_id,
            col(IncidentVersion.fanned_out_at).is_(None))
            .values(fanned_out_at=now, reached=reached, claimed_until=None)).rowcount
        db.commit()
        return bool(finished == 1)


def audience(db: Session, incident: Incident) -> dict[int, int | None]:
    """Everyone this incident reaches now, with the account to file their update under."""
    areas = {area.upper() for area in incident.area_list}
    people: dict[int, int | None] = {}
    if areas:
        # LIKE narrows it down in the database; the district is checked exactly here.
        rows = db.exec(select(CustomerAccount.holder_person_id, CustomerAccount.id, CustomerAccount.postcode)
                       .join(Service, col(Service.account_id) == col(CustomerAccount.id))
                       .where(col(CustomerAccount.holder_person_id).is_not(None),
                              Service.kind == incident.service, col(Service.status).in_(IN_SERVICE),
                              or_(*(func.upper(CustomerAccount.postcode).like(f"{area}%")
                                    for area in sorted(areas))))
                       .order_by(col(CustomerAccount.id))).all()
        for person_id, account_id, postcode in rows:
            if person_id is not None and outward_code(postcode) in areas:
                people.setdefault(person_id, account_id)
    for person_id, account_id in db.exec(select(Update.person_id, Update.account_id).where(
            Update.incident_id == incident.id).order_by(col(Update.id))).all():
        people.setdefault(person_id, account_id)
    return people


def _make_updates(db: Session, incident: Incident, version: IncidentVersion, key: str,
                  batch: Sequence[int], people: dict[int, int | None],
                  plans: Plans, now: dt.datetime) -> None:
    told = set(db.exec(select(Update.person_id).where(col(Update.person_id).in_(batch),
                                                      Update.source_key == key)).all())
    who = rules.recipients(db, [p for p in batch if p not in told])
    if not who:
        return
    params = json.dumps({"incident_id": incident.id, "version": version.version}, sort_keys=True)
    base = {"kind": UpdateKind.incidents, "message": MESSAGE, "params": params,
            "link": status_link(incident), "needs_action": False,
            "safety_critical": incident.safety_critical, "source_key": key, "incident_id": incident.id,
            "created_at": now, "seen_at": None, "done_at": None, "reminders_stopped_at": None}
    made = _insert_new(db, Update.__table__, [  # type: ignore[attr-defined]
        {**base, "person_id": person_id, "account_id": people[person_id]} for person_id in sorted(who)])
    deliveries = []
    for update_id, person_id in made:
        for planned in _plan(plans, incident, key, who[person_id], now):
            deliveries.append({**planned, "update_id": update_id, "person_id": person_id})
    _insert_new(db, Delivery.__table__, deliveries)  # type: ignore[attr-defined]


def _plan(plans: Plans, incident: Incident, key: str,
          recipient: rules.Recipient, now: dt.datetime) -> list[dict[str, Any]]:
    """`rules.plan` for this person, as rows to insert. Thousands of people share a few sets of
    preferences, and building ORM objects for each of them is most of the cost of a fan-out, so
    the plan is made once for each kind of recipient: the same preferences, needs and language, and
    an email address and a phone number or not (their values play no part in a plan)."""
    shape = _shape(recipient)
    if shape not in plans:
        planned = Update(id=0, person_id=0, kind=UpdateKind.incidents, message=MESSAGE, source_key=key,
                         safety_critical=incident.safety_critical, incident_id=incident.id,
                         created_at=now)  # Never added to the session.
        plans[shape] = [{name: getattr(delivery, name) for name in DELIVERY_COLUMNS}
                        for delivery in rules.plan(planned, recipient, now)]
    return plans[shape]


def _shape(recipient: rules.Recipient) -> tuple[Any, ...]:
    """Everything about a recipient that a plan may depend on: every field but who they are."""
    return tuple(_hashable(getattr(recipient, f.name)) if f.name not in IDENTITY
                 else bool(getattr(recipient, f.name)) for f in fields(recipient))


def _hashable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return tuple(_hashable(getattr(value, f.name)) for f in fields(value))
    if isinstance(value, Mapping):
        return frozenset((key, _hashable(item)) for key, item in value.items())
    if isinstance(value, set):
        return frozenset(_hashable(item) for item in value)
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    return value


def _insert_new(db: Session, table: Table, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert many rows at once, skipping any that would break a unique constraint (made already by
    a worker that lost its claim), and return the (id, person_id) of those inserted."""
    if not rows:
        return []
    if db.get_bind().dialect.name == "postgresql":
        return _insert_new_postgresql(db, table, rows)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    # With RETURNING, SQLAlchemy sends a few statements of many rows each ("insertmanyvalues").
    statement = sqlite_insert(table).on_conflict_do_nothing()
    return list(db.execute(statement.returning(table.c.id, table.c.person_id), rows).all())


def _insert_new_postgresql(db: Session, table: Table, rows: list[dict[str, Any]]) -> list[Any]:
    """One statement whatever the number of rows: a column that differs from row to row goes as one
    array, unnest() turns the arrays back into rows, and a column the same in every row goes once.
    Several times faster than many-row VALUES, which the driver has to parse, or a row at a time."""
    dialect = db.get_bind().dialect
    names = list(rows[0])
    values: dict[str, Any] = {}
    selected, arrays, columns = [], [], []
    for n, name in enumerate(names):
        kind = table.c[name].type.compile(dialect=dialect)
        column = [row[name] for row in rows]
        if any(isinstance(value, Enum) for value in column[:1]):  # Stored as their text.
            column = [value.value if isinstance(value, Enum) else value for value in column]
        if all(value == column[0] for value in column):
            values[f"v{n}"] = column[0]
            selected.append(f"CAST(:v{n} AS {kind})")
        else:
            values[f"v{n}"] = column
            arrays.append(f"CAST(:v{n} AS {kind}[])")
            columns.append(f"c{n}")
            selected.append(f"u.c{n}")
    source = f"unnest({', '.join(arrays)}) AS u({', '.join(columns)})" if arrays \
        else "generate_series(1, 1)"  # Identical rows: only one of them could go in.
    statement = text(f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608 (names are ours)
                     f"SELECT {', '.join(selected)} FROM {source} "
                     "ON CONFLICT DO NOTHING RETURNING id, person_id")
    return list(db.execute(statement, values).all())

"""Incident fan-out: how long making updates and delivery records takes for 10,000 and 100,000 customers.
Prints figures; asserts nothing.

    python -m bench.fanout [--sizes 10000,100000] [--postgres postgresql+psycopg://user@host/db]

For each size, a fresh database gets that many customers in NF2 (a person, an account and an active
water service each; bulk inserts, not timed). Then operations staff publish a water incident for NF2:
"publish" is what the /ops request pays (portal.ops.service.publish: the incident, its first version and
the activity record, one commit; the route then only nudges the workers), and shows that publishing
returns at once. The worker's `fan_out_pending` then makes an update and its deliveries for
everyone, which is timed; and again for a correction, which reaches everyone told about version 1.

SQLite always; PostgreSQL too when PORTAL_TEST_DATABASE_URL or --postgres names a server (a database
of its own is made for each size and dropped afterwards)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

import portal.models  # noqa: F401
from portal import db as database
from portal.access import Actor
from portal.accounts.models import CustomerAccount, Service, ServiceKind, ServiceStatus
from portal.identity.models import Person
from portal.ops import service as ops
from portal.ops.models import Confidence, Incident, IncidentStage, new_incident_reference
from portal.ops.service import Draft
from portal.updates.models import Delivery, Update

SIZES = [10_000, 100_000]
BATCH = 10_000
AREA = "NF2"
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
WORKER = "bench-worker"
TITLE = f"No water in parts of {AREA}"
RESET_SEQUENCES = [
    "SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person))",
    "SELECT setval(pg_get_serial_sequence('customer_account', 'id'), (SELECT max(id) FROM customer_account))",
    "SELECT setval(pg_get_serial_sequence('service', 'id'), (SELECT max(id) FROM service))",
]


def noon_today() -> dt.datetime:
    """A fixed time of day, outside the default quiet hours, so figures do not depend on when the bench
    runs."""
    local = dt.datetime.now(ZoneInfo("Europe/London")).replace(hour=12, minute=0, second=0, microsecond=0)
    return local.astimezone(dt.UTC)


def postcode(i: int) -> str:
    return f"{AREA} {i % 9 + 1}{LETTERS[i // 9 % 20]}{LETTERS[i // 180 % 20]}"


def add_customers(engine: Engine, count: int, now: dt.datetime, *, first_id: int = 1) -> list[int]:
    """`count` people, each the online holder of an account in NF2 with an active water service, in
    batches of plain INSERTs. Returns the people's ids."""
    ids = list(range(first_id, first_id + count))
    with engine.begin() as connection:
        for start in range(0, count, BATCH):
            chunk = ids[start:start + BATCH]
            connection.execute(insert(Person), [
                {"id": i, "name": f"Customer {i}", "email": f"customer{i}@example.org", "phone": "",
                 "preferred_language": "en", "staff_role": "", "team": "", "available_for_chat": False,
                 "webauthn_user_id": i.to_bytes(32, "big"), "created_at": now} for i in chunk])
            connection.execute(insert(CustomerAccount), [
                {"id": i, "reference": f"B{i:08d}", "holder_name": f"Customer {i}", "holder_person_id": i,
                 "address": f"{i} Bench Street, Northfield", "postcode": postcode(i),
                 "date_of_birth": None, "email": f"customer{i}@example.org", "phone": "",
                 "direct_debit": False, "created_at": now} for i in chunk])
            connection.execute(insert(Service), [
                {"id": i, "account_id": i, "kind": ServiceKind.water, "status": ServiceStatus.active,
                 "tariff": "Standard water", "meter_serial": f"W{i:08d}", "started_on": dt.date(2020, 1, 1),
                 "ended_on": None, "reading_due_on": None} for i in chunk])
        if connection.dialect.name == "postgresql":  # Explicit ids leave the sequences behind.
            for statement in RESET_SEQUENCES:
                connection.execute(text(statement))
    return ids


def operations_person(engine: Engine, now: dt.datetime) -> Actor:
    """Someone in operations, who publishes the incident."""
    with Session(engine) as db:
        person = Person(name="Olwen Bench", email="ops@example.org", staff_role="operations", created_at=now)
        db.add(person)
        db.commit()
        assert person.id is not None
        return Actor(person_id=person.id, name=person.name, staff_role=person.staff_role)


DRAFT = Draft(title=TITLE, what_is_happening="A water main has burst.", who_is_affected=f"Homes in {AREA}.",
              what_to_do="Use bottled water. Do not drink from the tap.", stage=IncidentStage.investigating,
              expected_fix_at=None, confidence=Confidence.medium, service=ServiceKind.water, areas=(AREA,),
              safety_critical=False)


def publish_incident(engine: Engine, actor: Actor, now: dt.datetime) -> int:
    """What the /ops form does when it is sent (all but nudging the workers): the incident, its first
    version and the activity record, in one commit."""
    with Session(engine) as db:
        incident, _ = ops.publish(db, actor, replace(DRAFT, expected_fix_at=now + dt.timedelta(hours=6)),
                                  new_incident_reference(), now)
        assert incident.id is not None
        return incident.id


def publish_correction(engine: Engine, actor: Actor, incident_id: int, now: dt.datetime) -> None:
    with Session(engine) as db:
        incident = db.get(Incident, incident_id)
        assert incident is not None
        correction = replace(DRAFT, what_to_do="Use bottled water. Boil tap water first.",
                             stage=IncidentStage.fixing, expected_fix_at=now + dt.timedelta(hours=8),
                             confidence=Confidence.high)
        ops.change(db, actor, incident, correction, ops.Change.correct, incident.version, now)


def counts(engine: Engine, incident_id: int) -> tuple[int, int]:
    """Updates and deliveries made for the incident so far."""
    with Session(engine) as db:
        updates = db.exec(select(func.count()).select_from(Update).where(
            Update.incident_id == incident_id)).one()
        deliveries = db.exec(select(func.count()).select_from(Delivery).join(
            Update, col(Delivery.update_id) == col(Update.id)).where(Update.incident_id == incident_id)).one()
    return updates, deliveries


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'fanout.db'}"


def with_database(server_url: str, name: str | None = None, driver: str = "postgresql+psycopg") -> str:
    """The server's URL, for another database on it and in SQLAlchemy's (or libpq's) spelling."""
    url = make_url(server_url).set(drivername=driver)
    return (url.set(database=name) if name else url).render_as_string(hide_password=False)


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A database of its own on the server, dropped afterwards."""
    import psycopg

    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    admin = with_database(server_url, driver="postgresql")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def fan_out_timed(engine: Engine, fan_out: Callable[..., int], incident_id: int, now: dt.datetime,
                  what: str, customers: int, published: float) -> dict[str, Any]:
    """Run the fan-out once and say what it made for the incident."""
    before = counts(engine, incident_id)
    started = time.perf_counter()
    versions = fan_out(engine, WORKER, now)
    seconds = time.perf_counter() - started
    after = counts(engine, incident_id)
    updates, deliveries = after[0] - before[0], after[1] - before[1]
    return {"what": what, "customers": customers, "versions": versions, "updates": updates,
            "deliveries": deliveries, "publish_ms": published * 1000, "seconds": seconds,
            "rate": (updates + deliveries) / seconds if seconds else 0.0}


def run_one(url: str, size: int, fan_out: Callable[..., int]) -> tuple[float, list[dict[str, Any]]]:
    """Set up `size` customers, publish an incident and a correction, fan each out. Returns the set-up
    time and a row of figures for each."""
    database.upgrade(url)
    engine = database.make_engine(url)
    now = noon_today()
    try:
        started = time.perf_counter()
        add_customers(engine, size, now)
        actor = operations_person(engine, now)
        setup = time.perf_counter() - started

        started = time.perf_counter()
        incident_id = publish_incident(engine, actor, now)
        published = time.perf_counter() - started
        first = fan_out_timed(engine, fan_out, incident_id, now, "publish", size, published)

        later = now + dt.timedelta(minutes=30)
        started = time.perf_counter()
        publish_correction(engine, actor, incident_id, later)
        published = time.perf_counter() - started
        correction = fan_out_timed(engine, fan_out, incident_id, later, "correction", size, published)
        return setup, [first, correction]
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="customers affected, comma-separated (default: %(default)s)")
    parser.add_argument("--postgres", default=os.environ.get("PORTAL_TEST_DATABASE_URL", ""),
                        help="a PostgreSQL server (default: PORTAL_TEST_DATABASE_URL); empty: SQLite only")
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]

    try:
        from portal.updates.fanout import fan_out_pending
    except ImportError as error:
        print(f"bench.fanout: portal.updates.fanout.fan_out_pending is not there yet ({error}); skipped.")
        return

    backends: list[tuple[str, Callable[[], Any]]] = [("sqlite", sqlite_database)]
    if args.postgres:
        backends.append(("postgresql", lambda: postgres_database(args.postgres)))
    else:
        print("(PostgreSQL skipped: set PORTAL_TEST_DATABASE_URL or pass --postgres URL.)")

    print("Incident fan-out: a water incident in NF2, every customer there affected. 'publish' is the\n"
          "request that publishes it; 'fan-out' is the worker making updates and deliveries afterwards.")
    print(f"{'database':<12}{'what':<12}{'customers':>10}{'updates':>10}{'deliveries':>12}"
          f"{'publish ms':>12}{'fan-out s':>11}{'rows/s':>10}")
    for name, make in backends:
        for size in sizes:
            with make() as url:
                setup, rows = run_one(url, size, fan_out_pending)
            for row in rows:
                print(f"{name:<12}{row['what']:<12}{row['customers']:>10,}{row['updates']:>10,}"
                      f"{row['deliveries']:>12,}{row['publish_ms']:>12.1f}{row['seconds']:>11.2f}"
                      f"{row['rate']:>10,.0f}", flush=True)
                if row["versions"] != 1:
                    print(f"  (fan_out_pending said it did {row['versions']} versions, not 1)")
            print(f"  (setting up {size:,} customers took {setup:.1f} s, not counted)", flush=True)


if __name__ == "__main__":
    main()

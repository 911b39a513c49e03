"""Incident fan-out (portal/updates/fanout.py): the right people get one update for each version,
with its deliveries; corrections reach everyone told before; running again, or after a crash, makes
nothing twice; and two workers at once on PostgreSQL share the versions, each fanned out once."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, text
from sqlmodel import Session, SQLModel, col, select

import portal.models  # noqa: F401  (registers every table)
from portal.access import Actor
from portal.accounts.models import CustomerAccount, Service, ServiceKind, ServiceStatus
from portal.db import make_engine
from portal.identity.models import Person
from portal.ops import service
from portal.ops.models import Confidence, Incident, IncidentStage, IncidentVersion
from portal.updates import fanout
from portal.updates.fanout import fan_out_pending, outward_code
from portal.updates.models import Delivery, DeliveryChannel, Update, UpdateKind
from tests import factories
from tests.conftest import postgres_url

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # Midday: outside anyone's quiet hours.


@contextmanager
def postgres_database() -> Iterator[Engine]:
    """A database of its own on the test server, dropped afterwards."""
    admin_url = postgres_url()
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{admin_url.rsplit('/', 1)[0]}/{name}")
    try:
        SQLModel.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Each test on SQLite, and on PostgreSQL too when there is a server (the inserts differ)."""
    if request.param == "postgresql":
        with postgres_database() as engine:
            yield engine
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'fanout.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def ops_person(engine: Engine) -> Actor:
    with Session(engine) as db:
        person = factories.operations(db)
        assert person.id is not None
        return Actor(person_id=person.id, name=person.name, staff_role=person.staff_role)


def customer(engine: Engine, postcode: str, kind: ServiceKind = ServiceKind.water, *,
             status: ServiceStatus = ServiceStatus.active, email: str = "someone@example.org",
             online: bool = True, person_id: int | None = None) -> int | None:
    """A person holding an account at `postcode` with one service; returns the person's id (or
    None for an account nobody holds online)."""
    with Session(engine) as db:
        if person_id is None and online:
            person = Person(name=f"Customer at {postcode}", email=email)
            db.add(person)
            db.flush()
            person_id = person.id
        account = CustomerAccount(reference=f"NF-{uuid.uuid4().hex[:8]}", holder_name="A customer",
                                  holder_person_id=person_id, postcode=postcode)
        db.add(account)
        db.flush()
        assert account.id is not None
        db.add(Service(account_id=account.id, kind=kind, status=status, started_on=dt.date(2020, 1, 1)))
        db.commit()
        return person_id


def draft(areas: str, **changes: object) -> service.Draft:
    values: dict[str, object] = {
        "title": "No water in parts of NF2", "what_is_happening": "A main burst.",
        "who_is_affected": "Homes in NF2.", "what_to_do": "Use bottled water.",
        "stage": IncidentStage.investigating, "expected_fix_at": NOW + dt.timedelta(hours=4),
        "confidence": Confidence.medium, "service": ServiceKind.water, "areas": tuple(areas.split()),
        "safety_critical": False}
    values.update(changes)
    return service.Draft(**values)  # type: ignore[arg-type]


def publish(engine: Engine, actor: Actor, areas: str, **changes: object) -> Incident:
    with Session(engine, expire_on_commit=False) as db:
        incident, created = service.publish(db, actor, draft(areas, **changes),
                                            service.new_reference_or(""), NOW)
        assert created
        return incident


def correct(engine: Engine, actor: Actor, incident: Incident, areas: str, **changes: object) -> None:
    with Session(engine) as db:
        found = db.get(Incident, incident.id)
        assert found is not None
        outcome = service.change(db, actor, found, draft(areas, **changes), service.Change.correct,
                                 found.version, NOW)
        assert outcome is service.Outcome.made


def told(engine: Engine, incident: Incident, version: int) -> set[int]:
    with Session(engine) as db:
        return set(db.exec(select(Update.person_id).where(
            Update.source_key == f"incident:{incident.id}:v{version}")).all())


def count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).select_from(model)).one()


def test_postcode_districts() -> None:
    assert outward_code("NF2 9EF") == "NF2"
    assert outward_code(" nf2  9ef ") == "NF2"
    assert outward_code("NF29EF") == "NF2"
    assert outward_code("NF21 9EF") == "NF21"
    assert outward_code("") == ""


def test_only_holders_with_that_service_in_those_areas_are_told(engine) -> None:
    publisher = ops_person(engine)
    in_area = customer(engine, "NF2 9EF")
    lower_case = customer(engine, "nf2 1ab")
    no_space = customer(engine, "NF21AB")
    with_fault = customer(engine, "NF2 3CD", status=ServiceStatus.fault)
    no_email = customer(engine, "NF2 4DE", email="")
    other_district = customer(engine, "NF3 1AB")
    longer_district = customer(engine, "NF21 1AB")  # NF21 is not NF2.
    other_service = customer(engine, "NF2 5EF", ServiceKind.electricity)
    ended = customer(engine, "NF2 6FG", status=ServiceStatus.ended)
    customer(engine, "NF2 7GH", online=False)  # Not online: nobody to tell in the portal.
    customer(engine, "NF2 8HJ", person_id=in_area)  # A second account there: still one update.
    incident = publish(engine, publisher, "NF2", safety_critical=True)

    assert fan_out_pending(engine, "worker-1", NOW) == 1
    expected = {in_area, lower_case, no_space, with_fault, no_email}
    assert told(engine, incident, 1) == expected
    assert not {other_district, longer_district, other_service, ended} & told(engine, incident, 1)
    with Session(engine) as db:
        updates = db.exec(select(Update).where(Update.incident_id == incident.id)).all()
        for made in updates:
            assert (made.kind, made.message, made.link) == (UpdateKind.incidents, "incident",
                                                              f"/status#{incident.reference}")
            assert json.loads(made.params) == {"incident_id": incident.id, "version": 1}
            assert made.safety_critical and not made.needs_action and made.account_id is not None
        # Everyone in the portal; by email too (the default) when we have an address.
        channels = {(d.person_id, d.channel) for d in db.exec(select(Delivery))}
        assert {p for p, c in channels if c is DeliveryChannel.portal} == expected
        assert {p for p, c in channels if c is DeliveryChannel.email} == expected - {no_email}
        version = db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident.id)).one()
        assert version.reached == 5 and version.fanned_out_at is not None


def test_a_correction_reaches_everyone_told_before_even_if_their_area_was_removed(engine) -> None:
    publisher = ops_person(engine)
    nf2, nf3, nf4 = customer(engine, "NF2 1AA"), customer(engine, "NF3 1AA"), customer(engine, "NF4 1AA")
    incident = publish(engine, publisher, "NF2 NF3")
    fan_out_pending(engine, "worker-1", NOW)
    assert told(engine, incident, 1) == {nf2, nf3}

    correct(engine, publisher, incident, "NF2 NF4", title="No water in parts of NF2 and NF4")
    assert fan_out_pending(engine, "worker-1", NOW) == 1
    assert told(engine, incident, 2) == {nf2, nf3, nf4}  # NF3 heard v1, so hears it was wrong.
    assert told(engine, incident, 1) == {nf2, nf3}


def test_a_version_replaced_before_its_turn_is_passed_over(engine) -> None:
    """Published and corrected before any worker ran: people hear only the correction, in the areas
    it names; the version it replaced reaches nobody."""
    publisher = ops_person(engine)
    nf2, nf3 = customer(engine, "NF2 1AA"), customer(engine, "NF3 1AA")
    incident = publish(engine, publisher, "NF3")
    correct(engine, publisher, incident, "NF2")
    assert fan_out_pending(engine, "worker-1", NOW) == 2
    assert told(engine, incident, 1) == set()
    assert told(engine, incident, 2) == {nf2}
    assert nf3 not in told(engine, incident, 2)


def test_running_again_makes_nothing_twice(engine) -> None:
    publisher = ops_person(engine)
    for n in range(3):
        customer(engine, f"NF2 {n}AA")
    publish(engine, publisher, "NF2")
    assert fan_out_pending(engine, "worker-1", NOW) == 1
    before = count(engine, Update), count(engine, Delivery)
    assert fan_out_pending(engine, "worker-1", NOW) == 0
    assert fan_out_pending(engine, "worker-2", NOW + dt.timedelta(hours=1)) == 0
    assert (count(engine, Update), count(engine, Delivery)) == before == (3, 6)


def test_after_a_crash_the_next_worker_finishes_the_job_once(engine, monkeypatch) -> None:
    publisher = ops_person(engine)
    people = {customer(engine, f"NF2 {n}AA") for n in range(5)}
    incident = publish(engine, publisher, "NF2")
    monkeypatch.setattr(fanout, "BATCH", 2)
    real = fanout._make_updates
    calls: list[int] = []

    def dies_in_the_second_batch(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker died")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fanout, "_make_updates", dies_in_the_second_batch)
    with pytest.raises(RuntimeError):
        fan_out_pending(engine, "worker-1", NOW)
    assert len(told(engine, incident, 1)) == 2  # The first batch was committed.
    # Its claim still stands: nobody else takes the job yet...
    assert fan_out_pending(engine, "worker-2", NOW + dt.timedelta(minutes=1)) == 0
    # ...until it runs out.
    monkeypatch.setattr(fanout, "_make_updates", real)
    assert fan_out_pending(engine, "worker-2", NOW + fanout.CLAIM + dt.timedelta(seconds=1)) == 1
    assert told(engine, incident, 1) == people
    assert (count(engine, Update), count(engine, Delivery)) == (5, 10)
    with Session(engine) as db:
        version = db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident.id)).one()
        assert (version.reached, version.claimed_by) == (5, "worker-2")


def test_a_worker_that_lost_its_claim_stops(engine) -> None:
    publisher = ops_person(engine)
    customer(engine, "NF2 1AA")
    incident = publish(engine, publisher, "NF2")
    with Session(engine) as db:
        version = db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident.id)).one()
        assert version.id is not None
        # Another worker holds it now.
        version.claimed_by, version.claimed_until = "worker-2", NOW + dt.timedelta(minutes=5)
        db.add(version)
        db.commit()
        assert not fanout._fan_out(engine, version.id, "worker-1", NOW)
    assert count(engine, Update) == 0


# Two workers at once, on PostgreSQL


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    with postgres_database() as engine:
        yield engine


@pytest.mark.postgres
def test_two_workers_at_once_fan_out_each_version_once(postgres_engine) -> None:
    engine = postgres_engine
    publisher = ops_person(engine)
    water = {customer(engine, f"NF2 {n % 10}A{chr(65 + n // 10)}") for n in range(120)}
    power = {customer(engine, f"NF5 {n % 10}B{chr(65 + n // 10)}", ServiceKind.electricity)
             for n in range(80)}
    incidents = [publish(engine, publisher, "NF2"),
                 publish(engine, publisher, "NF5", service=ServiceKind.electricity),
                 publish(engine, publisher, "NF2")]

    done: dict[str, int] = {}
    problems: list[BaseException] = []
    start = threading.Barrier(2)

    def work(worker_id: str) -> None:
        try:
            start.wait()
            done[worker_id] = fan_out_pending(engine, worker_id, NOW)
        except BaseException as error:  # Reported below.
            problems.append(error)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not problems
    assert sum(done.values()) == 3  # Every version, each by one worker.
    assert told(engine, incidents[0], 1) == water
    assert told(engine, incidents[1], 1) == power
    assert told(engine, incidents[2], 1) == water
    with Session(engine) as db:
        versions = db.exec(select(IncidentVersion)).all()
        assert all(v.fanned_out_at is not None for v in versions)
        assert sorted(v.reached for v in versions) == [80, 120, 120]
        per_update = db.exec(select(Delivery.update_id, Delivery.channel, func.count())
                             .group_by(col(Delivery.update_id), col(Delivery.channel))).all()
        assert {n for _u, _c, n in per_update} == {1}
        assert db.exec(select(func.count()).select_from(Update)).one() == 120 * 2 + 80

"""Deliveries are durable jobs: claimed by one worker at a time, taken over when a worker dies, retried
when something goes wrong, announced live in the portal, and the worker keeps going whatever fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections import Counter

import anyio
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from portal.broker import MemoryBroker
from portal.clock import aware, utcnow
from portal.identity.models import Person
from portal.notify.models import OutboxMessage
from portal.updates import delivery, service, worker
from portal.updates.models import Delivery, DeliveryChannel, DeliveryStatus, Update, UpdateKind
from tests import factories
from tests.helpers import (
    at,
    deliver,
    deliveries,
    incident_update,
    prefer,
    today,
)

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_a_claim_is_one_workers_until_it_runs_out(app: FastAPI, db: Session, settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    news = incident_update(db, person, "Burst pipe on Mill Lane", now)
    engine, claim_for = app.state.engine, dt.timedelta(seconds=settings.worker.claim_seconds)

    mine = delivery.claim_due(engine, "worker-a", now, claim_for)
    assert len(mine) == 2  # The portal and email.
    assert delivery.claim_due(engine, "worker-b", now + MINUTE, claim_for) == []
    # Worker A died. Once its claim runs out, B takes the deliveries over...
    later = now + claim_for + MINUTE
    assert delivery.claim_due(engine, "worker-b", later, claim_for) == mine
    # ...and A, if it was only slow, can no longer finish them.
    assert delivery.deliver_claimed(engine, settings, [mine[0]], "worker-a", later)["lost"] == 1
    assert deliver(app, settings, later + claim_for + MINUTE, worker="worker-b")["sent"] == 2
    sent = deliveries(db, news)
    assert {d.claimed_by for d in sent.values()} == {"worker-b"}
    assert {d.status for d in sent.values()} == {DeliveryStatus.sent}
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.to == person.email)).all()) == 1


def test_two_workers_at_once_deliver_each_once(app: FastAPI, db: Session, settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    prefer(db, person, daily_cap=0)
    made = [incident_update(db, person, f"Update number {n}", now) for n in range(60)]
    results: dict[str, dict[str, int]] = {}

    def work(name: str) -> None:
        results[name] = deliver(app, settings, now, worker=name)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r["sent"] for r in results.values()) == 120
    db.expire_all()
    ids = {d.id for u in made for d in deliveries(db, u).values()}
    statuses = db.exec(select(Delivery.status).where(col(Delivery.id).in_(ids))).all()
    assert set(statuses) == {DeliveryStatus.sent}
    per_delivery = Counter(db.exec(select(OutboxMessage.delivery_id).where(
        col(OutboxMessage.delivery_id).in_(ids))).all())
    assert len(per_delivery) == 60 and set(per_delivery.values()) == {1}


def test_a_delivery_that_fails_is_tried_again_later_then_given_up(app: FastAPI, db: Session, settings,
                                                                  monkeypatch) -> None:
    person, now = factories.customer(db), at(today(), 10)
    news = incident_update(db, person, "Burst pipe on Mill Lane", now)

    def broken(*args, **kwargs):
        raise RuntimeError("the words could not be made")

    monkeypatch.setitem(delivery.RENDER_STEP, 0, broken)
    counts = deliver(app, settings, now)
    assert counts["sent"] == 1 and counts["deferred"] == 1  # The portal went; email waits.
    email = deliveries(db, news)[DeliveryChannel.email, 0]
    assert email.status is DeliveryStatus.waiting and aware(email.due_at) == now + MINUTE
    assert email.note == "RuntimeError"
    for _ in range(delivery.MAX_ATTEMPTS):
        now += dt.timedelta(hours=2)
        deliver(app, settings, now)
    email = deliveries(db, news)[DeliveryChannel.email, 0]
    assert email.status is DeliveryStatus.failed and email.note.startswith("gave up")


def test_a_person_with_nothing_to_reach_is_skipped_with_a_note(app: FastAPI, db: Session,
                                                               settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    news = incident_update(db, person, "Burst pipe on Mill Lane", now)
    person.email = ""  # Removed after the update was made.
    db.add(person)
    db.commit()
    deliver(app, settings, now)
    email = deliveries(db, news)[DeliveryChannel.email, 0]
    assert email.status is DeliveryStatus.skipped and email.note == "no email address"


def test_one_failing_step_does_not_stop_the_others(app: FastAPI, db: Session, settings,
                                                   monkeypatch) -> None:
    person, now = factories.customer(db), at(today(), 10)
    incident_update(db, person, "Burst pipe on Mill Lane", now)

    def broken(*args, **kwargs):
        raise RuntimeError("no digests today")

    monkeypatch.setattr(delivery, "send_digests", broken)
    counts = worker.run_once(app.state.engine, settings, now=now, worker_id="w")
    assert counts["digests_failed"] == 1
    assert counts["sent"] >= 2  # The deliveries before it, and the steps after it, still ran.


def late_bill(db: Session, person: Person) -> None:
    factories.bill(db, factories.account_of(db, person), ends_on=today() - dt.timedelta(days=40))


def test_a_pass_finds_delivers_and_hands_over_what_the_accounts_call_for(app: FastAPI, db: Session,
                                                                         settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    late_bill(db, person)
    counts = worker.run_once(app.state.engine, settings, now=now, worker_id="w")
    assert counts["found"] > 0 and counts["sent"] > 0
    db.expire_all()
    subjects = db.exec(select(OutboxMessage.subject).where(OutboxMessage.to == person.email,
                                                           col(OutboxMessage.delivery_id).is_not(None))).all()
    assert "Your bill is late" in subjects
    again = worker.run_once(app.state.engine, settings, now=now, worker_id="w")
    assert again["found"] == 0 and again["sent"] == 0


def test_a_pass_without_the_scan_leaves_the_accounts_alone(app: FastAPI, db: Session, settings) -> None:
    """Looking through every account is the slow part, so workers do it every worker.scan_seconds."""
    now = at(today(), 10)
    late_bill(db, factories.customer(db, account_fields={"postcode": "NF2 1AA"}))
    factories.incident(db, areas="NF2")
    quick = worker.run_once(app.state.engine, settings, now=now, worker_id="w", scan=False)
    assert "found" not in quick
    assert db.exec(select(Update).where(Update.kind != UpdateKind.incidents)).all() == []
    assert quick["fanned_out"] > 0  # The incident still went out.
    assert worker.run_once(app.state.engine, settings, now=now, worker_id="w")["found"] > 0


@pytest.mark.anyio
async def test_an_update_in_the_portal_is_announced_to_its_person(app: FastAPI, db: Session,
                                                                  settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    broker = MemoryBroker()
    await broker.start()
    try:
        async with broker.subscribe(service.person_channel(person.id)) as events:
            news = incident_update(db, person, "Burst pipe on Mill Lane", now)
            await anyio.to_thread.run_sync(lambda: delivery.deliver_due(
                app.state.engine, settings, worker_id="w", now=now, broker=broker))
            async with asyncio.timeout(5):
                assert await anext(events) == {"type": "update", "id": news.id}
    finally:
        await broker.close()


@pytest.mark.anyio
async def test_the_worker_wakes_when_nudged(app: FastAPI, db: Session, settings, tmp_path) -> None:
    from tests.conftest import make_settings

    slow = make_settings(tmp_path, worker={"poll_seconds": 60})  # Only a nudge can wake it in time.
    person = factories.customer(db)
    broker = MemoryBroker()
    await broker.start()
    running = asyncio.create_task(worker.run_forever(app.state.engine, slow, broker))
    try:
        async with broker.subscribe(service.person_channel(person.id)) as events:
            await asyncio.sleep(0.5)  # Its first pass finds nothing to do, then it waits.
            while events.pending:
                await anext(events)
            news = incident_update(db, person, "Burst pipe on Mill Lane", utcnow())
            await broker.publish(service.WORK_CHANNEL, {})
            async with asyncio.timeout(10):
                while await anext(events) != {"type": "update", "id": news.id}:
                    pass
        assert not running.done()
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        await broker.close()


def test_portal_worker_once_does_one_pass(app: FastAPI, db: Session, settings, monkeypatch) -> None:
    from typer.testing import CliRunner

    from portal.cli import app as cli

    late_bill(db, factories.customer(db))
    monkeypatch.setenv("PORTAL_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "found:" in result.output and "sent:" in result.output
    with Session(app.state.engine) as db:
        assert db.exec(select(Delivery).where(Delivery.status == DeliveryStatus.sent)).first() is not None

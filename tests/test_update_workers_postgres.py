"""Two real `portal worker` processes against one PostgreSQL database and one SMTP server (aiosmtpd):
every update is delivered exactly once, both workers share the work, and when one is killed in the
middle of a batch the other takes its deliveries over once the claim runs out, losing nothing.

"Exactly once" here: each delivery is sent once and written to the outbox as one message; each
message reaches the SMTP server once. (Only a worker killed after the SMTP server took a message and
before it recorded that could make a second copy; this test kills it while it holds deliveries.)
Skipped without PORTAL_TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, col, func, select

import portal.models  # noqa: F401  (registers every table)
from portal.clock import utcnow
from portal.db import make_engine, upgrade
from portal.identity.models import Person
from portal.notify.models import OutboxMessage
from portal.updates import delivery, rules
from portal.updates.models import Delivery, DeliveryStatus, Update, UpdateKind, UpdatePreferences
from tests.conftest import postgres_url
from tests.helpers import free_port

pytestmark = pytest.mark.postgres

PEOPLE = 300  # Per round: one update each, by the portal and by email.
CLAIM_SECONDS = 2
ROOT = Path(__file__).resolve().parent.parent


class CountingInbox:
    """An SMTP handler that counts messages per address, taking `delay` seconds over each."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope) -> str:
        await asyncio.sleep(self.delay)
        for address in envelope.rcpt_tos:
            self.received[address] += 1
        return "250 Message accepted for delivery"


@pytest.fixture
def database() -> Iterator[str]:
    admin_url = postgres_url()
    name = f"portal_workers_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def smtp() -> Iterator[tuple[int, CountingInbox]]:
    inbox = CountingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "portal.cli", "worker"], cwd=ROOT,
                                            env=env, stdout=out, stderr=subprocess.STDOUT)

    def owns(self, claimed_by: str) -> bool:
        return f":{self.process.pid}:" in claimed_by

    def wait_until_started(self) -> None:
        wait_for(lambda: "Update worker" in self.log.read_text(), 30, f"{self.log} to start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_for(condition: Callable[[], bool], seconds: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


@pytest.fixture
def workers(database: str, smtp, tmp_path: Path) -> Iterator[list[Worker]]:
    port, _ = smtp
    env = {**os.environ, "PORTAL_ENV": "test", "PORTAL_DATABASE_URL": database, "PORTAL_BROKER_URL": "",
           "PORTAL_MAIL__SMTP_HOST": "127.0.0.1", "PORTAL_MAIL__SMTP_PORT": str(port),
           "PORTAL_WORKER__POLL_SECONDS": "0.02", "PORTAL_WORKER__CLAIM_SECONDS": str(CLAIM_SECONDS),
           "PORTAL_BASE_URL": "http://portal.test"}
    started = [Worker(env, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    try:
        for worker in started:
            worker.wait_until_started()
        yield started
    finally:
        for worker in started:
            worker.stop()


def people(engine: Engine, round_: str, count: int = PEOPLE) -> list[Person]:
    """People who hear at any hour, without a daily cap."""
    with Session(engine, expire_on_commit=False) as db:
        made = [Person(name=f"Person {round_}{n}", email=f"{round_}{n}@example.org") for n in range(count)]
        db.add_all(made)
        db.flush()
        db.add_all(UpdatePreferences(person_id=p.id, quiet_from=None, quiet_until=None, daily_cap=0)
                   for p in made)
        db.commit()
        return made


def tell(engine: Engine, who: list[Person], round_: str) -> list[int]:
    """One update for each person, made in one transaction (as a fan-out would). Returns their ids."""
    with Session(engine) as db:
        reach = rules.recipients(db, [p.id for p in who if p.id is not None])
        made = [Update(person_id=p.id, kind=UpdateKind.cases, message="case_step",
                       source_key=f"test:{round_}") for p in who]
        db.add_all(made)
        db.flush()
        now = utcnow()
        for update in made:
            db.add_all(rules.plan(update, reach[update.person_id], now))
        db.commit()
        return [u.id for u in made if u.id is not None]


def finished(engine: Engine, update_ids: list[int]) -> bool:
    with Session(engine) as db:
        waiting = db.exec(select(func.count()).select_from(Delivery).where(
            col(Delivery.update_id).in_(update_ids), Delivery.status != DeliveryStatus.sent)).one()
        unsent = db.exec(select(func.count()).select_from(OutboxMessage).where(
            col(OutboxMessage.sent_at).is_(None))).one()
        return waiting == 0 and unsent == 0


def assert_each_delivered_once(engine: Engine, update_ids: list[int], who: list[Person],
                               inbox: CountingInbox, duplicates_allowed: int = 0) -> list[Delivery]:
    with Session(engine) as db:
        sent = list(db.exec(select(Delivery).where(col(Delivery.update_id).in_(update_ids))).all())
        assert len(sent) == 2 * len(who) and {d.status for d in sent} == {DeliveryStatus.sent}
        emails = [d.id for d in sent if d.channel == "email"]
        per_delivery = Counter(db.exec(select(OutboxMessage.delivery_id).where(
            col(OutboxMessage.delivery_id).in_(emails))).all())
        assert len(per_delivery) == len(who) and set(per_delivery.values()) == {1}, \
            "each email delivery is one outbox message"
    received = [inbox.received[p.email] for p in who]
    assert min(received) == 1, "somebody got nothing"
    assert sum(received) - len(who) <= duplicates_allowed
    return sent


def test_two_workers_deliver_each_update_once_and_a_killed_one_loses_nothing(
        database: str, smtp, workers: list[Worker]) -> None:
    _, inbox = smtp
    engine = make_engine(database)
    try:
        # Both at work: each delivery once, shared between them.
        who = people(engine, "a")
        inbox.delay = 0.002
        updates = tell(engine, who, "a")
        wait_for(lambda: finished(engine, updates), 90, "every update to be delivered", every=0.1)
        sent = assert_each_delivered_once(engine, updates, who, inbox)
        by_worker = Counter(next(n for n, w in enumerate(workers) if w.owns(d.claimed_by)) for d in sent)
        assert len(by_worker) == 2, f"both workers should have done some work: {by_worker}"

        # One is killed part way through; the other (paused meanwhile, so the first surely has
        # something in hand) takes over what it held once the claims run out.
        doomed, survivor = workers
        survivor.process.send_signal(signal.SIGSTOP)
        who = people(engine, "b", count=100)
        updates = tell(engine, who, "b")

        def stranded() -> tuple[list[int], list[int]]:
            """Deliveries the first worker holds, and outbox messages claimed but not sent."""
            with Session(engine) as db:
                held = db.exec(select(Delivery).where(
                    col(Delivery.update_id).in_(updates), Delivery.status == DeliveryStatus.waiting,
                    col(Delivery.claimed_until) > utcnow())).all()
                sending = db.exec(select(OutboxMessage.id).where(
                    col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.claimed_until) > utcnow())).all()
            return [d.id for d in held if d.id is not None and doomed.owns(d.claimed_by)], list(sending)

        inbox.delay = 0.02  # Slow enough that the first worker is caught holding messages.
        for _ in range(20):
            wait_for(lambda: any(stranded()), 30, "the first worker to be part way through", every=0.002)
            doomed.process.send_signal(signal.SIGSTOP)  # Frozen where it is, so what it holds stays held.
            held, sending = stranded()
            if held or sending:
                break
            doomed.process.send_signal(signal.SIGCONT)  # It had just finished: catch it next time.
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait()
        killed_at = time.monotonic()
        assert held or sending, "the killed worker was holding work"
        survivor.process.send_signal(signal.SIGCONT)

        wait_for(lambda: finished(engine, updates), 90, "the other worker to finish", every=0.1)
        assert time.monotonic() - killed_at >= CLAIM_SECONDS - 0.5  # It waited for the claims to run out.
        assert survivor.process.poll() is None
        # Killed while sending, the message in flight may go twice; killed before, none does.
        sent = assert_each_delivered_once(engine, updates, who, inbox,
                                          duplicates_allowed=1 if sending else 0)
        taken_over = [d for d in sent if d.id in held]
        assert all(survivor.owns(d.claimed_by) for d in taken_over)
    finally:
        engine.dispose()


def test_a_claim_takes_one_batch(database: str) -> None:
    """PostgreSQL may run an IN (... LIMIT n) subquery once per row it updates, which would claim
    everything at once and leave the other workers idle; the claim picks its batch once."""
    engine = make_engine(database)
    try:
        tell(engine, people(engine, "c", count=250), "c")  # 500 deliveries.
        claim_for = dt.timedelta(minutes=2)
        first = delivery.claim_due(engine, "one", utcnow(), claim_for, limit=100)
        second = delivery.claim_due(engine, "two", utcnow(), claim_for, limit=100)
        assert len(first) == len(second) == 100 and not set(first) & set(second)
    finally:
        engine.dispose()

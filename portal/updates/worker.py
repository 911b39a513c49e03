"""The worker: finds new updates, fans out incidents, delivers updates, sends digests, makes the sign-in
codes asked for, and sends the outbox.

Every app process runs one (unless settings.worker.run is off; then run `portal worker` processes).
Any number can run at once against one database: every job is claimed first (see delivery.py and
notify/service.py), and a job claimed by a worker that died is free again after
settings.worker.claim_seconds.

`run_once` is one pass (tests call it with a chosen `now`); `run_forever` repeats it, waking when
someone publishes on service.WORK_CHANNEL or every settings.worker.poll_seconds."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from anyio import to_thread
from sqlalchemy import Engine
from sqlmodel import Session

from portal.broker import Broker, Subscription
from portal.carers import service as carers
from portal.clock import utcnow
from portal.identity import service as identity
from portal.notify import service as outbox
from portal.settings import Settings
from portal.updates import delivery, fanout, service, sources

logger = logging.getLogger(__name__)

# Counts that mean a pass did something, so the next pass starts at once.
BUSY = ("fanned_out", "sent", "held", "skipped", "digests", "codes", "outbox")


def run_once(engine: Engine, settings: Settings, broker: Broker | None = None,
             now: dt.datetime | None = None, worker_id: str | None = None,
             scan: bool = True) -> dict[str, int]:
    """One pass over every job. Each step has its own transactions; one failing is logged and the
    others still run. Returns counts by what happened. With `scan` off, the accounts are not looked
    through for new things to tell (that is the slow part, done every settings.worker.scan_seconds)."""
    worker_id = worker_id or delivery.new_worker_id()
    counts: dict[str, int] = {}

    def in_transaction(work: Callable[[Session], int]) -> int:
        with Session(engine) as db:
            found = work(db)
            db.commit()
            return found

    scans: list[tuple[str, Callable[[], int | dict[str, int]]]] = [
        ("found", lambda: in_transaction(lambda db: sources.scan(db, now or utcnow(), settings.time_zone))),
        ("finished", lambda: in_transaction(
            lambda db: sources.mark_done_where_finished(db, now or utcnow(), settings.time_zone))),
        # Once a year, ask customers whether each carer with no end date should still act for them.
        ("carer_reviews", lambda: in_transaction(lambda db: carers.reviews_due(
            db, settings, (now or utcnow()).astimezone(ZoneInfo(settings.time_zone)).date()))),
    ]
    steps: list[tuple[str, Callable[[], int | dict[str, int]]]] = [*(scans if scan else []),
        ("fanned_out", lambda: fanout.fan_out_pending(engine, worker_id, now or utcnow())),
        ("delivered", lambda: delivery.deliver_due(engine, settings, worker_id=worker_id, now=now,
                                                   broker=broker)),
        ("digests", lambda: delivery.send_digests(engine, settings, worker_id=worker_id, now=now)),
        # Normally made just after the request that asked for them; here if that was cut short.
        ("codes", lambda: identity.send_requested_codes(engine, settings)),
        ("outbox", lambda: outbox.deliver_pending(engine, settings, now=now)),
    ]
    for name, step in steps:
        try:
            result = step()
        except Exception:
            logger.exception("Worker step %r failed; the next pass tries again", name)
            counts[f"{name}_failed"] = 1
            continue
        if isinstance(result, dict):
            counts.update(result)
        else:
            counts[name] = result
    return counts


async def run_forever(engine: Engine, settings: Settings, broker: Broker) -> None:
    """Run passes until cancelled. Never stops on an error: it is logged and the next pass runs."""
    worker_id = delivery.new_worker_id()
    logger.info("Update worker %s started", worker_id)
    next_scan = 0.0  # The first pass looks through the accounts at once.

    async def one_pass() -> bool:
        nonlocal next_scan
        scan = time.monotonic() >= next_scan
        if scan:
            next_scan = time.monotonic() + settings.worker.scan_seconds
        return await _pass(engine, settings, broker, worker_id, scan)

    while True:
        try:
            async with broker.subscribe(service.WORK_CHANNEL) as nudges:
                while nudges.ended is None:
                    if not await one_pass():
                        await _wait_for_nudge(nudges, settings.worker.poll_seconds)
        except asyncio.CancelledError:
            raise
        except Exception:  # The broker is down: keep working, polling, until it is back.
            logger.exception("Update worker: cannot hear nudges; polling every %s seconds",
                             settings.worker.poll_seconds)
            await one_pass()
            await asyncio.sleep(settings.worker.poll_seconds)


async def _pass(engine: Engine, settings: Settings, broker: Broker, worker_id: str, scan: bool) -> bool:
    """One pass in a thread; True when it did something (so there may be more to do)."""
    try:
        counts = await to_thread.run_sync(run_once, engine, settings, broker, None, worker_id, scan)
    except Exception:
        logger.exception("Update worker pass failed")
        return False
    return any(counts.get(name) for name in BUSY)


async def _wait_for_nudge(nudges: Subscription, seconds: float) -> None:
    """Until a nudge arrives or `seconds` pass. Nudges that came meanwhile count as one."""
    with contextlib.suppress(TimeoutError, StopAsyncIteration):
        async with asyncio.timeout(seconds):
            await anext(nudges)
    while nudges.pending:
        await anext(nudges)

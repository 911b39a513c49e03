"""Meter readings and usage: what was used each month, a chart of it, and new readings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.access import Actor
from portal.accounts.models import MeterReading, ReadingSource, Service
from portal.accounts.service import services_of
from portal.activity.service import record
from portal.clock import utcnow
from portal.db import id_of

MONTHS_SHOWN = 12


@dataclass(frozen=True)
class Period:
    """Use between two readings, named by the month of the later one."""

    ending: dt.date
    amount: int
    estimated: bool


def metered_services(db: Session, account_id: int) -> list[Service]:
    return [s for s in services_of(db, account_id) if s.kind.metered]


def readings(db: Session, service_id: int) -> list[MeterReading]:
    return list(db.exec(select(MeterReading).where(MeterReading.service_id == service_id)
                        .order_by(col(MeterReading.read_on), col(MeterReading.id))))


def last_reading(db: Session, service_id: int) -> MeterReading | None:
    return db.exec(select(MeterReading).where(MeterReading.service_id == service_id)
                   .order_by(col(MeterReading.read_on).desc(), col(MeterReading.id).desc())).first()


def last_real_reading(db: Session, service_id: int) -> MeterReading | None:
    return db.exec(select(MeterReading).where(MeterReading.service_id == service_id,
                                              MeterReading.source != ReadingSource.estimate)
                   .order_by(col(MeterReading.read_on).desc(), col(MeterReading.id).desc())).first()


def periods(db: Session, service_id: int, months: int = MONTHS_SHOWN) -> list[Period]:
    """The latest `months` periods, oldest first."""
    rows = readings(db, service_id)
    by_month: dict[tuple[int, int], Period] = {}
    for earlier, later in pairwise(rows):
        month = (later.read_on.year, later.read_on.month)
        before = by_month.get(month)
        guessed = ReadingSource.estimate in (earlier.source, later.source)
        # A reading given mid-month splits that month in two: show the month once.
        used = later.value - earlier.value
        if before is not None:
            used, guessed = used + before.amount, guessed or before.estimated
        by_month[month] = Period(later.read_on, used, guessed)
    return list(by_month.values())[-months:]


@dataclass(frozen=True)
class Summary:
    total: int
    average: int
    highest: Period
    lowest: Period
    latest: Period
    year_before: Period | None  # The same month a year earlier, if we have it.
    estimated: int  # How many periods used an estimate.


def summarise(db: Session, service_id: int) -> Summary | None:
    shown = periods(db, service_id)
    if not shown:
        return None
    every = periods(db, service_id, months=10_000)
    latest = shown[-1]
    year_before = next((p for p in every if p.ending.year == latest.ending.year - 1
                        and p.ending.month == latest.ending.month), None)
    total = sum(p.amount for p in shown)
    return Summary(total=total, average=round(total / len(shown)),
                   highest=max(shown, key=lambda p: p.amount), lowest=min(shown, key=lambda p: p.amount),
                   latest=latest, year_before=year_before,
                   estimated=sum(1 for p in shown if p.estimated))


@dataclass(frozen=True)
class Bar:
    period: Period
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    """A bar chart laid out on the server, drawn as SVG by the template."""

    width: int
    height: int
    baseline: float
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) for grid lines


CHART_WIDTH, CHART_HEIGHT, LEFT, TOP, BOTTOM = 640, 300, 56, 12, 40


def _nice_ceiling(value: int) -> int:
    step = 1
    while step * 10 < value:
        step *= 10
    for multiple in (1, 2, 5, 10):
        if multiple * step >= value:
            return multiple * step
    return 10 * step


def chart(shown: list[Period]) -> Chart | None:
    if not shown:
        return None
    top_value = _nice_ceiling(max(1, *(p.amount for p in shown)))
    plot_height = CHART_HEIGHT - TOP - BOTTOM
    slot = (CHART_WIDTH - LEFT) / len(shown)
    bars = []
    for index, p in enumerate(shown):
        height = plot_height * max(p.amount, 0) / top_value
        bars.append(Bar(p, LEFT + index * slot + slot * 0.15, TOP + plot_height - height,
                        slot * 0.7, height))
    ticks = [(TOP + plot_height - plot_height * n / 4, top_value * n // 4) for n in range(5)]
    return Chart(CHART_WIDTH, CHART_HEIGHT, TOP + plot_height, bars, ticks)


class ReadingProblem(Exception):
    """Why a reading cannot be taken. `kind` picks the message; `last` is the previous value."""

    def __init__(self, kind: str, last: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.last = last


def usual_monthly(db: Session, service_id: int) -> int:
    shown = periods(db, service_id)
    return round(sum(p.amount for p in shown) / len(shown)) if shown else 0


def submit_reading(db: Session, service: Service, value: int, person_id: int,
                   today: dt.date) -> MeterReading:
    """Store a customer's reading in the caller's transaction. Sending the same reading twice on one
    day stores it once."""
    service_id = id_of(service)
    last = last_reading(db, service_id)
    if last is not None and last.read_on == today and last.value == value \
            and last.source is ReadingSource.customer:
        return last
    # Our own guesses can be too high; a real reading may correct them, so compare with real ones.
    last = last_real_reading(db, service_id)
    if last is not None:
        if value < last.value:
            raise ReadingProblem("lower", last.value)
        months = max(1, (today - last.read_on).days / 30)
        usual = usual_monthly(db, service_id)
        if usual and value - last.value > max(10 * usual * months, 1000):
            raise ReadingProblem("too_high", last.value)
    reading = MeterReading(service_id=service_id, read_on=today, value=value,
                           source=ReadingSource.customer, submitted_by_person_id=person_id,
                           created_at=utcnow())
    service.reading_due_on = None
    db.add(reading)
    db.add(service)
    try:
        db.flush()
    except IntegrityError:  # The same reading, sent twice at the same moment: the other one won.
        db.rollback()
        return db.exec(select(MeterReading).where(
            MeterReading.service_id == service_id, MeterReading.read_on == today,
            MeterReading.value == value, MeterReading.source == ReadingSource.customer)).one()
    return reading


def give_reading(db: Session, actor: Actor, service: Service, value: int, today: dt.date) -> MeterReading:
    """A customer (or a carer for them) gives a meter reading: stored and written to the activity log
    in one commit. Raises ReadingProblem for a reading we cannot take, with nothing stored."""
    taken = submit_reading(db, service, value, actor.person_id, today)
    record(db, actor_person_id=actor.person_id, subject_account_id=service.account_id, action="reading_given",
           detail=f"{service.kind.value} {taken.value}")
    db.commit()
    return taken

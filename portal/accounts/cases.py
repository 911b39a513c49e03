"""Cases and orders: where each one is, what happens next, and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal.accounts.models import Appointment, AppointmentStatus, Case, CaseStep, Service, Stage
from portal.db import id_of

CASES_PER_PAGE = 10


@dataclass(frozen=True)
class Progress:
    case: Case
    steps: list[CaseStep]
    current: CaseStep | None  # The latest step that has happened.
    next: CaseStep | None  # The first step still to come.

    @property
    def stage(self) -> Stage:
        if self.case.closed_on:
            return Stage.done
        return self.current.stage if self.current else Stage.received

    @property
    def waiting_for_you(self) -> bool:
        return self.stage is Stage.waiting_for_you


def steps(db: Session, case_id: int) -> list[CaseStep]:
    return list(db.exec(select(CaseStep).where(CaseStep.case_id == case_id)
                        .order_by(col(CaseStep.position))))


def progress(db: Session, case: Case) -> Progress:
    case_id = id_of(case)
    every = steps(db, case_id)
    happened = [s for s in every if s.happened_on is not None]
    to_come = [s for s in every if s.happened_on is None]
    return Progress(case, every, happened[-1] if happened else None,
                    None if case.closed_on else (to_come[0] if to_come else None))


def cases(db: Session, account_id: int, *, show: str = "open", page: int = 1
          ) -> tuple[list[Progress], int]:
    """One page of cases and orders: open ones, closed ones, or all; the newest first."""
    query = select(Case).where(Case.account_id == account_id)
    if show == "open":
        query = query.where(col(Case.closed_on).is_(None))
    elif show == "closed":
        query = query.where(col(Case.closed_on).is_not(None))
    everything = list(db.exec(query.order_by(col(Case.opened_on).desc(), col(Case.id).desc())))
    pages = max(1, -(-len(everything) // CASES_PER_PAGE))
    start = (min(max(page, 1), pages) - 1) * CASES_PER_PAGE
    return [progress(db, c) for c in everything[start:start + CASES_PER_PAGE]], pages


def of_service(db: Session, service: Service) -> list[Case]:
    """A service's cases, newest first."""
    return list(db.exec(select(Case).where(Case.service_id == service.id)
                        .order_by(col(Case.opened_on).desc())).all())


def open_cases(db: Session, account_id: int) -> list[Progress]:
    return cases(db, account_id, show="open", page=1)[0]


def recent_steps(db: Session, account_id: int, since: dt.date) -> list[tuple[Case, CaseStep]]:
    rows = db.exec(select(Case, CaseStep).join(CaseStep, col(CaseStep.case_id) == Case.id)
                   .where(Case.account_id == account_id, col(CaseStep.happened_on).is_not(None),
                          col(CaseStep.happened_on) >= since)
                   .order_by(col(CaseStep.happened_on).desc(), col(CaseStep.position).desc())).all()
    return [(c, s) for c, s in rows]


def appointments(db: Session, *, account_id: int | None = None, case_id: int | None = None,
                 after: dt.datetime) -> list[Appointment]:
    """Booked appointments still to come, soonest first."""
    query = select(Appointment).where(Appointment.status == AppointmentStatus.booked,
                                      Appointment.ends_at >= after)
    if account_id is not None:
        query = query.where(Appointment.account_id == account_id)
    if case_id is not None:
        query = query.where(Appointment.case_id == case_id)
    return list(db.exec(query.order_by(col(Appointment.starts_at))))

"""An update the demo starts with, so the notification centre has something to show before the worker
first runs: Margaret was told that we are looking into her complaint. It is made as the worker's
source would make it, so the worker does not tell her again. Seeded first, it is /updates/1."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select, update

from portal.accounts.models import Case, CaseStep, CustomerAccount
from portal.clock import utcnow
from portal.updates import service
from portal.updates.models import Delivery, DeliveryStatus, UpdateKind

COMPLAINT = "CS-100990-1"


def seed_updates(db: Session) -> None:
    case = db.exec(select(Case).where(Case.reference == COMPLAINT)).one()
    account = db.get(CustomerAccount, case.account_id)
    step = db.exec(select(CaseStep).where(CaseStep.case_id == case.id,
                                          CaseStep.detail == "looking_into")).one()
    assert account is not None and account.holder_person_id is not None and step.happened_on
    told_at = dt.datetime.combine(step.happened_on, dt.time(9), dt.UTC)
    told_at = min(told_at, utcnow())
    told = service.create_update(db, person_id=account.holder_person_id, account_id=account.id,
                                 kind=UpdateKind.cases, message="case_step",
                                 source_key=f"case-step:{step.id}",
                                 params={"case_id": case.id, "step_id": step.id},
                                 link=f"/account/cases/{case.reference}", now=told_at)
    if told is not None:  # It went out then: nothing is left for the worker to send.
        db.exec(update(Delivery).where(col(Delivery.update_id) == told.id)
                .values(status=DeliveryStatus.sent, sent_at=told_at))

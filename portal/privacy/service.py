"""Your data: everything we hold about the signed-in person and the accounts they may see, as plain
data (dates as ISO strings), for the download and for the page that shows the same thing.

Never in here: passkey key material or credential ids, codes, session ids, push addresses and keys,
or any hash."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, or_, select

from portal.access import Actor, Permission, can
from portal.accounts.models import (
    Appointment,
    Bill,
    BillLine,
    Case,
    CaseStep,
    CustomerAccount,
    MeterReading,
    Payment,
    PaymentPlan,
    Service,
)
from portal.accounts.service import accounts_for
from portal.activity import service as activity
from portal.activity.models import ActivityEntry
from portal.clock import utcnow
from portal.db import id_of
from portal.identity.models import Passkey, Person
from portal.needs.service import needs_of
from portal.notify.models import InboxMessage
from portal.privacy.models import ConsentRecord
from portal.push import service as push

Data = dict[str, Any]


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def accounts_in_scope(db: Session, actor: Actor) -> list[CustomerAccount]:
    """The accounts whose data this person may have a copy of."""
    return [a for a in accounts_for(db, actor) if can(actor, a, Permission.see_privacy)]


def consent_history(db: Session, person_id: int) -> list[Data]:
    """Newest first: when, about what, yes or no, and who wrote it down."""
    rows = db.exec(select(ConsentRecord).where(ConsentRecord.person_id == person_id)
                   .order_by(col(ConsentRecord.at).desc(), col(ConsentRecord.id).desc())).all()
    names = _names(db, {r.recorded_by_person_id for r in rows})
    return [{"at": _iso(r.at), "topic": r.topic, "given": r.given,
             "recorded_by": names.get(r.recorded_by_person_id)} for r in rows]


def export(db: Session, actor: Actor) -> Data:
    """Everything we hold about the person and the accounts in scope, as plain data."""
    person = db.get(Person, actor.person_id)
    assert person is not None
    person_id = id_of(person)
    accounts = accounts_in_scope(db, actor)
    return {
        "exported_at": _iso(utcnow()),
        "you": {"name": person.name, "email": person.email, "phone": person.phone,
                "preferred_language": person.preferred_language,
                "online_since": _iso(person.created_at)},
        "accounts": [_account(db, account) for account in accounts],
        "needs": _needs(db, person_id),
        "consent": consent_history(db, person_id),
        "activity": _activity(db, person_id, [a.id for a in accounts if a.id is not None]),
        "messages": [{"at": _iso(m.created_at), "subject": m.subject, "body": m.body,
                      "read_at": _iso(m.read_at)}
                     for m in db.exec(select(InboxMessage).where(InboxMessage.person_id == person_id)
                                      .order_by(col(InboxMessage.id)))],
        "passkeys": [{"name": p.name, "added": _iso(p.created_at), "last_used": _iso(p.last_used_at)}
                     for p in db.exec(select(Passkey).where(Passkey.person_id == person_id)
                                      .order_by(col(Passkey.created_at)))],
        # Not the push address or keys: they only work for sending, and say nothing about the person.
        "notification_devices": [{"device": push.describe(d.user_agent), "turned_on": _iso(d.created_at),
                                  "last_sent": _iso(d.last_used_at)} for d in push.devices(db, person_id)],
    }


def record_download(db: Session, actor: Actor) -> None:
    activity.record(db, actor_person_id=actor.person_id, action="data_downloaded")
    db.commit()


def _names(db: Session, person_ids: set[int | None]) -> dict[int | None, str]:
    ids = [i for i in person_ids if i is not None]
    if not ids:
        return {}
    return {p.id: p.name for p in db.exec(select(Person).where(col(Person.id).in_(ids)))}


def _account(db: Session, account: CustomerAccount) -> Data:
    account_id = id_of(account)
    services = list(db.exec(select(Service).where(Service.account_id == account_id)
                            .order_by(col(Service.id))))
    by_id = {s.id: s for s in services}
    readings: Iterable[MeterReading] = db.exec(
        select(MeterReading).where(col(MeterReading.service_id).in_(list(by_id)))
        .order_by(col(MeterReading.read_on), col(MeterReading.id))) if by_id else []
    bills = list(db.exec(select(Bill).where(Bill.account_id == account_id)
                         .order_by(col(Bill.issued_on), col(Bill.id))))
    lines: dict[int | None, list[BillLine]] = {b.id: [] for b in bills}
    if bills:
        for line in db.exec(select(BillLine).where(col(BillLine.bill_id).in_(list(lines)))
                            .order_by(col(BillLine.id))):
            lines[line.bill_id].append(line)
    plans = {p.id: p for p in db.exec(select(PaymentPlan).where(PaymentPlan.account_id == account_id)
                                      .order_by(col(PaymentPlan.agreed_on)))}
    cases = list(db.exec(select(Case).where(Case.account_id == account_id)
                         .order_by(col(Case.opened_on), col(Case.id))))
    steps: dict[int | None, list[CaseStep]] = {c.id: [] for c in cases}
    if cases:
        for step in db.exec(select(CaseStep).where(col(CaseStep.case_id).in_(list(steps)))
                            .order_by(col(CaseStep.position))):
            steps[step.case_id].append(step)
    case_refs = {c.id: c.reference for c in cases}

    def kind_of(service_id: int | None) -> str | None:
        service = by_id.get(service_id)
        return service.kind.value if service else None

    return {
        "reference": account.reference,
        "name": account.holder_name,
        "address": account.address,
        "postcode": account.postcode,
        "date_of_birth": _iso(account.date_of_birth),
        "email": account.email,
        "phone": account.phone,
        "direct_debit": account.direct_debit,
        "opened": _iso(account.created_at),
        "services": [{"kind": s.kind.value, "status": s.status.value, "tariff": s.tariff,
                      "meter": s.meter_serial, "started_on": _iso(s.started_on),
                      "ended_on": _iso(s.ended_on)} for s in services],
        "bills": [{"reference": b.reference, "period_start": _iso(b.period_start),
                   "period_end": _iso(b.period_end), "issued_on": _iso(b.issued_on),
                   "due_on": _iso(b.due_on), "paid_on": _iso(b.paid_on),
                   "total_pence": sum(line.amount_pence for line in lines[b.id]),
                   "lines": [{"kind": line.kind.value, "service": kind_of(line.service_id),
                              "quantity": line.quantity, "amount_pence": line.amount_pence,
                              "estimated": line.estimated} for line in lines[b.id]]}
                  for b in bills],
        "payments": [{"made_on": _iso(p.made_on), "amount_pence": p.amount_pence,
                      "method": p.method.value, "status": p.status.value,
                      "for_plan_agreed_on": _iso(plans[p.plan_id].agreed_on)
                      if p.plan_id in plans else None}
                     for p in db.exec(select(Payment).where(Payment.account_id == account_id)
                                      .order_by(col(Payment.made_on), col(Payment.id)))],
        "payment_plans": [{"agreed_on": _iso(p.agreed_on), "instalment_pence": p.instalment_pence,
                           "instalments": p.instalments, "first_due_on": _iso(p.first_due_on),
                           "status": p.status.value} for p in plans.values()],
        "meter_readings": [{"service": kind_of(r.service_id),
                            "meter": by_id[r.service_id].meter_serial, "read_on": _iso(r.read_on),
                            "value": r.value, "source": r.source.value} for r in readings],
        "cases": [{"reference": c.reference, "category": c.category.value, "kind": c.kind.value,
                   "opened_on": _iso(c.opened_on), "expected_by": _iso(c.expected_by),
                   "closed_on": _iso(c.closed_on),
                   "steps": [{"stage": s.stage.value, "detail": s.detail,
                              "happened_on": _iso(s.happened_on),
                              "expected_on": _iso(s.expected_on), "act_by": _iso(s.act_by)}
                             for s in steps[c.id]]} for c in cases],
        "appointments": [{"kind": a.kind.value, "status": a.status.value,
                          "starts_at": _iso(a.starts_at), "ends_at": _iso(a.ends_at),
                          "case": case_refs.get(a.case_id)}
                         for a in db.exec(select(Appointment).where(
                             Appointment.account_id == account_id)
                             .order_by(col(Appointment.starts_at)))],
    }


def _needs(db: Session, person_id: int) -> Data | None:
    row = needs_of(db, person_id)
    if row is None:
        return None
    return {"preferred_channel": row.preferred_channel or None,
            "support": [s.value for s in row.supports], "other": row.other,
            "updated_at": _iso(row.updated_at)}


def _activity(db: Session, person_id: int, account_ids: list[int]) -> list[Data]:
    """What the person did, what anyone did on the accounts in scope, and what people who help them
    did for them (and were refused). Newest first."""
    entries = list(db.exec(select(ActivityEntry).where(or_(
        ActivityEntry.actor_person_id == person_id,
        ActivityEntry.on_behalf_of_person_id == person_id,
        col(ActivityEntry.subject_account_id).in_(account_ids)))
        .order_by(col(ActivityEntry.at).desc(), col(ActivityEntry.id).desc())))
    names = _names(db, {e.actor_person_id for e in entries})
    accounts = {a.id: a.reference for a in db.exec(select(CustomerAccount).where(
        col(CustomerAccount.id).in_({e.subject_account_id for e in entries
                                     if e.subject_account_id is not None})))}
    return [{"at": _iso(e.at), "action": e.action, "detail": e.detail,
             "by": names.get(e.actor_person_id), "account": accounts.get(e.subject_account_id)}
            for e in entries]

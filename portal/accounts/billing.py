"""Bills, payments and payment plans: what is owed, what is due, and why a bill changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal.accounts.models import (
    Bill,
    BillLine,
    LineKind,
    Payment,
    PaymentPlan,
    PaymentPlanStatus,
    PaymentStatus,
    Service,
)

BILLS_PER_PAGE = 6
PAYMENTS_PER_PAGE = 10


def total(db: Session, bill: Bill) -> int:
    return sum(line.amount_pence for line in lines(db, bill))


def lines(db: Session, bill: Bill) -> list[BillLine]:
    return list(db.exec(select(BillLine).where(BillLine.bill_id == bill.id).order_by(col(BillLine.id))))


def balance(db: Session, account_id: int) -> int:
    """Pence owed: positive means the customer owes us, negative means they are in credit."""
    billed = db.exec(select(func.coalesce(func.sum(BillLine.amount_pence), 0))
                     .join(Bill, col(Bill.id) == BillLine.bill_id)
                     .where(Bill.account_id == account_id)).one()
    paid = db.exec(select(func.coalesce(func.sum(Payment.amount_pence), 0)).where(
        Payment.account_id == account_id, Payment.status == PaymentStatus.received)).one()
    return int(billed) - int(paid)


def bill_status(bill: Bill, today: dt.date) -> str:
    if bill.paid_on:
        return "paid"
    return "overdue" if bill.due_on < today else "due"


def bill_years(db: Session, account_id: int) -> list[int]:
    issued = db.exec(select(col(Bill.issued_on)).where(Bill.account_id == account_id)).all()
    return sorted({d.year for d in issued}, reverse=True)


def bills(db: Session, account_id: int, *, year: int | None = None, page: int = 1
          ) -> tuple[list[Bill], int]:
    """One page of bills, newest first, and how many pages there are."""
    query = select(Bill).where(Bill.account_id == account_id)
    if year is not None:
        query = query.where(Bill.issued_on >= dt.date(year, 1, 1),
                            Bill.issued_on <= dt.date(year, 12, 31))
    everything = list(db.exec(query.order_by(col(Bill.issued_on).desc(), col(Bill.id).desc())))
    pages = max(1, -(-len(everything) // BILLS_PER_PAGE))
    start = (min(max(page, 1), pages) - 1) * BILLS_PER_PAGE
    return everything[start:start + BILLS_PER_PAGE], pages


def unpaid_bills(db: Session, account_id: int) -> list[Bill]:
    return list(db.exec(select(Bill).where(Bill.account_id == account_id, col(Bill.paid_on).is_(None))
                        .order_by(col(Bill.due_on))))


def latest_bill(db: Session, account_id: int) -> Bill | None:
    return db.exec(select(Bill).where(Bill.account_id == account_id)
                   .order_by(col(Bill.issued_on).desc())).first()


def previous_bill(db: Session, bill: Bill) -> Bill | None:
    return db.exec(select(Bill).where(Bill.account_id == bill.account_id,
                                      Bill.period_end < bill.period_end)
                   .order_by(col(Bill.period_end).desc())).first()


@dataclass(frozen=True)
class Reason:
    """One plain reason a bill differs from the last one. `kind` picks the sentence to show."""

    kind: str  # used_more, used_less, longer_period, shorter_period, price_up, price_down,
    #            discount_ended, new_discount, adjustment
    service: Service | None = None
    before: float = 0
    after: float = 0


@dataclass(frozen=True)
class Comparison:
    previous: Bill
    previous_total: int
    difference: int  # Pence: positive means this bill is higher.
    reasons: list[Reason] = field(default_factory=list)


def _days(bill: Bill) -> int:
    return (bill.period_end - bill.period_start).days + 1


def _usage_by_service(bill_lines: list[BillLine]) -> dict[int, BillLine]:
    return {line.service_id: line for line in bill_lines
            if line.kind is LineKind.usage and line.service_id is not None}


def compare(db: Session, bill: Bill) -> Comparison | None:
    """Why this bill is higher or lower than the one before, in the order that matters most."""
    before = previous_bill(db, bill)
    if before is None:
        return None
    now_lines, then_lines = lines(db, bill), lines(db, before)
    now_total, then_total = sum(x.amount_pence for x in now_lines), sum(x.amount_pence for x in then_lines)
    reasons: list[Reason] = []
    then_usage = _usage_by_service(then_lines)
    for service_id, line in _usage_by_service(now_lines).items():
        old = then_usage.get(service_id)
        if old is None or not line.quantity or not old.quantity:
            continue
        service = db.get(Service, service_id)
        if line.quantity != old.quantity:
            kind = "used_more" if line.quantity > old.quantity else "used_less"
            reasons.append(Reason(kind, service, old.quantity, line.quantity))
        now_rate, then_rate = line.amount_pence / line.quantity, old.amount_pence / old.quantity
        if abs(now_rate - then_rate) >= 0.05:
            reasons.append(Reason("price_up" if now_rate > then_rate else "price_down", service,
                                  round(then_rate, 2), round(now_rate, 2)))
    if _days(bill) != _days(before):
        kind = "longer_period" if _days(bill) > _days(before) else "shorter_period"
        reasons.append(Reason(kind, None, _days(before), _days(bill)))
    now_discount = sum(x.amount_pence for x in now_lines if x.kind is LineKind.discount)
    then_discount = sum(x.amount_pence for x in then_lines if x.kind is LineKind.discount)
    if then_discount and not now_discount:
        reasons.append(Reason("discount_ended", None, -then_discount / 100, 0))
    elif now_discount and not then_discount:
        reasons.append(Reason("new_discount", None, 0, -now_discount / 100))
    if any(x.kind is LineKind.adjustment for x in now_lines):
        reasons.append(Reason("adjustment"))
    return Comparison(before, then_total, now_total - then_total, reasons)


def payments(db: Session, account_id: int, *, page: int = 1) -> tuple[list[Payment], int]:
    everything = list(db.exec(select(Payment).where(Payment.account_id == account_id)
                              .order_by(col(Payment.made_on).desc(), col(Payment.id).desc())))
    pages = max(1, -(-len(everything) // PAYMENTS_PER_PAGE))
    start = (min(max(page, 1), pages) - 1) * PAYMENTS_PER_PAGE
    return everything[start:start + PAYMENTS_PER_PAGE], pages


def failed_payment(db: Session, account_id: int, today: dt.date) -> Payment | None:
    """A payment that failed in the last 30 days with nothing received since."""
    recent = db.exec(select(Payment).where(Payment.account_id == account_id,
                                           Payment.made_on >= today - dt.timedelta(days=30))
                     .order_by(col(Payment.made_on).desc(), col(Payment.id).desc())).first()
    return recent if recent is not None and recent.status is PaymentStatus.failed else None


def active_plan(db: Session, account_id: int) -> PaymentPlan | None:
    return db.exec(select(PaymentPlan).where(PaymentPlan.account_id == account_id,
                                             PaymentPlan.status == PaymentPlanStatus.active)).first()


@dataclass(frozen=True)
class PlanProgress:
    plan: PaymentPlan
    paid: int  # Instalments received so far.
    next_due_on: dt.date | None
    left_to_pay: int  # Pence.
    behind: bool  # The next instalment's date has passed.


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):  # The same day, or the month's last day.
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def plan_progress(db: Session, plan: PaymentPlan, today: dt.date) -> PlanProgress:
    paid = len(db.exec(select(Payment.id).where(Payment.plan_id == plan.id,
                                                Payment.status == PaymentStatus.received)).all())
    next_due = add_months(plan.first_due_on, paid) if paid < plan.instalments else None
    return PlanProgress(plan, paid, next_due, (plan.instalments - paid) * plan.instalment_pence,
                        behind=next_due is not None and next_due < today)

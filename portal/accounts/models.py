"""Customer accounts and what hangs off them: services, meter readings, bills, payments, payment
plans, cases and orders with their steps, and appointments.

Money is whole pence. Dates a customer reads (due dates, bill periods) are plain dates; moments are
aware UTC datetimes."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar, Literal

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.db import enum_type


class CustomerAccount(SQLModel, table=True):
    __tablename__ = "customer_account"
    access_kind: ClassVar[Literal["account"]] = "account"  # What `can()` (portal/access.py) sees.

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True, index=True)
    holder_name: str = Field(max_length=200)
    # The person who holds the account online; empty until they set up online access.
    holder_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    address: str = Field(default="", max_length=500)
    postcode: str = Field(default="", max_length=10)
    date_of_birth: dt.date | None = None
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    # Bills are collected by Direct Debit on their due date, so there is nothing to do until one fails.
    direct_debit: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow)


class ServiceKind(StrEnum):
    electricity = "electricity"
    gas = "gas"
    water = "water"
    boiler_cover = "boiler_cover"

    @property
    def metered(self) -> bool:
        return self is not ServiceKind.boiler_cover

    @property
    def unit(self) -> str:
        return "m3" if self is ServiceKind.water else "kWh"


class ServiceStatus(StrEnum):
    active = "active"
    being_set_up = "being_set_up"
    fault = "fault"
    ended = "ended"


class Service(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="customer_account.id", index=True, ondelete="CASCADE")
    kind: ServiceKind = Field(sa_type=enum_type(ServiceKind))
    status: ServiceStatus = Field(default=ServiceStatus.active, sa_type=enum_type(ServiceStatus))
    tariff: str = Field(default="", max_length=100)  # A product name, shown as it is.
    meter_serial: str = Field(default="", max_length=30)
    started_on: dt.date
    ended_on: dt.date | None = None
    # Set when we need the customer to read their meter; cleared when they do.
    reading_due_on: dt.date | None = None


class ReadingSource(StrEnum):
    customer = "customer"
    meter_reader = "meter_reader"
    smart_meter = "smart_meter"
    estimate = "estimate"


class MeterReading(SQLModel, table=True):
    __tablename__ = "meter_reading"
    # A customer's reading, sent twice at once (a double click), is stored once.
    __table_args__ = (Index("uq_meter_reading_customer_once", "service_id", "read_on", "value", unique=True,
                            sqlite_where=text("source = 'customer'"),
                            postgresql_where=text("source = 'customer'")),)

    id: int | None = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    read_on: dt.date
    value: int  # Whole units shown on the meter.
    source: ReadingSource = Field(sa_type=enum_type(ReadingSource))
    submitted_by_person_id: int | None = Field(default=None, foreign_key="person.id",
                                               ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)


class Bill(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="customer_account.id", index=True, ondelete="CASCADE")
    reference: str = Field(max_length=30, unique=True, index=True)
    period_start: dt.date
    period_end: dt.date
    issued_on: dt.date
    due_on: dt.date
    paid_on: dt.date | None = None


class LineKind(StrEnum):
    usage = "usage"
    standing_charge = "standing_charge"
    discount = "discount"
    adjustment = "adjustment"
    vat = "vat"


class BillLine(SQLModel, table=True):
    __tablename__ = "bill_line"

    id: int | None = Field(default=None, primary_key=True)
    bill_id: int = Field(foreign_key="bill.id", index=True, ondelete="CASCADE")
    service_id: int | None = Field(default=None, foreign_key="service.id", ondelete="SET NULL")
    kind: LineKind = Field(sa_type=enum_type(LineKind))
    quantity: int = 0  # Units used, or days for a standing charge.
    amount_pence: int  # Negative for a discount or credit.
    estimated: bool = False


class PaymentMethod(StrEnum):
    direct_debit = "direct_debit"
    card = "card"
    bank_transfer = "bank_transfer"


class PaymentStatus(StrEnum):
    received = "received"
    failed = "failed"


class PaymentPlanStatus(StrEnum):
    active = "active"
    completed = "completed"
    cancelled = "cancelled"


class PaymentPlan(SQLModel, table=True):
    __tablename__ = "payment_plan"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="customer_account.id", index=True, ondelete="CASCADE")
    instalment_pence: int
    instalments: int
    first_due_on: dt.date  # Then the same day each month.
    agreed_on: dt.date
    status: PaymentPlanStatus = Field(default=PaymentPlanStatus.active,
                                      sa_type=enum_type(PaymentPlanStatus))


class Payment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="customer_account.id", index=True, ondelete="CASCADE")
    plan_id: int | None = Field(default=None, foreign_key="payment_plan.id", ondelete="SET NULL")
    amount_pence: int
    made_on: dt.date
    method: PaymentMethod = Field(sa_type=enum_type(PaymentMethod))
    status: PaymentStatus = Field(default=PaymentStatus.received, sa_type=enum_type(PaymentStatus))


class CaseCategory(StrEnum):
    case = "case"  # Something we are sorting out: a fault, a complaint, a refund.
    order = "order"  # Something the customer asked for: a new meter, moving home.


class CaseKind(StrEnum):
    meter_fault = "meter_fault"
    smart_meter = "smart_meter"
    refund = "refund"
    complaint = "complaint"
    moving_home = "moving_home"
    boiler_repair = "boiler_repair"


class Stage(StrEnum):
    received = "received"
    in_progress = "in_progress"
    waiting_for_you = "waiting_for_you"
    done = "done"


class Case(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="customer_account.id", index=True, ondelete="CASCADE")
    service_id: int | None = Field(default=None, foreign_key="service.id", ondelete="SET NULL")
    reference: str = Field(max_length=30, unique=True, index=True)
    category: CaseCategory = Field(sa_type=enum_type(CaseCategory))
    kind: CaseKind = Field(sa_type=enum_type(CaseKind))
    opened_on: dt.date
    expected_by: dt.date | None = None
    closed_on: dt.date | None = None


class CaseStep(SQLModel, table=True):
    """One step on a case's timeline. Steps still to come have no `happened_on` yet."""

    __tablename__ = "case_step"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True, ondelete="CASCADE")
    position: int
    stage: Stage = Field(sa_type=enum_type(Stage))
    # Which plain-language description to show (see accounts/wording.py), so it reads in every
    # language.
    detail: str = Field(max_length=40)
    happened_on: dt.date | None = None
    expected_on: dt.date | None = None
    # For "waiting for you": the date we need the customer to act by.
    act_by: dt.date | None = None


class AppointmentKind(StrEnum):
    meter_exchange = "meter_exchange"
    engineer_visit = "engineer_visit"
    smart_meter_fit = "smart_meter_fit"


class AppointmentStatus(StrEnum):
    booked = "booked"
    done = "done"
    cancelled = "cancelled"


class Appointment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="customer_account.id", index=True, ondelete="CASCADE")
    case_id: int | None = Field(default=None, foreign_key="case.id", ondelete="SET NULL")
    kind: AppointmentKind = Field(sa_type=enum_type(AppointmentKind))
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: AppointmentStatus = Field(default=AppointmentStatus.booked,
                                      sa_type=enum_type(AppointmentStatus))

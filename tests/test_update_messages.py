"""What an update says: what happened, what to do, where to go, in the reader's language; and a
safe message, never an error, when the thing it was about is gone."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from portal.accounts import billing
from portal.accounts.models import (
    AppointmentKind,
    Bill,
    Case,
    CaseCategory,
    CaseKind,
    CaseStep,
    CustomerAccount,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ServiceKind,
    Stage,
)
from portal.help.context import ABOUT
from portal.i18n import format_date, format_money, speaking
from portal.ops.models import Confidence, Incident, IncidentStage, IncidentVersion
from portal.updates import messages
from portal.updates.models import Update, UpdateKind
from tests import factories

ZONE = "Europe/London"


def update(message: str, kind: UpdateKind = UpdateKind.cases, **params: object) -> Update:
    return Update(id=1, person_id=1, kind=kind, message=message, source_key="test",
                  params=json.dumps(params))


@pytest.fixture
def account(db: Session) -> CustomerAccount:
    return factories.account_of(db, factories.customer(db))


def photo_needed(db: Session, account: CustomerAccount) -> tuple[Update, Case, CaseStep]:
    """A meter fault waiting for the customer to send a photo of the meter."""
    case = factories.case(db, account)
    step = db.exec(select(CaseStep).where(CaseStep.case_id == case.id,
                                          CaseStep.detail == "photo_needed")).one()
    return update("case_step", case_id=case.id, step_id=step.id), case, step


def late_bill(db: Session, account: CustomerAccount) -> tuple[Update, Bill]:
    bill = factories.bill(db, account, ends_on=factories.today() - dt.timedelta(days=40))
    return update("bill_overdue", UpdateKind.bills, bill_id=bill.id), bill


def failed_payment(db: Session, account: CustomerAccount) -> tuple[Update, Payment]:
    payment = factories.payment(db, account, 4500, made_on=factories.today() - dt.timedelta(days=5),
                                method=PaymentMethod.direct_debit, status=PaymentStatus.failed)
    return update("payment_failed", UpdateKind.payments, payment_id=payment.id), payment


FITTING_BOOKED = ((Stage.received, "received", -21, None), (Stage.in_progress, "fitting_booked", -7, None),
                  (Stage.in_progress, "visit", 5, None), (Stage.done, "fitted", 5, None))


def meter_order(db: Session, account: CustomerAccount) -> Case:
    return factories.case(db, account, category=CaseCategory.order, kind=CaseKind.smart_meter,
                          steps=FITTING_BOOKED)


def visit(db: Session, account: CustomerAccount) -> tuple[Update, Case]:
    """A smart meter fitting from 8am to noon, London time, for an order."""
    order = meter_order(db, account)
    day = factories.today() + dt.timedelta(days=5)
    starts = dt.datetime.combine(day, dt.time(8), ZoneInfo(ZONE)).astimezone(dt.UTC)
    made = factories.appointment(db, account, starts_at=starts, hours=4,
                                 kind=AppointmentKind.smart_meter_fit, for_case=order)
    return update("visit_tomorrow", UpdateKind.visits, appointment_id=made.id), order


def incident(db: Session, *versions: dict) -> Incident:
    made = Incident(service=ServiceKind.water, areas="NF2", stage=IncidentStage.fixing)
    db.add(made)
    db.flush()
    for number, fields in enumerate(versions, start=1):
        db.add(IncidentVersion(incident_id=made.id, version=number, **{
            "stage": IncidentStage.fixing, "title": "No water in parts of NF2",
            "what_is_happening": "A water pipe burst on High Street.",
            "who_is_affected": "Homes in NF2 near High Street.",
            "what_to_do": "Use bottled water. We are bringing some to Market Square.", **fields}))
    db.commit()
    return made


def test_a_case_waiting_for_you_says_what_we_need_and_by_when(db: Session, account: CustomerAccount) -> None:
    photo, case, step = photo_needed(db, account)
    shown = messages.render(db, photo, time_zone=ZONE)
    assert step.act_by is not None
    assert shown.title == "We need something from you"
    assert "photo of your meter" in shown.what_to_do
    assert f"Please do this by {format_date(step.act_by)}." in shown.what_to_do
    assert case.reference in shown.body
    assert shown.link == f"/account/cases/{case.reference}"


def test_a_case_moving_on_says_nothing_is_needed(db: Session, account: CustomerAccount) -> None:
    order = meter_order(db, account)
    step = db.exec(select(CaseStep).where(CaseStep.case_id == order.id,
                                          CaseStep.detail == "fitting_booked")).one()
    shown = messages.render(db, update("case_step", case_id=step.case_id, step_id=step.id))
    assert shown.title == "Your order has moved on"
    assert "We booked a time to fit your new meter." in shown.body
    assert shown.what_to_do == "You do not need to do anything."
    assert shown.link == f"/account/cases/{order.reference}"


def test_bills_say_how_much_and_when(db: Session, account: CustomerAccount) -> None:
    late, bill = late_bill(db, account)
    amount = format_money(Decimal(billing.total(db, bill)) / 100)
    shown = messages.render(db, late)
    assert shown.title == "Your bill is late"
    assert amount in shown.body and format_date(bill.due_on) in shown.body
    assert "pay it now" in shown.what_to_do
    assert shown.link == f"/account/bills/{bill.reference}"
    due = messages.render(db, update("bill_due", UpdateKind.bills, bill_id=bill.id))
    assert due.title == "Your bill is due soon"
    assert due.what_to_do == f"Pay {amount} by {format_date(bill.due_on)}."


def test_a_failed_payment_says_what_to_check(db: Session, account: CustomerAccount) -> None:
    failed, payment = failed_payment(db, account)
    shown = messages.render(db, failed)
    assert shown.title == "A payment did not go through"
    assert "£45.00" in shown.body and format_date(payment.made_on) in shown.body
    assert "money in your bank account" in shown.what_to_do
    assert shown.link == "/account/payments"


def test_a_visit_gives_the_time_window_in_local_time(db: Session, account: CustomerAccount) -> None:
    tomorrow, order = visit(db, account)
    shown = messages.render(db, tomorrow, time_zone=ZONE)
    assert shown.title == "Your visit is tomorrow"
    assert "Smart meter fitting on" in shown.body
    assert "between 08:00 and 12:00" in shown.body
    assert "be at home" in shown.what_to_do
    assert shown.link == f"/account/cases/{order.reference}"


def test_use_over_a_limit_says_how_much(db: Session, account: CustomerAccount) -> None:
    service = factories.service_of(db, account, ServiceKind.electricity)
    shown = messages.render(db, update("usage_over", UpdateKind.usage, service_id=service.id,
                                       month="2026-03", units=1234, limit=1000))
    assert shown.title == "Electricity: you went over your limit"
    assert "1,234 kWh in March 2026" in shown.body and "1,000 kWh" in shown.body
    assert shown.link == f"/account/usage?service={service.id}"


def test_an_incident_uses_the_words_operations_wrote(db: Session) -> None:
    fix_at = dt.datetime(2026, 11, 25, 18, 0, tzinfo=ZoneInfo(ZONE)).astimezone(dt.UTC)
    found = incident(db, {"expected_fix_at": fix_at, "confidence": Confidence.medium},
                     {"stage": IncidentStage.resolved, "title": "Water is back in NF2",
                      "what_to_do": "Run your cold tap for a minute."},
                     {"stage": IncidentStage.fixing, "is_correction": True, "expected_fix_at": fix_at,
                      "confidence": Confidence.low})
    first = messages.render(db, update("incident", UpdateKind.incidents, incident_id=found.id, version=1),
                            time_zone=ZONE)
    assert first.title == "No water in parts of NF2"
    assert "A water pipe burst on High Street." in first.body
    assert "We expect to fix it by 18:00 on 25 November 2026. We are fairly sure of this." in first.body
    assert first.what_to_do.startswith("Use bottled water.")
    assert first.link == f"/status#{found.reference}"
    fixed = messages.render(db, update("incident", UpdateKind.incidents, incident_id=found.id, version=2))
    assert fixed.title == "Fixed: Water is back in NF2"
    assert "We expect" not in fixed.body
    corrected = messages.render(db, update("incident", UpdateKind.incidents, incident_id=found.id,
                                           version=3))
    assert corrected.title == "Correction: No water in parts of NF2"
    assert "We are not sure of this yet." in corrected.body


@pytest.mark.parametrize("broken", [
    update("no_such_message"),
    update("bill_overdue", UpdateKind.bills, bill_id=999_999),
    update("bill_overdue", UpdateKind.bills, bill_id="12"),
    update("case_step"),
    update("usage_over", UpdateKind.usage, service_id=1, month="March", units=1, limit=0),
    update("incident", UpdateKind.incidents, incident_id=999_999, version=1),
    update("usage_over", UpdateKind.usage, service_id=999_999, month="2026-03", units=1, limit=0),
    Update(id=1, person_id=1, kind=UpdateKind.cases, message="case_step", source_key="x", params="{oops"),
])
def test_anything_we_cannot_say_gets_a_safe_general_message(db: Session, account: CustomerAccount,
                                                             broken: Update) -> None:
    """`account` holds service 1, so the usage update with a month we cannot read fails for that."""
    shown = messages.render(db, broken)
    assert shown.title == "We have an update for you"
    assert shown.link.startswith("/")
    assert messages.render_reminder(db, broken).title == "Reminder: We have an update for you"
    assert messages.render_callback_offer(db, broken).link.startswith("/help/callback")
    assert messages.help_link(db, broken).startswith("/help")


def test_a_reminder_says_it_is_a_reminder(db: Session, account: CustomerAccount) -> None:
    late, _ = late_bill(db, account)
    first, again = messages.render(db, late), messages.render_reminder(db, late)
    assert again.title == "Reminder: Your bill is late"
    assert (again.body, again.what_to_do, again.link) == (first.body, first.what_to_do, first.link)


def test_the_callback_offer_takes_what_it_is_about_to_the_callback_page(
        db: Session, account: CustomerAccount) -> None:
    late, bill = late_bill(db, account)
    failed, _ = failed_payment(db, account)
    photo, case, _ = photo_needed(db, account)
    tomorrow, order = visit(db, account)
    offers = [
        (photo, f"/help/callback?about=case:{case.reference}"),
        (late, f"/help/callback?about=bill:{bill.reference}"),
        (failed, "/help/callback?about=payments"),
        (tomorrow, f"/help/callback?about=case:{order.reference}"),
    ]
    for about, link in offers:
        offer = messages.render_callback_offer(db, about)
        assert offer.title == "We can call you about this"
        assert messages.render(db, about).body in offer.body  # They do not have to look it up.
        assert offer.link == link
        value = link.partition("?about=")[2]
        assert ABOUT.fullmatch(value), "the help pages accept what the link carries"
        assert messages.help_link(db, about) == f"/help?about={value}"


def test_a_digest_counts_the_updates_and_lists_each(db: Session, account: CustomerAccount) -> None:
    late, _ = late_bill(db, account)
    failed, _ = failed_payment(db, account)
    several = [photo_needed(db, account)[0], late, failed]
    digest = messages.render_digest(db, several)
    assert digest.title == "3 updates for you"
    assert digest.body.splitlines() == ["- We need something from you", "- Your bill is late",
                                        "- A payment did not go through"]
    assert digest.link == "/updates"
    assert messages.render_digest(db, [late]).title == "1 update for you"


@pytest.mark.parametrize("language", ["cy", "ar"])
def test_every_message_renders_in_other_languages(db: Session, account: CustomerAccount,
                                                language: str) -> None:
    late, bill = late_bill(db, account)
    failed, _ = failed_payment(db, account)
    found = incident(db, {"expected_fix_at": dt.datetime(2026, 11, 25, 18, tzinfo=dt.UTC)})
    service = factories.service_of(db, account, ServiceKind.electricity)
    tomorrow, _ = visit(db, account)
    every = [photo_needed(db, account)[0], late, update("bill_due", UpdateKind.bills, bill_id=bill.id),
             failed, tomorrow,
             update("usage_over", UpdateKind.usage, service_id=service.id, month="2026-03", units=9,
                    limit=5),
             update("incident", UpdateKind.incidents, incident_id=found.id, version=1),
             update("no_such_message")]
    english_visit = messages.render(db, tomorrow, time_zone=ZONE)
    with speaking(language):
        for each in every:
            for shown in (messages.render(db, each), messages.render_reminder(db, each),
                          messages.render_callback_offer(db, each)):
                assert shown.title and shown.body and shown.what_to_do and shown.link.startswith("/")
        assert messages.render_digest(db, every).title
        # Words already in the catalogues (the kind of visit, the date) read in the language now.
        in_language = messages.render(db, tomorrow, time_zone=ZONE)
    assert in_language.body != english_visit.body


def test_the_case_record_must_match_the_step(db: Session, account: CustomerAccount) -> None:
    """An update naming one customer's case and another's step says nothing about either."""
    _, _, step = photo_needed(db, account)
    other = meter_order(db, factories.account_of(db, factories.customer(db)))
    shown = messages.render(db, update("case_step", case_id=other.id, step_id=step.id))
    assert shown.title == "We have an update for you"

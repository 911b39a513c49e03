"""What an update says: what happened, what to do, where to go, in the reader's language; and a
safe message, never an error, when the thing it was about is gone."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from portal.accounts import billing
from portal.accounts.models import (
    Appointment,
    Bill,
    Case,
    CaseStep,
    CustomerAccount,
    Payment,
    PaymentStatus,
    Service,
    ServiceKind,
)
from portal.help.context import ABOUT
from portal.i18n import format_date, format_money, speaking
from portal.ops.models import Confidence, Incident, IncidentStage, IncidentVersion
from portal.updates import messages
from portal.updates.models import Update, UpdateKind

pytestmark = pytest.mark.demo  # Not yet on made data: see tests/factories.py.

ZONE = "Europe/London"


def update(message: str, kind: UpdateKind = UpdateKind.cases, **params: object) -> Update:
    return Update(id=1, person_id=1, kind=kind, message=message, source_key="test",
                  params=json.dumps(params))


def sams_photo(db: Session) -> Update:
    step = db.exec(select(CaseStep).where(CaseStep.detail == "photo_needed")).one()
    return update("case_step", case_id=step.case_id, step_id=step.id)


def sams_late_bill(db: Session) -> tuple[Update, Bill]:
    bill = db.exec(select(Bill).join(CustomerAccount, col(CustomerAccount.id) == Bill.account_id)
                   .where(CustomerAccount.holder_name == "Sam Taylor", col(Bill.paid_on).is_(None))).one()
    return update("bill_overdue", UpdateKind.bills, bill_id=bill.id), bill


def olus_failed_payment(db: Session) -> tuple[Update, Payment]:
    payment = db.exec(select(Payment).where(Payment.status == PaymentStatus.failed)).one()
    return update("payment_failed", UpdateKind.payments, payment_id=payment.id), payment


def aminas_visit(db: Session) -> Update:
    visit = db.exec(select(Appointment)).one()
    return update("visit_tomorrow", UpdateKind.visits, appointment_id=visit.id)


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


def test_a_case_waiting_for_you_says_what_we_need_and_by_when(db: Session) -> None:
    shown = messages.render(db, sams_photo(db), time_zone=ZONE)
    step = db.exec(select(CaseStep).where(CaseStep.detail == "photo_needed")).one()
    assert step.act_by is not None
    assert shown.title == "We need something from you"
    assert "photo of your meter" in shown.what_to_do
    assert f"Please do this by {format_date(step.act_by)}." in shown.what_to_do
    assert "CS-101502-1" in shown.body
    assert shown.link == "/account/cases/CS-101502-1"


def test_a_case_moving_on_says_nothing_is_needed(db: Session) -> None:
    step = db.exec(select(CaseStep).where(CaseStep.detail == "fitting_booked")).one()
    shown = messages.render(db, update("case_step", case_id=step.case_id, step_id=step.id))
    assert shown.title == "Your order has moved on"
    assert "We booked a time to fit your new meter." in shown.body
    assert shown.what_to_do == "You do not need to do anything."
    assert shown.link == "/account/cases/OR-100234-1"


def test_bills_say_how_much_and_when(db: Session) -> None:
    late, bill = sams_late_bill(db)
    amount = format_money(Decimal(billing.total(db, bill)) / 100)
    shown = messages.render(db, late)
    assert shown.title == "Your bill is late"
    assert amount in shown.body and format_date(bill.due_on) in shown.body
    assert "pay it now" in shown.what_to_do
    assert shown.link == f"/account/bills/{bill.reference}"
    due = messages.render(db, update("bill_due", UpdateKind.bills, bill_id=bill.id))
    assert due.title == "Your bill is due soon"
    assert due.what_to_do == f"Pay {amount} by {format_date(bill.due_on)}."


def test_a_failed_payment_says_what_to_check(db: Session) -> None:
    failed, payment = olus_failed_payment(db)
    shown = messages.render(db, failed)
    assert shown.title == "A payment did not go through"
    assert "£45.00" in shown.body and format_date(payment.made_on) in shown.body
    assert "money in your bank account" in shown.what_to_do
    assert shown.link == "/account/payments"


def test_a_visit_gives_the_time_window_in_local_time(db: Session) -> None:
    shown = messages.render(db, aminas_visit(db), time_zone=ZONE)
    assert shown.title == "Your visit is tomorrow"
    assert "Smart meter fitting on" in shown.body
    assert "between 08:00 and 12:00" in shown.body  # The demo books 8am to noon, London time.
    assert "be at home" in shown.what_to_do
    assert shown.link == "/account/cases/OR-100234-1"


def test_use_over_a_limit_says_how_much(db: Session) -> None:
    service = db.exec(select(Service).where(Service.kind == ServiceKind.electricity)).first()
    assert service is not None and service.id is not None
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
def test_anything_we_cannot_say_gets_a_safe_general_message(db: Session, broken: Update) -> None:
    shown = messages.render(db, broken)
    assert shown.title == "We have an update for you"
    assert shown.link.startswith("/")
    assert messages.render_reminder(db, broken).title == "Reminder: We have an update for you"
    assert messages.render_callback_offer(db, broken).link.startswith("/help/callback")
    assert messages.help_link(db, broken).startswith("/help")


def test_a_reminder_says_it_is_a_reminder(db: Session) -> None:
    late, _ = sams_late_bill(db)
    first, again = messages.render(db, late), messages.render_reminder(db, late)
    assert again.title == "Reminder: Your bill is late"
    assert (again.body, again.what_to_do, again.link) == (first.body, first.what_to_do, first.link)


def test_the_callback_offer_takes_what_it_is_about_to_the_callback_page(db: Session) -> None:
    late, bill = sams_late_bill(db)
    failed, _ = olus_failed_payment(db)
    offers = [
        (sams_photo(db), "/help/callback?about=case:CS-101502-1"),
        (late, f"/help/callback?about=bill:{bill.reference}"),
        (failed, "/help/callback?about=payments"),
        (aminas_visit(db), "/help/callback?about=case:OR-100234-1"),
    ]
    for about, link in offers:
        offer = messages.render_callback_offer(db, about)
        assert offer.title == "We can call you about this"
        assert messages.render(db, about).body in offer.body  # They do not have to look it up.
        assert offer.link == link
        value = link.partition("?about=")[2]
        assert ABOUT.fullmatch(value), "the help pages accept what the link carries"
        assert messages.help_link(db, about) == f"/help?about={value}"


def test_a_digest_counts_the_updates_and_lists_each(db: Session) -> None:
    late, _ = sams_late_bill(db)
    failed, _ = olus_failed_payment(db)
    several = [sams_photo(db), late, failed]
    digest = messages.render_digest(db, several)
    assert digest.title == "3 updates for you"
    assert digest.body.splitlines() == ["- We need something from you", "- Your bill is late",
                                        "- A payment did not go through"]
    assert digest.link == "/updates"
    assert messages.render_digest(db, [late]).title == "1 update for you"


@pytest.mark.parametrize("language", ["cy", "ar"])
def test_every_message_renders_in_other_languages(db: Session, language: str) -> None:
    late, bill = sams_late_bill(db)
    failed, _ = olus_failed_payment(db)
    found = incident(db, {"expected_fix_at": dt.datetime(2026, 11, 25, 18, tzinfo=dt.UTC)})
    service = db.exec(select(Service).where(Service.kind == ServiceKind.electricity)).first()
    assert service is not None
    every = [sams_photo(db), late, update("bill_due", UpdateKind.bills, bill_id=bill.id), failed,
             aminas_visit(db),
             update("usage_over", UpdateKind.usage, service_id=service.id, month="2026-03", units=9,
                    limit=5),
             update("incident", UpdateKind.incidents, incident_id=found.id, version=1),
             update("no_such_message")]
    english_visit = messages.render(db, aminas_visit(db), time_zone=ZONE)
    with speaking(language):
        for each in every:
            for shown in (messages.render(db, each), messages.render_reminder(db, each),
                          messages.render_callback_offer(db, each)):
                assert shown.title and shown.body and shown.what_to_do and shown.link.startswith("/")
        assert messages.render_digest(db, every).title
        # Words already in the catalogues (the kind of visit, the date) read in the language now.
        visit = messages.render(db, aminas_visit(db), time_zone=ZONE)
    assert visit.body != english_visit.body


def test_the_case_record_must_match_the_step(db: Session) -> None:
    """An update naming one customer's case and another's step says nothing about either."""
    step = db.exec(select(CaseStep).where(CaseStep.detail == "photo_needed")).one()
    other = db.exec(select(Case).where(Case.id != step.case_id)).first()
    assert other is not None
    shown = messages.render(db, update("case_step", case_id=other.id, step_id=step.id))
    assert shown.title == "We have an update for you"

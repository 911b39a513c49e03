"""The words for each kind of thing on an account, in every language.

Records store a short key (a kind, a stage, a step); the reader sees the plain sentence here."""

from __future__ import annotations

from enum import StrEnum

from portal.accounts.models import (
    AppointmentKind,
    CaseCategory,
    CaseKind,
    LineKind,
    PaymentMethod,
    PaymentStatus,
    ReadingSource,
    ServiceKind,
    ServiceStatus,
    Stage,
)
from portal.i18n import lazy_gettext as _l

_LABELS: dict[tuple[type, str], object] = {
    (ServiceKind, "electricity"): _l("Electricity"),
    (ServiceKind, "gas"): _l("Gas"),
    (ServiceKind, "water"): _l("Water"),
    (ServiceKind, "boiler_cover"): _l("Boiler cover"),
    (ServiceStatus, "active"): _l("Working"),
    (ServiceStatus, "being_set_up"): _l("Being set up"),
    (ServiceStatus, "fault"): _l("Fault reported"),
    (ServiceStatus, "ended"): _l("Ended"),
    (ReadingSource, "customer"): _l("From you"),
    (ReadingSource, "meter_reader"): _l("From our meter reader"),
    (ReadingSource, "smart_meter"): _l("From your smart meter"),
    (ReadingSource, "estimate"): _l("Our guess"),
    (LineKind, "usage"): _l("What you used"),
    (LineKind, "standing_charge"): _l("Standing charge"),
    (LineKind, "discount"): _l("Discount"),
    (LineKind, "adjustment"): _l("Change to an earlier bill"),
    (LineKind, "vat"): _l("VAT"),
    (PaymentMethod, "direct_debit"): _l("Direct Debit"),
    (PaymentMethod, "card"): _l("Card"),
    (PaymentMethod, "bank_transfer"): _l("Bank transfer"),
    (PaymentStatus, "received"): _l("Received"),
    (PaymentStatus, "failed"): _l("Did not go through"),
    (CaseCategory, "case"): _l("Case"),
    (CaseCategory, "order"): _l("Order"),
    (CaseKind, "meter_fault"): _l("Meter not working"),
    (CaseKind, "smart_meter"): _l("New smart meter"),
    (CaseKind, "refund"): _l("Money back"),
    (CaseKind, "complaint"): _l("Complaint"),
    (CaseKind, "moving_home"): _l("Moving home"),
    (CaseKind, "boiler_repair"): _l("Boiler repair"),
    (Stage, "received"): _l("Received"),
    (Stage, "in_progress"): _l("In progress"),
    (Stage, "waiting_for_you"): _l("Waiting for you"),
    (Stage, "done"): _l("Done"),
    (AppointmentKind, "meter_exchange"): _l("New meter fitted"),
    (AppointmentKind, "engineer_visit"): _l("Engineer visit"),
    (AppointmentKind, "smart_meter_fit"): _l("Smart meter fitting"),
}

# What each step means for the customer. Keys are stored on case steps.
STEP_DETAILS: dict[str, object] = {
    "received": _l("We got your request."),
    "engineer_asked": _l("We asked an engineer to look at it."),
    "photo_needed": _l("We need a photo of your meter that shows the numbers. Send it to us in a "
                       "message."),
    "visit_booked": _l("We booked a visit from an engineer."),
    "visit": _l("The engineer comes to your home."),
    "fixed": _l("It is fixed and working again."),
    "fitting_booked": _l("We booked a time to fit your new meter."),
    "fitted": _l("Your new meter is fitted and working."),
    "checking": _l("We are checking your account to work out what we owe you."),
    "bank_details_needed": _l("We need your bank details to pay you. Call us or send us a message."),
    "paid": _l("We paid the money into your bank."),
    "looking_into": _l("A manager is looking into what went wrong."),
    "answer": _l("We write to you with our answer."),
    "final_reading_needed": _l("Give us a meter reading on the day you move out."),
    "final_bill": _l("We send your last bill."),
}


def label(member: StrEnum) -> object:
    return _LABELS[(type(member), member.value)]


def step_detail(key: str) -> object:
    return STEP_DETAILS.get(key, "")


_UNITS = {"kWh": _l("kWh"), "m3": _l("m³")}


def unit(kind: ServiceKind) -> object:
    """The unit a service is measured in, as the reader's language writes it."""
    return _UNITS[kind.unit]

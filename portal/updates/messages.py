"""The words of each update, in the current language.

An update stores a message key and small parameters (ids and values, never text a customer typed);
this module turns them into a `Rendered`: a title, a body, what to do, and a link to the page where
the person can see or do the thing. Callers choose the language with `portal.i18n.speaking(lang)`.

A way to talk to a person is NOT part of the message: every place that shows an update (the
notification centre, emails, texts, the live banner) adds a "Talk to a person" link itself, using
`help_link(db, update)`, which carries what the update is about to /help. That keeps messages short
and the offer in the same place every time.

Times are shown in `time_zone` (pass settings.time_zone; the default is the settings' default).
An unknown key or a record that has gone away gives a safe general message, never an exception."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from portal.accounts import billing, wording
from portal.accounts.models import (
    Appointment,
    Bill,
    Case,
    CaseCategory,
    CaseStep,
    Payment,
    Service,
    Stage,
)
from portal.clock import aware
from portal.i18n import format_date, format_money, format_number, format_time, gettext, ngettext
from portal.ops.models import Confidence, Incident, IncidentStage, IncidentVersion
from portal.updates.models import Update

log = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = "Europe/London"
HELP = "/help"
CALLBACK = "/help/callback"


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    what_to_do: str
    link: str  # An absolute path on the portal, like /account/bills/B-1001.


def _params(update: Update) -> dict:
    try:
        found = json.loads(update.params or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _int(params: dict, name: str) -> int | None:
    value = params.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _money(pence: int) -> str:
    return format_money(Decimal(pence) / 100)


def _local(moment: dt.datetime, time_zone: str) -> dt.datetime:
    return aware(moment).astimezone(ZoneInfo(time_zone))


def generic(update: Update | None = None) -> Rendered:
    """What anyone can be told when we cannot say more."""
    link = update.link if update is not None and update.link.startswith("/") else "/updates"
    return Rendered(gettext("We have an update for you"),
                    gettext("Something on your account has changed."),
                    gettext("Sign in to see what it is."), link)


# One function per message key. Each returns None when its record is missing.

def _case_step(db: Session, params: dict, time_zone: str) -> Rendered | None:
    step = db.get(CaseStep, _int(params, "step_id") or 0)
    case = db.get(Case, _int(params, "case_id") or (step.case_id if step else 0))
    if step is None or case is None or step.case_id != case.id:
        return None
    link = f"/account/cases/{case.reference}"
    order = case.category is CaseCategory.order
    what = str(wording.label(case.kind))
    detail = str(wording.step_detail(step.detail))
    if step.stage is Stage.waiting_for_you:
        title = gettext("We need something from you")
        if step.act_by:
            by = gettext("Please do this by %(date)s.", date=format_date(step.act_by))
            to_do = f"{detail} {by}"
        else:
            to_do = detail
        body = gettext("%(what)s, %(reference)s: we cannot go on until you do this.", what=what,
                       reference=case.reference)
        return Rendered(title, body, to_do, link)
    if step.stage is Stage.done:
        title = gettext("Your order is done") if order else gettext("Your case is done")
    else:
        title = gettext("Your order has moved on") if order else gettext("Your case has moved on")
    body = gettext("%(what)s, %(reference)s: %(detail)s", what=what, reference=case.reference,
                   detail=detail)
    to_do = gettext("You do not need to do anything.") if step.stage is not Stage.done \
        else gettext("You do not need to do anything. Tell us if it is not right.")
    return Rendered(title, body, to_do, link)


def _bill(db: Session, params: dict) -> Bill | None:
    return db.get(Bill, _int(params, "bill_id") or 0)


def _bill_due(db: Session, params: dict, time_zone: str) -> Rendered | None:
    bill = _bill(db, params)
    if bill is None:
        return None
    amount = _money(billing.total(db, bill))
    return Rendered(
        gettext("Your bill is due soon"),
        gettext("Your bill for %(amount)s is due on %(date)s.", amount=amount,
                date=format_date(bill.due_on)),
        gettext("Pay %(amount)s by %(date)s.", amount=amount, date=format_date(bill.due_on)),
        f"/account/bills/{bill.reference}")


def _bill_overdue(db: Session, params: dict, time_zone: str) -> Rendered | None:
    bill = _bill(db, params)
    if bill is None:
        return None
    amount = _money(billing.total(db, bill))
    return Rendered(
        gettext("Your bill is late"),
        gettext("Your bill for %(amount)s was due on %(date)s.", amount=amount,
                date=format_date(bill.due_on)),
        gettext("Please pay it now. If you cannot pay it all, we can help you pay a bit at a time."),
        f"/account/bills/{bill.reference}")


def _payment_failed(db: Session, params: dict, time_zone: str) -> Rendered | None:
    payment = db.get(Payment, _int(params, "payment_id") or 0)
    if payment is None:
        return None
    return Rendered(
        gettext("A payment did not go through"),
        gettext("Your payment of %(amount)s on %(date)s did not go through.",
                amount=_money(payment.amount_pence), date=format_date(payment.made_on)),
        gettext("Check there is money in your bank account, then pay another way."),
        "/account/payments")


def _visit_tomorrow(db: Session, params: dict, time_zone: str) -> Rendered | None:
    appointment = db.get(Appointment, _int(params, "appointment_id") or 0)
    if appointment is None:
        return None
    starts, ends = _local(appointment.starts_at, time_zone), _local(appointment.ends_at, time_zone)
    case = db.get(Case, appointment.case_id) if appointment.case_id else None
    # The case page shows the visit and what we told the engineer helps you.
    link = f"/account/cases/{case.reference}" if case is not None else "/account"
    return Rendered(
        gettext("Your visit is tomorrow"),
        gettext("%(what)s on %(date)s, between %(start)s and %(end)s.",
                what=str(wording.label(appointment.kind)), date=format_date(starts.date()),
                start=format_time(starts.time()), end=format_time(ends.time())),
        gettext("Please be at home. Clear a path to your meter. If you cannot be in, tell us "
                "today so we can change the time."),
        link)


def _usage_over(db: Session, params: dict, time_zone: str) -> Rendered | None:
    service = db.get(Service, _int(params, "service_id") or 0)
    units, limit = _int(params, "units"), _int(params, "limit")
    month = params.get("month")
    if service is None or units is None or limit is None or not isinstance(month, str):
        return None
    try:
        first = dt.date(int(month[:4]), int(month[5:7]), 1)
    except ValueError:
        return None
    unit = str(wording.unit(service.kind))
    return Rendered(
        gettext("%(service)s: you went over your limit", service=str(wording.label(service.kind))),
        gettext("You have used %(units)s %(unit)s in %(month)s. You asked us to tell you if it went "
                "over %(limit)s %(unit)s.", units=format_number(units), unit=unit,
                month=format_date(first, "MMMM yyyy"), limit=format_number(limit)),
        gettext("Look at your use to see when it went up. You can change the limit in your "
                "settings for updates."),
        f"/account/usage?service={service.id}")


_SURE = {
    Confidence.low: lambda: gettext("We are not sure of this yet."),
    Confidence.medium: lambda: gettext("We are fairly sure of this."),
    Confidence.high: lambda: gettext("We are sure of this."),
}


def _fix_time(expected: dt.datetime, confidence: Confidence, time_zone: str) -> str:
    local = _local(expected, time_zone)
    when = gettext("We expect to fix it by %(time)s on %(date)s.", time=format_time(local.time()),
                   date=format_date(local.date()))
    return f"{when} {_SURE[confidence]()}"


def _incident(db: Session, params: dict, time_zone: str) -> Rendered | None:
    incident_id, number = _int(params, "incident_id"), _int(params, "version")
    if incident_id is None or number is None:
        return None
    incident = db.get(Incident, incident_id)
    version = db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident_id,
                                                    IncidentVersion.version == number)).first()
    if incident is None or version is None:
        return None
    # The words are typed by operations staff in plain language, in English only for now.
    title = version.title
    if version.stage is IncidentStage.resolved:
        title = gettext("Fixed: %(title)s", title=title)
    if version.is_correction:
        title = gettext("Correction: %(title)s", title=title)
    parts = [version.what_is_happening, version.who_is_affected]
    if version.stage is not IncidentStage.resolved and version.expected_fix_at is not None:
        parts.append(_fix_time(version.expected_fix_at, version.confidence, time_zone))
    body = " ".join(p.strip() for p in parts if p and p.strip())
    return Rendered(title, body, version.what_to_do, f"/status#{incident.reference}")


RENDERERS: dict[str, Callable[[Session, dict, str], Rendered | None]] = {
    "case_step": _case_step,
    "bill_due": _bill_due,
    "bill_overdue": _bill_overdue,
    "payment_failed": _payment_failed,
    "visit_tomorrow": _visit_tomorrow,
    "usage_over": _usage_over,
    "incident": _incident,
}


def render(db: Session, update: Update, *, time_zone: str = DEFAULT_TIME_ZONE) -> Rendered:
    renderer = RENDERERS.get(update.message)
    if renderer is None:
        return generic(update)
    try:
        found = renderer(db, _params(update), time_zone)
    except (KeyError, ValueError, TypeError, AttributeError):  # A malformed update never breaks a page.
        log.exception("could not render update %s", update.id)
        found = None
    return found if found is not None else generic(update)


def render_reminder(db: Session, update: Update, *, time_zone: str = DEFAULT_TIME_ZONE) -> Rendered:
    """Step 1 of the ladder: the same update, said again as a reminder."""
    first = render(db, update, time_zone=time_zone)
    return Rendered(gettext("Reminder: %(title)s", title=first.title), first.body, first.what_to_do,
                    first.link)


def about(db: Session, update: Update) -> str | None:
    """What the update is about, as /help understands it (portal/help/context.py): "case:CS-1",
    "bill:B-1", "service:3", "payments"; None when it is about nothing we can name."""
    params = _params(update)
    if update.message == "case_step":
        case = db.get(Case, _int(params, "case_id") or 0)
        return f"case:{case.reference}" if case else None
    if update.message in ("bill_due", "bill_overdue"):
        bill = _bill(db, params)
        return f"bill:{bill.reference}" if bill else None
    if update.message == "payment_failed":
        return "payments"
    if update.message == "visit_tomorrow":
        appointment = db.get(Appointment, _int(params, "appointment_id") or 0)
        case = db.get(Case, appointment.case_id) if appointment and appointment.case_id else None
        return f"case:{case.reference}" if case else None
    if update.message == "usage_over":
        found = db.get(Service, _int(params, "service_id") or 0)
        return f"service:{found.id}" if found else None
    return None


def help_link(db: Session, update: Update) -> str:
    """The "Talk to a person" link for this update: /help, carrying what it is about."""
    found = about(db, update)
    return f"{HELP}?about={found}" if found else HELP


def render_callback_offer(db: Session, update: Update, *,
                          time_zone: str = DEFAULT_TIME_ZONE) -> Rendered:
    """Step 2 of the ladder: this still needs doing, so we offer to call."""
    first = render(db, update, time_zone=time_zone)
    found = about(db, update)
    return Rendered(
        gettext("We can call you about this"),
        gettext("%(title)s. %(body)s", title=first.title.rstrip("."), body=first.body),
        gettext("If it would help to talk it through, ask us to call you at a time that suits you."),
        f"{CALLBACK}?about={found}" if found else CALLBACK)


def render_digest(db: Session, updates: Sequence[Update], *,
                  time_zone: str = DEFAULT_TIME_ZONE) -> Rendered:
    """Several updates in one message: a count, and the title of each on its own line."""
    titles = [render(db, u, time_zone=time_zone).title for u in updates]
    return Rendered(
        ngettext("%(num)d update for you", "%(num)d updates for you", len(titles), num=len(titles)),
        "\n".join(f"- {title}" for title in titles),
        gettext("Sign in to see each one and what to do."),
        "/updates")

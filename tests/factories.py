"""Test data, made by the test that needs it: people, accounts and what hangs off them, requests for help,
carers and staff, written through a real session on the test's own database and committed, so the app
sees them in its own sessions. Every factory has plain defaults, takes keyword overrides and returns
what it made. Names and references come from counts of what is already there, so a test's data is the
same whatever ran before it.

`sign_in` signs a made person in on a test client: the sign-in journeys themselves are tested in
test_passkeys.py and test_set_up_and_codes.py."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import httpx2 as httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, func, select

from portal.access import Scope
from portal.accounts.billing import add_months
from portal.accounts.models import (
    Appointment,
    AppointmentKind,
    Bill,
    BillLine,
    Case,
    CaseCategory,
    CaseKind,
    CaseStep,
    CustomerAccount,
    LineKind,
    MeterReading,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    ReadingSource,
    Service,
    ServiceKind,
    Stage,
)
from portal.carers.models import AuthorityStatus, CarerAuthority
from portal.carers.service import REVIEW_AFTER
from portal.clock import today_in, utcnow
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus, Team
from portal.identity.models import Passkey, Person
from portal.identity.service import record_sign_in
from portal.needs.models import CommunicationNeeds
from portal.ops.models import Incident, IncidentStage, IncidentVersion
from portal.privacy.models import ConsentRecord
from portal.web.sessions import WebSession, hash_id

ZONE = "Europe/London"
Row = TypeVar("Row", bound=SQLModel)

CUSTOMER_NAMES = ("Alex Green", "Bea Khan", "Chris Lloyd", "Dana Okafor", "Eli Novak", "Fern Walsh",
                  "Gus Patel", "Iris Obi", "Jude Marsh", "Kit Nolan")
ADVISER_NAMES = ("Rowan Ellis", "Sky Turner", "Noor Baig", "Tam Reid")


def today() -> dt.date:
    return today_in(ZONE)


def _count(db: Session, model: type[SQLModel]) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def save(db: Session, *rows: Row) -> Row:
    """Add and commit; returns the first row, loaded again."""
    db.add_all(rows)
    db.commit()
    for row in rows:
        db.refresh(row)
    return rows[0]


def _email(name: str, number: int) -> str:
    return f"{name.split()[0].lower()}.{number}@example.com"


# People


def person(db: Session, name: str | None = None, **fields: Any) -> Person:
    """Someone who can sign in, with an email and a phone on record; no account."""
    number = _count(db, Person) + 1
    name = name or CUSTOMER_NAMES[(number - 1) % len(CUSTOMER_NAMES)]
    fields.setdefault("email", _email(name, number))
    fields.setdefault("phone", f"07700 9{number:05d}")
    return save(db, Person(name=name, **fields))


def customer(db: Session, name: str | None = None, *,
             services: Sequence[ServiceKind] = (ServiceKind.electricity,),
             account_fields: dict[str, Any] | None = None, **fields: Any) -> Person:
    """A person who holds one account, with these services on it. `account_of` finds the account."""
    made = person(db, name, **fields)
    account(db, made, services=services, **(account_fields or {}))
    return made


def adviser(db: Session, name: str | None = None, *, team: Team = Team.general, **fields: Any) -> Person:
    name = name or ADVISER_NAMES[_count(db, Person) % len(ADVISER_NAMES)]
    fields.setdefault("phone", "")
    return person(db, name, staff_role="adviser", team=team.value, **fields)


def operations(db: Session, name: str = "Robin Hale", **fields: Any) -> Person:
    """Someone who publishes incidents at /ops."""
    fields.setdefault("phone", "")
    return person(db, name, staff_role="operations", **fields)


def passkey(db: Session, owner: Person, name: str = "My phone", **fields: Any) -> Passkey:
    """A passkey on record whose private key nobody has: for pages that list passkeys."""
    fields.setdefault("credential_id", secrets.token_bytes(32))
    fields.setdefault("public_key", secrets.token_bytes(77))
    return save(db, Passkey(person_id=owner.id, name=name, **fields))


def needs(db: Session, owner: Person, *, channel: str = "", support: Iterable[str] = (), other: str = ""
          ) -> CommunicationNeeds:
    """Communication needs the person agreed to us keeping."""
    save(db, ConsentRecord(person_id=owner.id, topic="access_needs", given=True,
                           recorded_by_person_id=owner.id))
    return save(db, CommunicationNeeds(person_id=owner.id, preferred_channel=channel,
                                       support=" ".join(support), other=other))


# Accounts and what hangs off them


def account(db: Session, holder: Person | None, *,
            services: Sequence[ServiceKind] = (ServiceKind.electricity,), **fields: Any) -> CustomerAccount:
    """An account, held online by `holder` (None: a customer not online yet), with these services."""
    number = _count(db, CustomerAccount) + 1
    fields.setdefault("reference", f"NF-{300000 + number}")
    fields.setdefault("holder_name", holder.name if holder else CUSTOMER_NAMES[number % len(CUSTOMER_NAMES)])
    fields.setdefault("address", f"{number} Test Street, Northfield")
    fields.setdefault("postcode", "NF2 1AA")
    fields.setdefault("date_of_birth", dt.date(1980, 1, number % 28 + 1))
    fields.setdefault("email", holder.email if holder else _email(fields["holder_name"], number))
    fields.setdefault("phone", holder.phone if holder else "")
    made = save(db, CustomerAccount(holder_person_id=holder.id if holder else None, **fields))
    for kind in services:
        service(db, made, kind)
    return made


def account_of(db: Session, holder: Person) -> CustomerAccount:
    """The first account a person holds."""
    found = db.exec(select(CustomerAccount).where(CustomerAccount.holder_person_id == holder.id)
                    .order_by(col(CustomerAccount.id))).first()
    assert found is not None, f"{holder.name} holds no account"
    return found


def service(db: Session, on: CustomerAccount, kind: ServiceKind = ServiceKind.electricity,
            **fields: Any) -> Service:
    number = _count(db, Service) + 1
    fields.setdefault("tariff", "Northfield Standard")
    fields.setdefault("meter_serial", f"{kind.value[0].upper()}{number:06d}" if kind.metered else "")
    fields.setdefault("started_on", today() - dt.timedelta(days=900))
    return save(db, Service(account_id=on.id, kind=kind, **fields))


def service_of(db: Session, on: CustomerAccount, kind: ServiceKind | None = None) -> Service:
    query = select(Service).where(Service.account_id == on.id).order_by(col(Service.id))
    found = db.exec(query.where(Service.kind == kind) if kind else query).first()
    assert found is not None, f"{on.reference} has no {kind or 'service'}"
    return found


def bill(db: Session, on: CustomerAccount, *, ends_on: dt.date | None = None, days: int = 30,
         amount_pence: int = 5000, used: int = 200, service: Service | None = None,
         standing_pence: int = 0, discount_pence: int = 0, paid: bool = False, **fields: Any) -> Bill:
    """A bill for `days` ending on `ends_on` (a month ago by default), issued two days after and due
    two weeks after that, with a line for use (and a standing charge or a discount, if given).
    `paid`: paid in full by card on its due date."""
    number = _count(db, Bill) + 1
    ends_on = ends_on or today() - dt.timedelta(days=30)
    fields.setdefault("reference", f"B{300000 + number}")
    fields.setdefault("period_start", ends_on - dt.timedelta(days=days - 1))
    fields.setdefault("issued_on", ends_on + dt.timedelta(days=2))
    fields.setdefault("due_on", fields["issued_on"] + dt.timedelta(days=14))
    if paid:
        fields.setdefault("paid_on", fields["due_on"])
    made = save(db, Bill(account_id=on.id, period_end=ends_on, **fields))
    service_id = service.id if service else None
    lines = [BillLine(bill_id=made.id, service_id=service_id, kind=LineKind.usage, quantity=used,
                      amount_pence=amount_pence)]
    if standing_pence:
        lines.append(BillLine(bill_id=made.id, service_id=service_id, kind=LineKind.standing_charge,
                              quantity=days, amount_pence=standing_pence))
    if discount_pence:
        lines.append(BillLine(bill_id=made.id, kind=LineKind.discount, amount_pence=-discount_pence))
    save(db, *lines)
    if paid:
        payment(db, on, sum(line.amount_pence for line in lines), made_on=made.due_on)
    db.refresh(made)
    return made


def reading(db: Session, of: Service, read_on: dt.date, value: int,
            source: ReadingSource = ReadingSource.meter_reader) -> MeterReading:
    return save(db, MeterReading(service_id=of.id, read_on=read_on, value=value, source=source))


def monthly_readings(db: Session, of: Service, amounts: Sequence[int], *, last_on: dt.date | None = None,
                     estimated: Iterable[int] = (), start: int = 10_000) -> list[MeterReading]:
    """A reading a month, ending on `last_on` (the first of this month by default), so that month n
    (0 = oldest) used amounts[n]; the months in `estimated` were guessed."""
    last_on = last_on or today().replace(day=1)
    guessed = set(estimated)
    value = start
    made = [MeterReading(service_id=of.id, read_on=add_months(last_on, -len(amounts)), value=value,
                         source=ReadingSource.meter_reader)]
    for n, amount in enumerate(amounts):
        value += amount
        source = ReadingSource.estimate if n in guessed else ReadingSource.meter_reader
        made.append(MeterReading(service_id=of.id, read_on=add_months(last_on, n + 1 - len(amounts)),
                                 value=value, source=source))
    save(db, *made)
    return made


def payment(db: Session, on: CustomerAccount, amount_pence: int = 5000, *, made_on: dt.date | None = None,
            method: PaymentMethod = PaymentMethod.card, status: PaymentStatus = PaymentStatus.received,
            plan: PaymentPlan | None = None) -> Payment:
    return save(db, Payment(account_id=on.id, amount_pence=amount_pence, made_on=made_on or today(),
                            method=method, status=status, plan_id=plan.id if plan else None))


def payment_plan(db: Session, on: CustomerAccount, *, instalment_pence: int = 4500, instalments: int = 12,
                 first_due_on: dt.date | None = None, **fields: Any) -> PaymentPlan:
    first_due_on = first_due_on or today() + dt.timedelta(days=10)
    fields.setdefault("agreed_on", first_due_on - dt.timedelta(days=10))
    return save(db, PaymentPlan(account_id=on.id, instalment_pence=instalment_pence,
                                instalments=instalments, first_due_on=first_due_on, **fields))


# A step: (stage, detail, days from today, act by: days from today or None). A step in the past has
# happened; one in the future is expected.
StepPlan = tuple[Stage, str, int, int | None]
WAITING_FOR_A_PHOTO: tuple[StepPlan, ...] = (
    (Stage.received, "received", -20, None),
    (Stage.waiting_for_you, "photo_needed", -3, 7),
    (Stage.in_progress, "visit", 14, None),
    (Stage.done, "fixed", 14, None),
)


def case(db: Session, on: CustomerAccount, *, kind: CaseKind = CaseKind.meter_fault,
         category: CaseCategory = CaseCategory.case, steps: Sequence[StepPlan] = WAITING_FOR_A_PHOTO,
         closed: bool = False, service: Service | None = None, reference: str | None = None) -> Case:
    """A case (or an order) with its timeline; by default a meter fault waiting for a photo."""
    number = _count(db, Case) + 1
    prefix = "OR" if category is CaseCategory.order else "CS"
    first = today() + dt.timedelta(days=steps[0][2])
    last = today() + dt.timedelta(days=steps[-1][2])
    made = save(db, Case(account_id=on.id, service_id=service.id if service else None,
                         reference=reference or f"{prefix}-{300000 + number}-1", category=category,
                         kind=kind, opened_on=first, expected_by=None if closed else last,
                         closed_on=last if closed else None))
    save(db, *(CaseStep(case_id=made.id, position=position, stage=stage, detail=detail,
                        happened_on=today() + dt.timedelta(days=offset) if offset <= 0 else None,
                        expected_on=today() + dt.timedelta(days=offset) if offset > 0 else None,
                        act_by=today() + dt.timedelta(days=act_by) if act_by is not None else None)
                 for position, (stage, detail, offset, act_by) in enumerate(steps, start=1)))
    db.refresh(made)
    return made


def appointment(db: Session, on: CustomerAccount, *, starts_at: dt.datetime | None = None, hours: int = 4,
                kind: AppointmentKind = AppointmentKind.engineer_visit, for_case: Case | None = None,
                **fields: Any) -> Appointment:
    starts_at = starts_at or utcnow().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=5)
    return save(db, Appointment(account_id=on.id, kind=kind, starts_at=starts_at,
                                ends_at=starts_at + dt.timedelta(hours=hours),
                                case_id=for_case.id if for_case else None, **fields))


# Asking for help


def help_request(db: Session, customer: Person, kind: RequestKind = RequestKind.message, *,
                 first_message: str | None = "Please help me", on_account: CustomerAccount | None = None,
                 claimed_by: Person | None = None, **fields: Any) -> HelpRequest:
    """A message, chat or callback from `customer` (about their first account, if they hold one),
    with their first words; waiting, or claimed by `claimed_by`."""
    number = _count(db, HelpRequest) + 1
    if on_account is None:
        on_account = db.exec(select(CustomerAccount).where(CustomerAccount.holder_person_id == customer.id)
                             .order_by(col(CustomerAccount.id))).first()
    fields.setdefault("reference", f"HR-T{number:05d}")
    fields.setdefault("subject", "")
    if kind is RequestKind.callback:
        fields.setdefault("callback_at", utcnow() + dt.timedelta(days=1))
        fields.setdefault("callback_phone", customer.phone or "07700 900000")
    if claimed_by is not None:
        fields.setdefault("status", RequestStatus.claimed)
        fields.setdefault("claimed_at", utcnow())
    made = save(db, HelpRequest(kind=kind, customer_person_id=customer.id,
                                account_id=on_account.id if on_account else None,
                                claimed_by_person_id=claimed_by.id if claimed_by else None, **fields))
    if first_message:
        say(db, made, customer, first_message, at=made.created_at)
    return made


def say(db: Session, on: HelpRequest, who: Person, body: str, *,
        at: dt.datetime | None = None) -> HelpMessage:
    """A message in a request's conversation; from the adviser when `who` is staff."""
    return save(db, HelpMessage(request_id=on.id, author_person_id=who.id, body=body,
                                from_adviser=bool(who.staff_role), created_at=at or utcnow()))


# Incidents


def incident(db: Session, *, service: ServiceKind = ServiceKind.water, areas: str = "NF2",
             stage: IncidentStage = IncidentStage.fixing, title: str = "Low water pressure in NF2",
             by: Person | None = None, words: dict[str, Any] | None = None, **fields: Any) -> Incident:
    """A published incident with its first version, waiting for a worker to fan it out. `words`
    overrides what the version says (and any other of its fields, like `fanned_out_at`)."""
    made = save(db, Incident(service=service, areas=areas, stage=stage,
                             created_by_person_id=by.id if by else None, **fields))
    said = {"what_is_happening": "A pump has stopped. Your taps may run slowly.",
            "who_is_affected": f"Homes and shops in {areas}.",
            "what_to_do": "Keep some water in a jug for drinking.",
            "expected_fix_at": utcnow() + dt.timedelta(hours=3), **(words or {})}
    save(db, IncidentVersion(incident_id=made.id, version=1, stage=stage, title=title,
                             created_by_person_id=by.id if by else None, **said))
    db.refresh(made)
    return made


# Carers


def carer_authority(db: Session, customer: Person, carer: Person | None = None, *,
                    scopes: Iterable[Scope | str] = (Scope.account,),
                    status: AuthorityStatus = AuthorityStatus.active, **fields: Any) -> CarerAuthority:
    """`carer` may act for `customer` with these scopes: accepted and active by default (an invitation
    still to accept when `carer` is None)."""
    fields.setdefault("carer_name", carer.name if carer else "Pat Carer")
    fields.setdefault("carer_email", carer.email if carer else "pat.carer@example.com")
    fields.setdefault("carer_phone", carer.phone if carer else "")
    fields.setdefault("review_on", today() + REVIEW_AFTER)
    fields.setdefault("set_up_by_person_id", customer.id)
    if carer is not None:
        fields.setdefault("accepted_at", utcnow())
    return save(db, CarerAuthority(customer_person_id=customer.id,
                                   carer_person_id=carer.id if carer else None,
                                   scopes=",".join(Scope(s).value for s in scopes), status=status,
                                   **fields))


# Signing in


def sign_in(client: TestClient | httpx.Client, someone: Person, *, engine: Engine | None = None,
            secure: bool | None = None) -> None:
    """Sign `someone` in on this client, as finishing a sign-in does (portal/web/sessions.py): the
    session gets a new id and keeps what it held (what they were asking about), but acts for nobody;
    a new cookie; the entry in the activity log. For a client of a live server, pass the app's engine
    and whether its cookies are secure."""
    if isinstance(client, TestClient):
        app: Any = client.app
        engine = engine or app.state.engine
        secure = app.state.settings.secure_cookies if secure is None else secure
    assert engine is not None, "pass the app's engine for a client of a live server"
    name = "__Host-portal_session" if secure else "portal_session"
    session_id = secrets.token_urlsafe(32)
    data: dict[str, Any] = {}
    with Session(engine) as db:
        for previous in [cookie.value for cookie in client.cookies.jar if cookie.name == name]:
            if previous and (old := db.get(WebSession, hash_id(previous))):
                data = json.loads(old.data)
                db.delete(old)
        data.pop("acting_for", None)
        db.add(WebSession(id_hash=hash_id(session_id), person_id=someone.id, data=json.dumps(data),
                          user_agent=client.headers.get("user-agent", "")))
        found = db.get(Person, someone.id)
        assert found is not None
        record_sign_in(db, found, "test")  # Commits the session too.
    # Where the cookie jar keeps a cookie the server sets, so the server's next one replaces it.
    host = client.base_url.host
    client.cookies.delete(name)
    client.cookies.set(name, session_id, domain=host if "." in host else f"{host}.local")

"""Every route and method, for every kind of person: allowed or refused, as expected.

The list of routes comes from the app itself, so a new route is checked the day it is added: it must
be given an audience below, and carers can reach it only once it is in portal/carers/policy.py.

Who: a customer; a carer acting for them with each single scope; a carer whose access was stopped,
paused or ran out; an adviser; operations; and a stranger who is not signed in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select, update

from portal.access import SCOPE_PERMISSIONS, Scope
from portal.carers import policy
from portal.carers.models import AuthorityStatus, CarerAuthority
from portal.clock import utcnow
from portal.cobrowse.models import ScreenShare, ShareStatus
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus
from portal.identity.models import Passkey, Person
from portal.ops.models import Incident
from tests import factories
from tests.conftest import PageCheckingClient
from tests.helpers import incident_update
from tests.route_table import api_routes

# Who each route is for, by path. Carers are decided separately, by the policy table.
PUBLIC = "public"  # Anyone, signed in or not.
SIGNED_IN = "signed in"  # Anyone signed in (customers, carers, staff): their own things.
ADVISER = "adviser"
OPERATIONS = "operations"
DEMO = "demo"  # Only in demo mode (as the tests run); public there.

PUBLIC_PATHS = {
    "/",
    "/help",
    "/accessibility-statement",
    "/cookies",
    "/glossary",
    "/privacy",
    "/status",
    "/offline",
    "/healthz",
    "/theme.css",
    "/language/{code}",
    "/manifest.webmanifest",
    "/icons/{name}",
    "/sw.js",
    "/signed-out",
    "/sign-in",
    "/sign-in/code",
    "/sign-in/locked",
    "/set-up",
    "/set-up/code",
    "/sign-out",
    "/help/do-not-share",
    "/carers/accept",
    "/carers/accept/confirm",
    "/carers/accept/decline",
    "/carers/declined",
    "/webauthn/authenticate/options",
    "/webauthn/authenticate/verify",
}


def audience(path: str) -> str:
    if path in PUBLIC_PATHS:
        return PUBLIC
    if path.startswith("/demo"):
        return DEMO
    if path.startswith("/adviser"):
        return ADVISER
    if path.startswith("/ops"):
        return OPERATIONS
    if path.startswith(("/account", "/help", "/updates", "/carers", "/set-up", "/webauthn", "/session")):
        return SIGNED_IN
    raise AssertionError(f"say who {path} is for in tests/test_authorisation_matrix.py")


# Routes that end or switch who is signed in, or stop acting: sent last for each person.
SESSION_CHANGING = {
    ("POST", "/sign-out"),
    ("POST", "/demo"),
    ("POST", "/sign-in"),
    ("POST", "/sign-in/code"),
    ("POST", "/carers/stop-acting"),
    ("POST", "/carers/act"),
    ("POST", "/set-up/code"),
    ("POST", "/carers/accept/confirm"),
    ("POST", "/webauthn/authenticate/verify"),
}


REFERENCE = "NF-123456"  # The customer's account.
# Pages that need a query to mean anything.
QUERIES = {"/adviser/carers/new": f"?account={REFERENCE}"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str

    def url(self, samples: dict[str, str]) -> str:
        section = "/".join(self.path.split("/")[1:3])  # "account/bills" for /account/bills/{reference}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1).split(":")[0]
            return samples.get(f"{section}:{name}", samples.get(name, "1"))

        return re.sub(r"\{([^}]+)\}", fill, self.path) + QUERIES.get(self.path, "")


class PlainClient(PageCheckingClient):
    """Sends anything, including empty forms to every route: the pages are checked elsewhere."""

    def request(self, *args, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def,override]
        return TestClient.request(self, *args, **kwargs)


@pytest.fixture
def client(app: FastAPI) -> Iterator[PlainClient]:
    with PlainClient(app) as plain:
        yield plain


def every_route(app: FastAPI) -> list[Route]:
    routes = {Route(m, r.path) for r in api_routes(app) for m in r.methods if m != "HEAD"}
    # Looking first, then doing (a removed passkey has no page), then whatever ends the session.
    return sorted(routes, key=lambda r: ((r.method, r.path) in SESSION_CHANGING, r.method != "GET", r.path))


@dataclass(frozen=True)
class Cast:
    customer: Person
    carer: Person
    authority_id: int
    adviser: Person
    operations: Person


@pytest.fixture
def cast(db: Session) -> Cast:
    """A customer with a carer who may do everything a carer can, an adviser and operations."""
    customer = factories.customer(db, "Iris Obi", account_fields={"reference": REFERENCE})
    carer = factories.person(db, "Jude Marsh")
    authority = factories.carer_authority(db, customer, carer, scopes=list(Scope))
    assert authority.id is not None
    return Cast(customer, carer, authority.id, factories.adviser(db), factories.operations(db))


@pytest.fixture
def samples(db: Session, cast: Cast) -> dict[str, str]:
    """Real things of the customer's for each kind of reference in the paths, so a refusal can only
    come from who is asking."""
    customer = cast.customer
    account = factories.account_of(db, customer)
    bill = factories.bill(db, account)
    case = factories.case(db, account)
    service = factories.service_of(db, account)
    factories.incident(db)
    now = utcnow()
    made = {}
    for kind, reference, status in (
        (RequestKind.message, "HR-MATRX3", RequestStatus.waiting),
        (RequestKind.chat, "HR-MATRX4", RequestStatus.waiting),
        (RequestKind.callback, "HR-MATRX7", RequestStatus.waiting),
    ):
        call = kind is RequestKind.callback
        request = HelpRequest(
            reference=reference,
            kind=kind,
            status=status,
            customer_person_id=customer.id,
            account_id=account.id,
            subject="Matrix",
            callback_at=now + dt.timedelta(days=2) if call else None,
            callback_phone="01632 960111" if call else "",
        )
        db.add(request)
        db.flush()
        db.add(HelpMessage(request_id=request.id, author_person_id=customer.id, body="Hello"))
        made[kind] = reference
    db.add(Passkey(person_id=customer.id, credential_id=b"matrix", public_key=b"x", name="Phone"))
    share = ScreenShare(customer_person_id=customer.id, sharer_person_id=customer.id, session_hash="matrix",
                        code_expires_at=now, status=ShareStatus.sharing, adviser_person_id=cast.adviser.id,
                        started_at=now, last_seen_at=now, last_activity_at=now)
    db.add(share)
    db.commit()
    update_row = incident_update(db, customer, "Low water pressure", now)
    passkey = db.exec(select(Passkey).where(Passkey.person_id == customer.id)).one()
    incident = db.exec(select(Incident)).first()
    assert incident is not None
    return {
        "account/bills:reference": bill.reference,
        "account/cases:reference": case.reference,
        "service_id": str(service.id),
        "help/messages:reference": made[RequestKind.message],
        "help/chat:reference": made[RequestKind.chat],
        "help/callback:reference": made[RequestKind.callback],
        "adviser/requests:reference": made[RequestKind.message],
        "ops/incidents:reference": incident.reference,
        "update_id": str(update_row.id),
        "passkey_id": str(passkey.id),
        "authority_id": str(cast.authority_id),
        "code": "en",
        "name": "icon-192.png",
        "carers/invited:authority_id": str(cast.authority_id),
        "share_id": str(share.id),
    }


def send(
    client: PageCheckingClient, route: Route, samples: dict[str, str], token: str, signed_in: bool = True
) -> httpx.Response:
    """`signed_in` False: live streams end at once for a stranger, so they are read whole."""
    url = route.url(samples)
    if route.method == "GET" and url.endswith(("/events", "/queue")) and signed_in:
        with client.stream(
            "GET", url, follow_redirects=False
        ) as stream:  # A live stream: its first answer is enough.
            body = stream.read() if stream.status_code != 200 else b""
            return httpx.Response(
                stream.status_code, headers=stream.headers, content=body, request=stream.request
            )
    if route.method == "GET":
        return client.get(url)
    return client.request(route.method, url, data={"csrf_token": token})


def refused_by_guard(response: httpx.Response) -> bool:
    return response.status_code == 403 and "You cannot do this for" in response.text


def redirected_to(response: httpx.Response, prefix: str) -> bool:
    """Followed (a page) or not (a live stream, which is not followed)."""
    return any(
        r.status_code in (302, 303, 307) and r.headers.get("location", "").startswith(prefix)
        for r in [*response.history, response]
    )


def sent_to_sign_in(response: httpx.Response) -> bool:
    return redirected_to(response, "/sign-in")


def set_authority(db: Session, cast: Cast, **values: object) -> None:
    db.exec(
        update(CarerAuthority)
        .where(CarerAuthority.id == cast.authority_id)
        .values(**{"status": AuthorityStatus.active, "ends_on": None, **values})
    )
    db.commit()


def acting_client(client: PageCheckingClient, cast: Cast) -> str:
    factories.sign_in(client, cast.carer)
    token = client.csrf_token("/carers")
    client.post("/carers/act", data={"authority": str(cast.authority_id), "csrf_token": token})
    return client.csrf_token("/carers")


@pytest.mark.parametrize("scope", list(Scope))
def test_a_carer_with_one_scope_reaches_exactly_the_routes_it_allows(
    app: FastAPI, client: PageCheckingClient, db: Session, cast: Cast, samples: dict[str, str], scope: Scope
) -> None:
    set_authority(db, cast, scopes=scope.value)
    token = acting_client(client, cast)
    wrong = []
    for route in every_route(app):
        rule = policy.rule_for(route.method, route.path)
        allowed = SCOPE_PERMISSIONS[scope]
        expected = rule is not None and (rule.permission is None or rule.permission in allowed)
        response = send(client, route, samples, token)
        if refused_by_guard(response) == expected:
            wrong.append(f"{route.method} {route.path}: {'refused' if expected else 'allowed'}")
        if (route.method, route.path) in SESSION_CHANGING:
            token = acting_client(client, cast)
    assert not wrong, f"with only {scope.value}: " + "; ".join(wrong)


# About a thousand requests each: slow on a busy machine, so more time than the usual limit (which is
# there to catch a test that hangs, not one that works hard).
@pytest.mark.timeout(900)
@pytest.mark.parametrize("ended", ["stopped", "paused", "ran out"])
def test_a_carer_whose_access_ended_reaches_nothing_for_the_customer(
    app: FastAPI, client: PageCheckingClient, db: Session, cast: Cast, samples: dict[str, str], ended: str
) -> None:
    set_authority(db, cast, scopes=",".join(s.value for s in Scope))
    wrong = []
    token, signed_in = "", False
    for route in every_route(app):
        if signed_in:  # Still the carer: act for the customer again.
            client.post("/carers/act", data={"authority": str(cast.authority_id), "csrf_token": token})
        else:
            token, signed_in = acting_client(client, cast), True
        if ended == "ran out":
            set_authority(db, cast, scopes=",".join(s.value for s in Scope), ends_on=dt.date(2020, 1, 1))
        else:
            status = AuthorityStatus.ended if ended == "stopped" else AuthorityStatus.suspended
            set_authority(db, cast, status=status)
        response = send(client, route, samples, token)
        if not redirected_to(response, "/carers") and response.status_code != 204:
            wrong.append(f"{route.method} {route.path}")
        assert "You are acting for" not in client.get("/carers").text
        set_authority(db, cast, scopes=",".join(s.value for s in Scope))
        signed_in = (route.method, route.path) not in SESSION_CHANGING
    assert not wrong, f"{ended}: these still answered instead of ending: " + "; ".join(wrong)


@pytest.mark.parametrize("who", ["stranger", "customer", "adviser", "operations"])
def test_every_route_is_for_the_people_it_should_be(
    app: FastAPI, client: PageCheckingClient, cast: Cast, samples: dict[str, str], who: str
) -> None:
    person = {"customer": cast.customer, "adviser": cast.adviser, "operations": cast.operations}.get(who)
    wrong = []
    token = ""
    for route in every_route(app):
        if not token:  # At the start, and again after a route that ended or switched the session.
            if person:
                factories.sign_in(client, person)
            token = client.csrf_token("/sign-in")
        kind = audience(route.path)
        response = send(client, route, samples, token, signed_in=person is not None)
        if (route.method, route.path) in SESSION_CHANGING:
            token = ""
        if who == "stranger":
            expected_sign_in = kind in (SIGNED_IN, ADVISER, OPERATIONS)
            # Scripts' own endpoints (notifications) answer 401 rather than send a browser to sign in.
            refused = (
                sent_to_sign_in(response)
                or response.status_code in (401, 403)
                or "event: ended" in response.text
            )
            if refused != expected_sign_in:
                wrong.append(f"{route.method} {route.path}")
            continue
        if sent_to_sign_in(response):
            wrong.append(f"{route.method} {route.path}: sent to sign in")
        staff_only = {ADVISER: "adviser", OPERATIONS: "operations"}.get(kind)
        if staff_only and staff_only != who and response.status_code != 404:
            wrong.append(f"{route.method} {route.path}: not refused")
        theirs = staff_only == who or (kind != DEMO and not staff_only and who == "customer")
        if route.method == "GET" and theirs and response.status_code in (403, 404):
            wrong.append(f"{route.method} {route.path}: refused ({response.status_code})")
    assert not wrong, f"{who}: " + "; ".join(wrong)


def test_every_carer_rule_names_a_real_route(app: FastAPI) -> None:
    real = {(m, r.path) for r in api_routes(app) for m in r.methods}
    assert set(policy.CARER_RULES) - real == set()


def test_refusals_list_is_not_empty(app: FastAPI) -> None:
    """The matrix means something only if some routes are closed to carers."""
    closed = [r for r in every_route(app) if policy.rule_for(r.method, r.path) is None]
    assert any(r.path.startswith("/account/security") for r in closed)
    assert any(r.path.startswith("/carers/{") for r in closed)

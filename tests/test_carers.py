"""Carers (/carers): inviting, accepting with one's own sign-in, acting for someone within the scopes
they chose, the customer seeing and stopping it at once, private messages, and advisers recording a
power of attorney or pausing a carer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session, col, select, update

from portal.access import Actor, Scope
from portal.accounts.models import Bill, CustomerAccount
from portal.activity.models import ActivityEntry
from portal.carers import service
from portal.carers.models import AuthorityStatus, CarerAuthority
from portal.clock import utcnow
from portal.help.models import HelpRequest, Team
from portal.identity.models import Person
from portal.notify.models import InboxMessage, OutboxMessage
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of


def main_text(html: str) -> str:
    return text_of(parse(html).find(".//main"))


@pytest.fixture
def helped(db: Session) -> Person:
    """A customer who has someone to help them: Iris Obi, with a bill."""
    made = factories.customer(db, "Iris Obi")
    factories.bill(db, factories.account_of(db, made))
    return made


@pytest.fixture
def carer(db: Session) -> Person:
    """Jude Marsh, who helps Iris and has no account of their own."""
    return factories.person(db, "Jude Marsh")


@pytest.fixture
def authority(db: Session, helped: Person, carer: Person) -> CarerAuthority:
    """Iris lets Jude see the account, contact details and messages, and talk to us; not payments."""
    return factories.carer_authority(db, helped, carer,
                                     scopes=(Scope.account, Scope.contact, Scope.messages, Scope.talk))


@pytest.fixture
def private(db: Session, helped: Person, authority: CarerAuthority) -> HelpRequest:
    """A message Iris keeps private from the people who help her."""
    return factories.help_request(db, helped, subject="A private question", private=True,
                                  first_message="Please do not share this with my helper.")


@pytest.fixture
def adviser(db: Session) -> Person:
    return factories.adviser(db, "Rowan Ellis")


@pytest.fixture
def not_online(db: Session) -> CustomerAccount:
    """A customer of ours who has not set up online access yet."""
    return factories.account(db, None, reference="NF-500200", holder_name="Ray Evans",
                             date_of_birth=dt.date(1949, 8, 9), email="ray@example.org", phone="")


def act_for(client: PageCheckingClient, authority: CarerAuthority):
    token = client.csrf_token("/carers")
    return client.post("/carers/act", data={"authority": str(authority.id), "csrf_token": token})


def invite(client: PageCheckingClient, **fields: object):
    form = {
        "carer_name": "Bethan Price",
        "carer_email": "bethan@example.org",
        "carer_phone": "",
        "scopes": ["account"],
        "until": "stopped",
        "form_key": "key-1",
        **fields,
    }
    form["csrf_token"] = client.csrf_token("/carers/invite")
    return client.post("/carers/invite", data=form)


def code_on(html: str) -> str:
    found = re.search(r'class="big-code"[^>]*>([A-Z0-9-]+)<', html)
    assert found, "no code on the page"
    return found.group(1)


def set_scopes(db: Session, authority_id: int, scopes: str) -> None:
    db.exec(update(CarerAuthority).where(CarerAuthority.id == authority_id).values(scopes=scopes))
    db.commit()


# Acting for someone


def test_a_carer_acts_for_someone_with_a_banner_and_their_name_in_every_title(
    client: PageCheckingClient, db: Session, carer: Person, helped: Person, authority: CarerAuthority
) -> None:
    factories.sign_in(client, carer)
    page = act_for(client, authority)
    assert page.url.path == "/account"
    assert factories.account_of(db, helped).reference in main_text(page.text)
    for path in ("/account", "/account/bills", "/help/messages"):
        html = client.get(path).text
        assert "You are acting for Iris Obi" in html
        assert re.search(r"<title>[^<]*acting for Iris Obi", html), path
        assert 'action="/carers/stop-acting"' in html


def test_a_carer_cannot_go_beyond_what_the_customer_allowed(client: PageCheckingClient, carer: Person,
                                                           authority: CarerAuthority) -> None:
    """Iris did not let Jude see payments; nobody may let a carer near security or privacy."""
    factories.sign_in(client, carer)
    act_for(client, authority)
    for path in (
        "/account/payments",
        "/account/security",
        "/account/privacy",
        "/updates",
        "/carers/invite",
        "/adviser",
        f"/carers/{authority.id}",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "You cannot do this for Iris Obi" in response.text
    # Things Iris allowed still work.
    assert client.get("/account/details").status_code == 200
    assert client.get("/help/callback").status_code == 200


def test_a_carer_never_sees_a_private_message(client: PageCheckingClient, carer: Person, helped: Person,
                                              authority: CarerAuthority, private: HelpRequest) -> None:
    factories.sign_in(client, carer)
    act_for(client, authority)
    assert private.reference not in client.get("/help/messages").text
    assert client.get(f"/help/messages/{private.reference}").status_code == 404
    factories.sign_in(client, helped)
    assert private.reference in client.get("/help/messages").text


def test_a_message_a_carer_sends_is_the_customers_and_names_who_wrote_it(
    client: PageCheckingClient, db: Session, carer: Person, helped: Person, authority: CarerAuthority
) -> None:
    factories.sign_in(client, carer)
    act_for(client, authority)
    token = client.csrf_token("/help/messages/new")
    sent = client.post(
        "/help/messages/new",
        data={
            "subject": "Mum's bill",
            "message": "Can she pay later?",
            "form_key": "carer-message",
            "csrf_token": token,
        },
    )
    reference = sent.url.path.rsplit("/", 1)[-1]
    request = db.exec(select(HelpRequest).where(HelpRequest.reference == reference)).one()
    assert request.customer_person_id == helped.id
    assert request.acting_person_id == carer.id
    factories.sign_in(client, helped)
    thread = main_text(client.get(f"/help/messages/{reference}").text)
    assert "Jude Marsh, for the customer" in thread


def test_the_customer_can_keep_a_new_message_private(client: PageCheckingClient, db: Session, carer: Person,
                                                     helped: Person, authority: CarerAuthority) -> None:
    factories.sign_in(client, helped)
    form = client.get("/help/messages/new").text
    assert "Keep this private from people who help me" in form
    token = client.csrf_token("/help/messages/new")
    sent = client.post(
        "/help/messages/new",
        data={
            "subject": "Just for you",
            "message": "Between us.",
            "private": "yes",
            "form_key": "private-1",
            "csrf_token": token,
        },
    )
    reference = sent.url.path.rsplit("/", 1)[-1]
    factories.sign_in(client, carer)
    act_for(client, authority)
    assert client.get(f"/help/messages/{reference}").status_code == 404
    # Someone with nobody helping them is not asked.
    factories.sign_in(client, factories.customer(db))
    assert "Keep this private" not in client.get("/help/messages/new").text


def test_a_change_of_scope_works_on_the_very_next_request(client: PageCheckingClient, db: Session,
                                                         carer: Person, authority: CarerAuthority) -> None:
    factories.sign_in(client, carer)
    act_for(client, authority)
    assert client.get("/account/bills").status_code == 200
    set_scopes(db, authority.id, "messages")
    assert client.get("/account/bills").status_code == 403
    set_scopes(db, authority.id, "messages,payments")
    assert client.get("/account/payments").status_code == 200


def test_stopped_paused_or_run_out_access_ends_acting_at_once(
    client: PageCheckingClient, db: Session, carer: Person, authority: CarerAuthority
) -> None:
    for change in (
        {"status": AuthorityStatus.ended},
        {"status": AuthorityStatus.suspended},
        {"ends_on": dt.date(2020, 1, 1)},
    ):
        db.exec(
            update(CarerAuthority)
            .where(CarerAuthority.id == authority.id)
            .values(status=AuthorityStatus.active, ends_on=None)
        )
        db.commit()
        factories.sign_in(client, carer)
        act_for(client, authority)
        db.exec(update(CarerAuthority).where(CarerAuthority.id == authority.id).values(**change))
        db.commit()
        page = client.get("/account/bills")
        assert page.url.path == "/carers", change
        text = main_text(page.text)
        assert "You can no longer act for that person" in text
        assert "Act for Iris Obi" not in text
        assert "You are acting for" not in page.text
        assert client.get("/account").url.path == "/account"  # The carer's own (empty) account page.
        assert "Iris" not in main_text(client.get("/account").text)


def test_acting_is_logged_page_by_page_for_the_customer_to_see(
    client: PageCheckingClient, db: Session, carer: Person, helped: Person, authority: CarerAuthority
) -> None:
    bill = factories.bill(db, factories.account_of(db, helped))
    factories.sign_in(client, carer)
    act_for(client, authority)
    client.get(f"/account/bills/{bill.reference}")
    client.get("/account/cases")
    factories.sign_in(client, helped)
    text = main_text(client.get(f"/carers/{authority.id}/activity").text)
    assert "Looked at a page: A bill" in text
    assert "Looked at a page: Cases and orders" in text
    assert "Started to act for you" in text
    entries = db.exec(
        select(ActivityEntry).where(
            ActivityEntry.action == "carer_viewed", ActivityEntry.detail == "/account/cases"
        )
    ).all()
    assert [(e.actor_person_id, e.on_behalf_of_person_id) for e in entries] == [(carer.id, helped.id)]


def test_a_page_the_carer_may_not_use_is_in_the_customers_record_as_a_refusal(
    client: PageCheckingClient, db: Session, carer: Person, helped: Person, authority: CarerAuthority
) -> None:
    refusals = select(ActivityEntry).where(ActivityEntry.action == "carer_refused")
    before = len(db.exec(refusals).all())
    factories.sign_in(client, carer)  # May see the account, messages, talking to us and contact details.
    act_for(client, authority)
    assert client.get("/account/payments").status_code == 403
    refused = client.get("/account/security")
    assert refused.status_code == 403 and "Iris Obi" in main_text(refused.text)
    client.get("/account/security", headers={"Sec-Fetch-Mode": "cors"})  # The browser, not the carer.
    factories.sign_in(client, helped)
    text = main_text(client.get(f"/carers/{authority.id}/activity").text)
    assert "Tried to open a page they may not use: Payments and payment plans" in text
    assert "Tried to open a page they may not use: Passkeys and where you are signed in" in text
    assert len(db.exec(refusals).all()) == before + 2  # Not the browser's own background request.
    assert "Looked at a page: Payments" not in text
    client.get("/language/cy?next=/carers")
    welsh = main_text(client.get(f"/carers/{authority.id}/activity").text)
    assert "Tried to open" not in welsh and "Taliadau a chynlluniau talu" in welsh
    export = client.get("/account/privacy/download").json()
    assert [e["detail"] for e in export["activity"] if e["action"] == "carer_refused"][:2] == [
        "/account/security", "/account/payments"]


def test_someone_elses_bill_or_message_is_a_refusal_and_their_reference_is_kept_nowhere(
    client: PageCheckingClient, db: Session, carer: Person, helped: Person, authority: CarerAuthority
) -> None:
    stranger = factories.customer(db)
    their_bill = factories.bill(db, factories.account_of(db, stranger))
    their_message = factories.help_request(db, stranger)
    own_bill = db.exec(select(Bill).where(Bill.account_id == factories.account_of(db, helped).id)).one()
    factories.sign_in(client, carer)
    act_for(client, authority)
    assert client.get(f"/account/bills/{their_bill.reference}").status_code == 404
    assert client.get(f"/help/messages/{their_message.reference}").status_code == 404
    assert client.get(f"/account/bills/{own_bill.reference}").status_code == 200  # Iris's own: looked at.
    factories.sign_in(client, helped)
    text = main_text(client.get(f"/carers/{authority.id}/activity").text)
    assert "Tried to open a page they may not use: A bill" in text
    assert "Tried to open a page they may not use: A message" in text
    assert text.count("Looked at a page: A bill") == 1
    export = client.get("/account/privacy/download").text
    details = [e.detail for e in db.exec(select(ActivityEntry)).all()]
    for reference in (their_bill.reference, their_message.reference):
        assert reference not in text and reference not in export
        assert not [d for d in details if reference in d]
    assert f"/account/bills/{own_bill.reference}" in export


def test_stopping_acting_makes_the_carer_themself_again(client: PageCheckingClient, carer: Person,
                                                        authority: CarerAuthority) -> None:
    factories.sign_in(client, carer)
    act_for(client, authority)
    client.post("/carers/stop-acting", data={"csrf_token": client.csrf_token("/carers")})
    assert "You are acting for" not in client.get("/carers").text
    assert main_text(client.get("/account").text).count("Iris") == 0


def test_the_customer_is_told_when_a_carer_looks_at_payments_once_a_day(
    client: PageCheckingClient, db: Session, carer: Person, helped: Person, authority: CarerAuthority
) -> None:
    set_scopes(db, authority.id, "payments")
    factories.sign_in(client, carer)
    act_for(client, authority)
    assert client.get("/account/payments").status_code == 200
    client.get("/account/payments")
    told = db.exec(
        select(InboxMessage).where(
            InboxMessage.person_id == helped.id, col(InboxMessage.body).contains("looked at your payments")
        )
    ).all()
    assert len(told) == 1


# The customer in control


def test_inviting_checks_every_field_and_keeps_what_was_typed(client: PageCheckingClient,
                                                              helped: Person) -> None:
    factories.sign_in(client, helped)
    page = invite(
        client,
        carer_email="",
        scopes=[],
        until="date",
        **{"ends-day": "31", "ends-month": "2", "ends-year": "2030"},
    )
    assert page.status_code == 422
    text = main_text(page.text)
    for message in (
        "Enter their email or mobile number. We send the code there.",
        "Choose at least one thing they can do",
        "Enter the last day they can help you as numbers, like 31 12 2027",
    ):
        assert message in text
    assert 'value="Bethan Price"' in page.text
    assert page.text.count('href="#carer_email"') == 1


def test_an_invitation_sent_twice_makes_one_and_sends_one_code(
    client: PageCheckingClient, db: Session, helped: Person
) -> None:
    factories.sign_in(client, helped)
    first = invite(client)
    second = invite(client)
    assert first.url.path == second.url.path
    assert (
        db.exec(select(CarerAuthority).where(CarerAuthority.carer_name == "Bethan Price")).all().__len__()
        == 1
    )
    sent = db.exec(select(OutboxMessage).where(OutboxMessage.to == "bethan@example.org")).all()
    assert len(sent) == 1 and "/carers/accept#code=" in sent[0].body


def test_an_invitation_link_never_sends_its_code_to_the_server(client: PageCheckingClient,
                                                               db: Session, helped: Person) -> None:
    """The code travels after "#", which browsers keep to themselves: no access log can keep it. A
    link from before (with "?code=") takes the code out of the address at once."""
    factories.sign_in(client, helped)
    page = invite(client)
    code = code_on(page.text).replace("-", "")
    [link] = re.findall(r'href="([^"]*/carers/accept[^"]*)"', page.text)
    assert link == f"http://testserver/carers/accept#code={code}"
    [email] = db.exec(select(OutboxMessage).where(OutboxMessage.to == "bethan@example.org")).all()
    assert f"/carers/accept#code={code}" in email.body and "?code=" not in email.body
    old = client.get(f"/carers/accept?code={code}", follow_redirects=False)
    assert old.status_code == 303 and old.headers["location"] == f"/carers/accept#code={code}"
    assert code not in client.get("/carers/accept").text  # The page itself holds no code.
    assert client.get("/carers/accept?code=not-a-code", follow_redirects=False).headers["location"] == (
        "/carers/accept")


def test_a_new_carer_accepts_with_their_own_sign_in_and_the_code_works_once(
    client: PageCheckingClient, db: Session, helped: Person
) -> None:
    factories.sign_in(client, helped)
    code = code_on(invite(client, scopes=["account", "messages"]).text)
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/carers")})
    entered = client.post(
        "/carers/accept", data={"code": code.lower(), "csrf_token": client.csrf_token("/carers/accept")}
    )
    assert entered.url.path == "/carers/accept/confirm"
    text = main_text(entered.text)
    assert "Iris Obi asked you to help" in text and "See and send messages" in text
    done = client.post(
        "/carers/accept/confirm",
        data={"name": "Bethan Price", "csrf_token": client.csrf_token("/carers/accept/confirm")},
    )
    assert done.url.path == "/set-up/passkey"
    bethan = db.exec(select(Person).where(Person.name == "Bethan Price")).one()
    assert bethan.email == "bethan@example.org"
    assert "Act for Iris Obi" in client.get("/carers").text
    # The code is spent.
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/carers")})
    again = client.post(
        "/carers/accept", data={"code": code, "csrf_token": client.csrf_token("/carers/accept")}
    )
    assert again.status_code == 422 and "That code is wrong, has been used" in again.text
    told = db.exec(
        select(InboxMessage).where(
            InboxMessage.person_id == helped.id,
            InboxMessage.subject == "Bethan Price can now help you",
        )
    ).all()
    assert len(told) == 1


def test_a_code_older_than_14_days_is_refused(client: PageCheckingClient, db: Session,
                                              helped: Person) -> None:
    factories.sign_in(client, helped)
    code = code_on(invite(client).text)
    db.exec(
        update(CarerAuthority)
        .where(CarerAuthority.carer_name == "Bethan Price")
        .values(invite_expires_at=utcnow() - dt.timedelta(seconds=1))
    )
    db.commit()
    response = client.post(
        "/carers/accept", data={"code": code, "csrf_token": client.csrf_token("/carers/accept")}
    )
    assert response.status_code == 422


def test_someone_who_already_signs_in_is_asked_to_sign_in_first(client: PageCheckingClient, db: Session,
                                                                 settings) -> None:
    inviting = factories.customer(db, "Kit Nolan")
    invitation = service.Invitation("Gus Patel", "gus@example.org", "",
                                    service.Terms(frozenset({Scope.account}), None))
    _, code = service.invite(db, settings, Actor(person_id=inviting.id or 0, name=inviting.name), invitation,
                             "invite-1", utcnow().date())
    assert code is not None
    response = client.post(
        "/carers/accept",
        data={"code": code, "csrf_token": client.csrf_token("/carers/accept")},
    )
    assert "Kit Nolan asked you to help" in main_text(response.text)
    # Someone who already signs in (a customer of ours) says yes as themself.
    factories.sign_in(client, factories.customer(db, "Gus Patel", email="gus@example.org"))
    client.post(
        "/carers/accept",
        data={"code": code, "csrf_token": client.csrf_token("/carers/accept")},
    )
    done = client.post(
        "/carers/accept/confirm", data={"csrf_token": client.csrf_token("/carers/accept/confirm")}
    )
    assert done.url.path == "/carers"
    assert "Act for Kit Nolan" in done.text


def test_nobody_can_accept_an_invitation_to_help_themself(client: PageCheckingClient, helped: Person) -> None:
    factories.sign_in(client, helped)
    code = code_on(invite(client).text)
    client.post("/carers/accept", data={"code": code, "csrf_token": client.csrf_token("/carers/accept")})
    page = client.post(
        "/carers/accept/confirm", data={"csrf_token": client.csrf_token("/carers/accept/confirm")}
    )
    assert page.status_code == 422 and "This code is for the person who will help you" in page.text


def test_the_customer_changes_and_stops_a_carer_and_both_are_told(
    client: PageCheckingClient, db: Session, carer: Person, helped: Person, authority: CarerAuthority
) -> None:
    factories.sign_in(client, helped)
    path = f"/carers/{authority.id}"
    token = client.csrf_token(f"{path}/change")
    changed = client.post(
        f"{path}/change",
        data={
            "scopes": ["talk"],
            "until": "date",
            "ends-day": "1",
            "ends-month": "1",
            "ends-year": str(utcnow().year + 1),
            "csrf_token": token,
        },
    )
    assert changed.url.path == path
    assert "Talk to advisers for you" in main_text(changed.text)
    db.refresh(authority)
    assert authority.scopes == "talk" and authority.review_on is None
    stopped = client.post(f"{path}/stop", data={"csrf_token": client.csrf_token(f"{path}/stop")})
    assert stopped.url.path == "/carers"
    db.refresh(authority)
    assert authority.status is AuthorityStatus.ended
    subjects = [m.subject for m in db.exec(select(InboxMessage).where(InboxMessage.person_id == carer.id))]
    assert "What you can do for Iris Obi has changed" in subjects
    assert "You can no longer act for Iris Obi" in subjects


def test_a_carer_cannot_change_or_extend_their_own_access(client: PageCheckingClient, db: Session,
                                                         carer: Person, authority: CarerAuthority) -> None:
    factories.sign_in(client, carer)
    path = f"/carers/{authority.id}"
    for page in (path, f"{path}/change", f"{path}/stop"):
        assert client.get(page).status_code == 404, page
    token = client.csrf_token("/carers")
    response = client.post(
        f"{path}/change", data={"scopes": ["account", "payments"], "until": "stopped", "csrf_token": token}
    )
    assert response.status_code == 404
    db.refresh(authority)
    assert authority.scopes == "account,contact,messages,talk"


def test_the_yearly_review_asks_the_customer_once(db: Session, settings, helped: Person,
                                                 authority: CarerAuthority) -> None:
    assert authority.review_on is not None
    due = authority.review_on
    assert service.reviews_due(db, settings, due - dt.timedelta(days=1)) == 0
    assert service.reviews_due(db, settings, due) == 1
    assert service.reviews_due(db, settings, due) == 0
    asked = db.exec(
        select(InboxMessage).where(
            InboxMessage.person_id == helped.id, InboxMessage.subject == "Should Jude Marsh still help you?"
        )
    ).all()
    assert len(asked) == 1


# Advisers


def test_an_adviser_records_a_power_of_attorney_and_both_people_are_told(
    client: PageCheckingClient, db: Session, adviser: Person, not_online: CustomerAccount
) -> None:
    factories.sign_in(client, adviser)
    empty = client.post(
        "/adviser/carers/new?account=NF-500200",
        data={"csrf_token": client.csrf_token("/adviser/carers/new?account=NF-500200")},
    )
    assert empty.status_code == 422 and "Choose the kind of legal document" in empty.text
    form = {
        "basis": "lasting_power_of_attorney",
        "document_reference": "LPA 1",
        "checks": "Saw it",
        "carer_name": "Owain Evans",
        "carer_email": "owain@example.org",
        "scopes": ["account", "talk"],
        "until": "stopped",
        "form_key": "lpa-1",
        "csrf_token": client.csrf_token("/adviser/carers/new?account=NF-500200"),
    }
    done = client.post("/adviser/carers/new?account=NF-500200", data=form)
    again = client.post("/adviser/carers/new?account=NF-500200", data=form)
    assert done.url.path == again.url.path and done.url.path.startswith("/adviser/carers/")
    assert "Owain Evans for Ray Evans" in main_text(done.text)
    authority = db.exec(select(CarerAuthority).where(CarerAuthority.carer_name == "Owain Evans")).one()
    assert authority.document_reference == "LPA 1" and authority.status is AuthorityStatus.invited
    assert db.exec(select(OutboxMessage).where(OutboxMessage.to == "owain@example.org")).first() is not None
    assert db.exec(select(OutboxMessage).where(OutboxMessage.to == "ray@example.org")).first() is not None
    # A customer cannot find this page at all.
    factories.sign_in(client, factories.customer(db))
    assert client.get("/adviser/carers?account=NF-500200").status_code == 404


def test_an_adviser_pauses_a_carer_at_once(client: PageCheckingClient, db: Session, carer: Person,
                                           helped: Person, authority: CarerAuthority) -> None:
    factories.sign_in(client, carer)
    act_for(client, authority)
    assert client.get("/account").status_code == 200
    path = f"/adviser/carers/{authority.id}"
    with PageCheckingClient(client.app) as adviser:
        factories.sign_in(adviser, factories.adviser(db, team=Team.specialist))
        token = adviser.csrf_token(path)
        missing = adviser.post(f"{path}/suspend", data={"reason": "", "csrf_token": token})
        assert missing.status_code == 422
        paused = adviser.post(
            f"{path}/suspend",
            data={"reason": "Iris asked us on the phone", "csrf_token": token},
        )
        assert "Their access is paused" in paused.text
    page = client.get("/account/bills")
    assert page.url.path == "/carers" and "Paused by us" in main_text(page.text)
    factories.sign_in(client, helped)
    assert "Paused by us" in main_text(client.get(f"/carers/{authority.id}").text)


def test_the_adviser_sees_who_acted_for_the_customer(client: PageCheckingClient, db: Session, carer: Person,
                                                     adviser: Person, authority: CarerAuthority) -> None:
    factories.sign_in(client, carer)
    act_for(client, authority)
    token = client.csrf_token("/help/messages/new")
    sent = client.post(
        "/help/messages/new",
        data={"subject": "For Mum", "message": "Hello", "form_key": "to-adviser", "csrf_token": token},
    )
    reference = sent.url.path.rsplit("/", 1)[-1]
    factories.sign_in(client, adviser)
    text = main_text(client.get(f"/adviser/requests/{reference}").text)
    assert "Jude Marsh is acting for Iris Obi" in text


def test_a_background_request_does_not_swallow_the_word_that_access_ended(client: PageCheckingClient,
                                                                         db: Session, carer: Person,
                                                                         authority: CarerAuthority) -> None:
    """A live stream reconnecting, or the service worker's update check, must leave the explanation for
    the next page the carer opens."""
    thread = factories.help_request(db, db.get(Person, authority.customer_person_id))
    factories.sign_in(client, carer)
    act_for(client, authority)
    db.exec(update(CarerAuthority).where(CarerAuthority.id == authority.id).values(
        status=AuthorityStatus.ended))
    db.commit()
    background = {"Sec-Fetch-Mode": "cors"}
    with client.stream("GET", f"/help/messages/{thread.reference}/events", headers=background,
                       follow_redirects=False) as stream:
        assert stream.status_code == 403
    assert client.get("/sw.js", headers={"Sec-Fetch-Mode": "same-origin"}).status_code == 200
    page = client.get("/account/bills", headers={"Sec-Fetch-Mode": "navigate"})
    assert page.url.path == "/carers"
    assert "You can no longer act for that person" in main_text(page.text)


def test_a_carer_is_shown_only_the_links_they_may_use(client: PageCheckingClient, db: Session, carer: Person,
                                                     helped: Person, authority: CarerAuthority) -> None:
    set_scopes(db, authority.id, "account")
    factories.sign_in(client, carer)
    html = act_for(client, authority).text
    assert 'href="/account/bills"' in html
    for hidden in ("/account/payments", "/account/security", "/account/privacy", "/account/details"):
        assert f'href="{hidden}"' not in html, hidden
    factories.sign_in(client, helped)
    assert 'href="/carers"' in client.get("/account").text


def test_the_customer_hides_a_conversation_from_carers_and_shows_it_again(
        client: PageCheckingClient, db: Session, carer: Person, helped: Person, authority: CarerAuthority,
        private: HelpRequest) -> None:
    path = f"/help/messages/{private.reference}"
    factories.sign_in(client, helped)
    thread = client.get(path).text
    assert "Only you and our advisers can see this" in thread
    token = client.csrf_token(path)
    shown = client.post(f"{path}/privacy", data={"private": "no", "csrf_token": token})
    assert "People who help you can see this again" in main_text(shown.text)
    factories.sign_in(client, carer)
    act_for(client, authority)
    assert client.get(path).status_code == 200
    # A carer cannot hide or show anything.
    token = client.csrf_token(path)
    assert client.post(f"{path}/privacy", data={"private": "yes", "csrf_token": token}).status_code == 403
    factories.sign_in(client, helped)
    token = client.csrf_token(path)
    hidden = client.post(f"{path}/privacy", data={"private": "yes", "csrf_token": token})
    assert "People who help you can no longer see this" in main_text(hidden.text)
    factories.sign_in(client, carer)
    act_for(client, authority)
    assert client.get(path).status_code == 404


def test_a_customer_with_a_recorded_power_of_attorney_can_set_up_online_and_see_it(
        client: PageCheckingClient, db: Session, settings, adviser: Person,
        not_online: CustomerAccount) -> None:
    """The adviser's record gave the customer a person; setting up is still their first time, not a
    recovery."""
    from tests.helpers import latest_code, submit

    service.record_document(db, settings, Actor(person_id=adviser.id or 0, name=adviser.name,
                                                staff_role="adviser"),
                            not_online, service.Invitation("Owain Evans", "owain@example.org", "",
                                                            service.Terms(frozenset({Scope.account}), None)),
                            service.Document(service.Basis.deputyship, "COP 123", "Saw the order"),
                            "deputy-1", utcnow().date())
    submit(client, "/set-up", **{"reference": "NF-500200", "dob-day": "9", "dob-month": "8",
                                 "dob-year": "1949"})
    submit(client, "/set-up/code", code=latest_code(db, "ray@example.org"))
    db.refresh(not_online)
    subjects = [m.subject for m in db.exec(select(InboxMessage).where(
        InboxMessage.person_id == not_online.holder_person_id))]
    assert "You got back into your account" not in subjects
    assert "We recorded that Owain Evans can act for you" in subjects
    page = main_text(client.get("/carers").text)
    assert "Owain Evans" in page and "Waiting for them to say yes" in page


def test_an_adviser_is_told_plainly_when_no_customer_has_a_reference(client: PageCheckingClient,
                                                                     adviser: Person) -> None:
    factories.sign_in(client, adviser)
    page = client.get("/adviser/carers?account=NF-999999")
    # Said twice: in the error summary, and by the field.
    assert page.text.count("No customer has this reference. Check it and try again.") == 2
    assert 'href="#account"' in page.text and 'value="NF-999999"' in page.text
    assert "<title>Error:" in page.text

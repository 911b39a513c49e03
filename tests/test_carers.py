"""Carers (/carers): inviting, accepting with one's own sign-in, acting for someone within the scopes
they chose, the customer seeing and stopping it at once, private messages, and advisers recording a
power of attorney or pausing a carer."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session, col, select, update

from portal.activity.models import ActivityEntry
from portal.carers import service
from portal.carers.models import AuthorityStatus, CarerAuthority
from portal.clock import utcnow
from portal.demo.carer_stories import DEMO_INVITATION_CODE
from portal.identity.models import Person
from portal.notify.models import InboxMessage, OutboxMessage
from tests.conftest import PageCheckingClient, sign_in
from tests.page_checks import parse, text_of

pytestmark = pytest.mark.demo  # Not yet on made data: see tests/factories.py.

MARGARET_AND_CERI = 1


def main_text(html: str) -> str:
    return text_of(parse(html).find(".//main"))


def person(db: Session, name: str) -> Person:
    return db.exec(select(Person).where(Person.name == name)).one()


def act_for(client: PageCheckingClient, authority_id: int = MARGARET_AND_CERI):
    token = client.csrf_token("/carers")
    return client.post("/carers/act", data={"authority": str(authority_id), "csrf_token": token})


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
    client: PageCheckingClient,
) -> None:
    sign_in(client, "ceri")
    page = act_for(client)
    assert page.url.path == "/account"
    assert "NF-100990" in main_text(page.text)
    for path in ("/account", "/account/bills", "/help/messages"):
        html = client.get(path).text
        assert "You are acting for Margaret Price" in html
        assert re.search(r"<title>[^<]*acting for Margaret Price", html), path
        assert 'action="/carers/stop-acting"' in html


def test_a_carer_cannot_go_beyond_what_the_customer_allowed(client: PageCheckingClient) -> None:
    """Margaret did not let Ceri see payments; nobody may let a carer near security or privacy."""
    sign_in(client, "ceri")
    act_for(client)
    for path in (
        "/account/payments",
        "/account/security",
        "/account/privacy",
        "/updates",
        "/carers/invite",
        "/adviser",
        "/carers/1",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "You cannot do this for Margaret Price" in response.text
    # Things Margaret allowed still work.
    assert client.get("/account/details").status_code == 200
    assert client.get("/help/callback").status_code == 200


def test_a_carer_never_sees_a_private_message(client: PageCheckingClient) -> None:
    sign_in(client, "ceri")
    act_for(client)
    assert "HR-PRVT47" not in client.get("/help/messages").text
    assert client.get("/help/messages/HR-PRVT47").status_code == 404
    sign_in(client, "margaret")
    assert "HR-PRVT47" in client.get("/help/messages").text


def test_a_message_a_carer_sends_is_the_customers_and_names_who_wrote_it(
    client: PageCheckingClient, db: Session
) -> None:
    sign_in(client, "ceri")
    act_for(client)
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
    from portal.help.models import HelpRequest

    request = db.exec(select(HelpRequest).where(HelpRequest.reference == reference)).one()
    assert request.customer_person_id == person(db, "Margaret Price").id
    assert request.acting_person_id == person(db, "Ceri Price").id
    sign_in(client, "margaret")
    thread = main_text(client.get(f"/help/messages/{reference}").text)
    assert "Ceri Price, for the customer" in thread


def test_the_customer_can_keep_a_new_message_private(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "margaret")
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
    sign_in(client, "ceri")
    act_for(client)
    assert client.get(f"/help/messages/{reference}").status_code == 404
    # Someone with nobody helping them is not asked.
    sign_in(client, "sam")
    assert "Keep this private" not in client.get("/help/messages/new").text


def test_a_change_of_scope_works_on_the_very_next_request(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "ceri")
    act_for(client)
    assert client.get("/account/bills").status_code == 200
    set_scopes(db, MARGARET_AND_CERI, "messages")
    assert client.get("/account/bills").status_code == 403
    set_scopes(db, MARGARET_AND_CERI, "messages,payments")
    assert client.get("/account/payments").status_code == 200


def test_stopped_paused_or_run_out_access_ends_acting_at_once(
    client: PageCheckingClient, db: Session
) -> None:
    for change in (
        {"status": AuthorityStatus.ended},
        {"status": AuthorityStatus.suspended},
        {"ends_on": dt.date(2020, 1, 1)},
    ):
        db.exec(
            update(CarerAuthority)
            .where(CarerAuthority.id == MARGARET_AND_CERI)
            .values(status=AuthorityStatus.active, ends_on=None)
        )
        db.commit()
        sign_in(client, "ceri")
        act_for(client)
        db.exec(update(CarerAuthority).where(CarerAuthority.id == MARGARET_AND_CERI).values(**change))
        db.commit()
        page = client.get("/account/bills")
        assert page.url.path == "/carers", change
        text = main_text(page.text)
        assert "You can no longer act for that person" in text
        assert "Act for Margaret Price" not in text
        assert "You are acting for" not in page.text
        assert client.get("/account").url.path == "/account"  # Ceri's own (empty) account page.
        assert "Margaret" not in main_text(client.get("/account").text)


def test_acting_is_logged_page_by_page_for_the_customer_to_see(
    client: PageCheckingClient, db: Session
) -> None:
    sign_in(client, "ceri")
    act_for(client)
    client.get("/account/bills/B100990-14")
    client.get("/account/cases")
    sign_in(client, "margaret")
    text = main_text(client.get("/carers/1/activity").text)
    assert "Looked at a page: A bill" in text
    assert "Looked at a page: Cases and orders" in text
    assert "Started to act for you" in text
    entries = db.exec(
        select(ActivityEntry).where(
            ActivityEntry.action == "carer_viewed", ActivityEntry.detail == "/account/cases"
        )
    ).all()
    assert [(e.actor_person_id, e.on_behalf_of_person_id) for e in entries] == [
        (person(db, "Ceri Price").id, person(db, "Margaret Price").id)
    ]


def test_stopping_acting_makes_the_carer_themself_again(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "ceri")
    act_for(client)
    client.post("/carers/stop-acting", data={"csrf_token": client.csrf_token("/carers")})
    assert "You are acting for" not in client.get("/carers").text
    assert main_text(client.get("/account").text).count("Margaret") == 0


def test_the_customer_is_told_when_a_carer_looks_at_payments_once_a_day(
    client: PageCheckingClient, db: Session
) -> None:
    set_scopes(db, MARGARET_AND_CERI, "payments")
    sign_in(client, "ceri")
    act_for(client)
    assert client.get("/account/payments").status_code == 200
    client.get("/account/payments")
    margaret = person(db, "Margaret Price")
    told = db.exec(
        select(InboxMessage).where(
            InboxMessage.person_id == margaret.id, col(InboxMessage.body).contains("looked at your payments")
        )
    ).all()
    assert len(told) == 1


# The customer in control


def test_inviting_checks_every_field_and_keeps_what_was_typed(client: PageCheckingClient) -> None:
    sign_in(client, "margaret")
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
    client: PageCheckingClient, db: Session
) -> None:
    sign_in(client, "margaret")
    first = invite(client)
    second = invite(client)
    assert first.url.path == second.url.path
    assert (
        db.exec(select(CarerAuthority).where(CarerAuthority.carer_name == "Bethan Price")).all().__len__()
        == 1
    )
    sent = db.exec(select(OutboxMessage).where(OutboxMessage.to == "bethan@example.org")).all()
    assert len(sent) == 1 and "/carers/accept?code=" in sent[0].body


def test_a_new_carer_accepts_with_their_own_sign_in_and_the_code_works_once(
    client: PageCheckingClient, db: Session
) -> None:
    sign_in(client, "margaret")
    code = code_on(invite(client, scopes=["account", "messages"]).text)
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/carers")})
    entered = client.post(
        "/carers/accept", data={"code": code.lower(), "csrf_token": client.csrf_token("/carers/accept")}
    )
    assert entered.url.path == "/carers/accept/confirm"
    text = main_text(entered.text)
    assert "Margaret Price asked you to help" in text and "See and send messages" in text
    done = client.post(
        "/carers/accept/confirm",
        data={"name": "Bethan Price", "csrf_token": client.csrf_token("/carers/accept/confirm")},
    )
    assert done.url.path == "/set-up/passkey"
    bethan = person(db, "Bethan Price")
    assert bethan.email == "bethan@example.org"
    assert "Act for Margaret Price" in client.get("/carers").text
    # The code is spent.
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/carers")})
    again = client.post(
        "/carers/accept", data={"code": code, "csrf_token": client.csrf_token("/carers/accept")}
    )
    assert again.status_code == 422 and "That code is wrong, has been used" in again.text
    told = db.exec(
        select(InboxMessage).where(
            InboxMessage.person_id == person(db, "Margaret Price").id,
            InboxMessage.subject == "Bethan Price can now help you",
        )
    ).all()
    assert len(told) == 1


def test_a_code_older_than_14_days_is_refused(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "margaret")
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


def test_someone_who_already_signs_in_is_asked_to_sign_in_first(client: PageCheckingClient) -> None:
    response = client.post(
        "/carers/accept",
        data={"code": DEMO_INVITATION_CODE, "csrf_token": client.csrf_token("/carers/accept")},
    )
    assert "Idris Hughes asked you to help" in main_text(response.text)
    signed_in_carer = sign_in(client, "sam")
    assert signed_in_carer.url.path == "/account"
    # Sam (signed in) says yes as himself.
    client.post(
        "/carers/accept",
        data={"code": DEMO_INVITATION_CODE, "csrf_token": client.csrf_token("/carers/accept")},
    )
    done = client.post(
        "/carers/accept/confirm", data={"csrf_token": client.csrf_token("/carers/accept/confirm")}
    )
    assert done.url.path == "/carers"
    assert "Act for Idris Hughes" in done.text


def test_nobody_can_accept_an_invitation_to_help_themself(client: PageCheckingClient) -> None:
    sign_in(client, "margaret")
    code = code_on(invite(client).text)
    client.post("/carers/accept", data={"code": code, "csrf_token": client.csrf_token("/carers/accept")})
    page = client.post(
        "/carers/accept/confirm", data={"csrf_token": client.csrf_token("/carers/accept/confirm")}
    )
    assert page.status_code == 422 and "This code is for the person who will help you" in page.text


def test_the_customer_changes_and_stops_a_carer_and_both_are_told(
    client: PageCheckingClient, db: Session
) -> None:
    sign_in(client, "margaret")
    token = client.csrf_token("/carers/1/change")
    changed = client.post(
        "/carers/1/change",
        data={
            "scopes": ["talk"],
            "until": "date",
            "ends-day": "1",
            "ends-month": "1",
            "ends-year": str(utcnow().year + 1),
            "csrf_token": token,
        },
    )
    assert changed.url.path == "/carers/1"
    assert "Talk to advisers for you" in main_text(changed.text)
    authority = db.get(CarerAuthority, 1)
    assert authority is not None and authority.scopes == "talk" and authority.review_on is None
    stopped = client.post("/carers/1/stop", data={"csrf_token": client.csrf_token("/carers/1/stop")})
    assert stopped.url.path == "/carers"
    db.refresh(authority)
    assert authority.status is AuthorityStatus.ended
    ceri = person(db, "Ceri Price")
    subjects = [m.subject for m in db.exec(select(InboxMessage).where(InboxMessage.person_id == ceri.id))]
    assert "What you can do for Margaret Price has changed" in subjects
    assert "You can no longer act for Margaret Price" in subjects


def test_a_carer_cannot_change_or_extend_their_own_access(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "ceri")
    for path in ("/carers/1", "/carers/1/change", "/carers/1/stop"):
        assert client.get(path).status_code == 404, path
    token = client.csrf_token("/carers")
    response = client.post(
        "/carers/1/change", data={"scopes": ["account", "payments"], "until": "stopped", "csrf_token": token}
    )
    assert response.status_code == 404
    assert db.get(CarerAuthority, 1).scopes == "account,contact,messages,talk"  # type: ignore[union-attr]


def test_the_yearly_review_asks_the_customer_once(db: Session, settings) -> None:
    authority = db.get(CarerAuthority, 1)
    assert authority is not None and authority.review_on is not None
    due = authority.review_on
    assert service.reviews_due(db, settings, due - dt.timedelta(days=1)) == 0
    assert service.reviews_due(db, settings, due) == 1
    assert service.reviews_due(db, settings, due) == 0
    margaret = person(db, "Margaret Price")
    asked = db.exec(
        select(InboxMessage).where(
            InboxMessage.person_id == margaret.id, InboxMessage.subject == "Should Ceri Price still help you?"
        )
    ).all()
    assert len(asked) == 1


# Advisers


def test_an_adviser_records_a_power_of_attorney_and_both_people_are_told(
    client: PageCheckingClient, db: Session
) -> None:
    sign_in(client, "dewi")
    empty = client.post(
        "/adviser/carers/new?account=NF-200200",
        data={"csrf_token": client.csrf_token("/adviser/carers/new?account=NF-200200")},
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
        "csrf_token": client.csrf_token("/adviser/carers/new?account=NF-200200"),
    }
    done = client.post("/adviser/carers/new?account=NF-200200", data=form)
    again = client.post("/adviser/carers/new?account=NF-200200", data=form)
    assert done.url.path == again.url.path and done.url.path.startswith("/adviser/carers/")
    assert "Owain Evans for Tom Evans" in main_text(done.text)
    authority = db.exec(select(CarerAuthority).where(CarerAuthority.carer_name == "Owain Evans")).one()
    assert authority.document_reference == "LPA 1" and authority.status is AuthorityStatus.invited
    assert db.exec(select(OutboxMessage).where(OutboxMessage.to == "owain@example.org")).first() is not None
    assert db.exec(select(OutboxMessage).where(OutboxMessage.to == "tom@example.org")).first() is not None
    # A customer cannot find this page at all.
    sign_in(client, "sam")
    assert client.get("/adviser/carers?account=NF-200200").status_code == 404


def test_an_adviser_pauses_a_carer_at_once(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "ceri")
    act_for(client)
    assert client.get("/account").status_code == 200
    adviser = PageCheckingClient(client.app)
    with adviser:
        sign_in(adviser, "hana")
        token = adviser.csrf_token("/adviser/carers/1")
        missing = adviser.post("/adviser/carers/1/suspend", data={"reason": "", "csrf_token": token})
        assert missing.status_code == 422
        paused = adviser.post(
            "/adviser/carers/1/suspend",
            data={"reason": "Margaret asked us on the phone", "csrf_token": token},
        )
        assert "Their access is paused" in paused.text
    page = client.get("/account/bills")
    assert page.url.path == "/carers" and "Paused by us" in main_text(page.text)
    margaret = db.get(Person, db.get(CarerAuthority, 1).customer_person_id)  # type: ignore[union-attr]
    assert margaret is not None
    sign_in(client, "margaret")
    assert "Paused by us" in main_text(client.get("/carers/1").text)


def test_the_adviser_sees_who_acted_for_the_customer(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "ceri")
    act_for(client)
    token = client.csrf_token("/help/messages/new")
    sent = client.post(
        "/help/messages/new",
        data={"subject": "For Mum", "message": "Hello", "form_key": "to-adviser", "csrf_token": token},
    )
    reference = sent.url.path.rsplit("/", 1)[-1]
    sign_in(client, "hana")  # Margaret's requests go to the specialist team.
    text = main_text(client.get(f"/adviser/requests/{reference}").text)
    assert "Ceri Price is acting for Margaret Price" in text


def test_a_background_request_does_not_swallow_the_word_that_access_ended(client: PageCheckingClient,
                                                                         db: Session) -> None:
    """A live stream reconnecting, or the service worker's update check, must leave the explanation for
    the next page the carer opens."""
    sign_in(client, "ceri")
    act_for(client)
    db.exec(update(CarerAuthority).where(CarerAuthority.id == MARGARET_AND_CERI).values(
        status=AuthorityStatus.ended))
    db.commit()
    background = {"Sec-Fetch-Mode": "cors"}
    with client.stream("GET", "/help/messages/HR-DEMOM1/events", headers=background,
                       follow_redirects=False) as stream:
        assert stream.status_code == 403
    assert client.get("/sw.js", headers={"Sec-Fetch-Mode": "same-origin"}).status_code == 200
    page = client.get("/account/bills", headers={"Sec-Fetch-Mode": "navigate"})
    assert page.url.path == "/carers"
    assert "You can no longer act for that person" in main_text(page.text)


def test_a_carer_is_shown_only_the_links_they_may_use(client: PageCheckingClient, db: Session) -> None:
    set_scopes(db, MARGARET_AND_CERI, "account")
    sign_in(client, "ceri")
    html = act_for(client).text
    assert 'href="/account/bills"' in html
    for hidden in ("/account/payments", "/account/security", "/account/privacy", "/account/details"):
        assert f'href="{hidden}"' not in html, hidden
    sign_in(client, "margaret")
    assert 'href="/carers"' in client.get("/account").text


def test_the_customer_hides_a_conversation_from_carers_and_shows_it_again(client: PageCheckingClient,
                                                                          db: Session) -> None:
    sign_in(client, "margaret")
    thread = client.get("/help/messages/HR-PRVT47").text
    assert "Only you and our advisers can see this" in thread
    token = client.csrf_token("/help/messages/HR-PRVT47")
    shown = client.post("/help/messages/HR-PRVT47/privacy", data={"private": "no", "csrf_token": token})
    assert "People who help you can see this again" in main_text(shown.text)
    sign_in(client, "ceri")
    act_for(client)
    assert client.get("/help/messages/HR-PRVT47").status_code == 200
    # A carer cannot hide or show anything.
    token = client.csrf_token("/help/messages/HR-PRVT47")
    assert client.post("/help/messages/HR-PRVT47/privacy",
                       data={"private": "yes", "csrf_token": token}).status_code == 403
    sign_in(client, "margaret")
    token = client.csrf_token("/help/messages/HR-PRVT47")
    hidden = client.post("/help/messages/HR-PRVT47/privacy", data={"private": "yes", "csrf_token": token})
    assert "People who help you can no longer see this" in main_text(hidden.text)
    sign_in(client, "ceri")
    act_for(client)
    assert client.get("/help/messages/HR-PRVT47").status_code == 404


def test_a_customer_with_a_recorded_power_of_attorney_can_set_up_online_and_see_it(
        client: PageCheckingClient, db: Session, settings) -> None:
    """The adviser's record gave Tom a person; setting up is still his first time, not a recovery."""
    from portal.access import Actor, Scope
    from portal.accounts.models import CustomerAccount
    from tests.helpers import latest_code, submit

    hana = person(db, "Hana Ali")
    tom_account = db.exec(select(CustomerAccount).where(CustomerAccount.reference == "NF-200200")).one()
    service.record_document(db, settings, Actor(person_id=hana.id or 0, name=hana.name, staff_role="adviser"),
                            tom_account, service.Invitation("Owain Evans", "owain@example.org", "",
                                                            service.Terms(frozenset({Scope.account}), None)),
                            service.Document(service.Basis.deputyship, "COP 123", "Saw the order"),
                            "deputy-1", utcnow().date())
    submit(client, "/set-up", **{"reference": "NF-200200", "dob-day": "9", "dob-month": "8",
                                 "dob-year": "1949"})
    submit(client, "/set-up/code", code=latest_code(db, "tom@example.org"))
    tom = person(db, "Tom Evans")
    subjects = [m.subject for m in db.exec(select(InboxMessage).where(InboxMessage.person_id == tom.id))]
    assert "You got back into your account" not in subjects
    assert "We recorded that Owain Evans can act for you" in subjects
    page = main_text(client.get("/carers").text)
    assert "Owain Evans" in page and "Waiting for them to say yes" in page


def test_an_adviser_is_told_plainly_when_no_customer_has_a_reference(client: PageCheckingClient) -> None:
    sign_in(client, "dewi")
    page = client.get("/adviser/carers?account=NF-999999")
    # Said twice: in the error summary, and by the field.
    assert page.text.count("No customer has this reference. Check it and try again.") == 2
    assert 'href="#account"' in page.text and 'value="NF-999999"' in page.text
    assert "<title>Error:" in page.text

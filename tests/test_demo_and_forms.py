"""The demo persona form: the error pattern, keeping input, htmx partial updates, signing in."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from portal.activity.models import ActivityEntry
from portal.clock import utcnow
from portal.identity.models import Person
from portal.web.sessions import WebSession, hash_id
from tests.conftest import PageCheckingClient, demo_sign_in, make_app, make_settings
from tests.page_checks import parse, text_of

pytestmark = pytest.mark.demo  # The demo's own persona form, on the demo people.


def test_empty_choice_shows_error_summary_linked_to_field(client: PageCheckingClient) -> None:
    token = client.csrf_token()
    response = client.post("/demo", data={"csrf_token": token})
    assert response.status_code == 422
    root = parse(response.text)
    assert text_of(root.find(".//title")).startswith("Error: Choose who to sign in as")
    summary = root.find(".//main/div[@class='error-summary']")
    assert summary is not None, "the error summary comes first in main"
    assert summary.get("autofocus") is not None
    link = summary.find(".//a")
    assert link.get("href") == "#persona"
    assert text_of(link) == "Choose a person to sign in as"
    inline = root.find(".//p[@id='persona-error']")
    assert text_of(inline) == "Error: Choose a person to sign in as"
    assert "persona-error" in root.find(".//fieldset").get("aria-describedby")


def test_unknown_choice_is_an_error_not_a_crash(client: PageCheckingClient) -> None:
    token = client.csrf_token()
    response = client.post("/demo", data={"csrf_token": token, "persona": "nobody"})
    assert response.status_code == 422
    assert 'href="#persona"' in response.text


def test_next_page_is_kept_through_an_error(client: PageCheckingClient) -> None:
    token = client.csrf_token("/demo?next=/help")
    response = client.post("/demo?next=/help", data={"csrf_token": token})
    assert 'action="/demo?next=/help"' in response.text
    response = client.post("/demo?next=/help", data={"csrf_token": token, "persona": "amina"})
    assert response.url.path == "/help"


def test_next_cannot_send_people_to_another_site(client: PageCheckingClient) -> None:
    token = client.csrf_token("/demo")
    response = client.post("/demo?next=//evil.example/", data={"csrf_token": token,
                                                               "persona": "sam"},
                           follow_redirects=False)
    assert response.headers["location"] == "/account"


def test_htmx_error_returns_only_title_and_main(client: PageCheckingClient) -> None:
    token = client.csrf_token()
    response = client.post("/demo", data={"csrf_token": token},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert not response.text.lstrip().startswith("<!DOCTYPE")
    assert "<title>Error: Choose who to sign in as" in response.text
    assert response.text.count("<main") == 1 and "<footer" not in response.text


def test_signing_in_shows_account_and_logs_it(client: PageCheckingClient, db: Session) -> None:
    response = demo_sign_in(client, "gareth")
    assert response.url.path == "/account"
    root = parse(response.text)
    assert text_of(root.find(".//h1")) == "Your account"
    assert "Signed in as Gareth Jones." in response.text
    assert "NF-100871" in response.text
    entry = db.exec(select(ActivityEntry).where(ActivityEntry.action == "signed_in")).one()
    assert entry.actor_person_id is not None


def test_signing_in_gives_a_new_session_id(client: PageCheckingClient, db: Session) -> None:
    client.get("/demo")
    before = client.cookies.get("portal_session")
    demo_sign_in(client, "sam")
    after = client.cookies.get("portal_session")
    assert before and after and before != after
    assert db.get(WebSession, hash_id(before)) is None
    assert db.get(WebSession, hash_id(after)).person_id is not None


def test_account_needs_sign_in_and_returns_there(client: PageCheckingClient) -> None:
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/account"
    page = client.get(response.headers["location"])
    assert 'href="/demo?next=/account"' in page.text


def test_htmx_request_when_signed_out_gets_hx_redirect(client: PageCheckingClient) -> None:
    response = client.get("/account", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.headers["hx-redirect"] == "/sign-in?next=/account"


def test_demo_is_absent_when_demo_mode_is_off(tmp_path) -> None:
    app = make_app(make_settings(tmp_path, demo=False))
    with PageCheckingClient(app) as client:
        assert client.get("/demo").status_code == 404
        assert client.get("/demo/components").status_code == 404
        page = client.get("/sign-in").text
        assert 'href="/demo' not in page and 'name="identifier"' in page


def test_the_operations_person_is_on_the_demo_page_and_starts_at_the_incidents(client: PageCheckingClient
                                                                             ) -> None:
    page = client.get("/demo").text
    assert "Olwen Price" in page
    assert "Works in operations." in page
    response = demo_sign_in(client, "olwen")
    assert response.url.path == "/ops"
    text = text_of(parse(response.text).find(".//main"))
    assert "Signed in as Olwen Price." in text
    # The demo's sample incidents: one open, one fixed lately.
    assert text.index("IN-WATER") < text.index("IN-AMPER")


def test_a_demo_person_whose_sign_in_is_locked_cannot_sign_in_here_either(client: PageCheckingClient,
                                                                          db: Session) -> None:
    sam = db.exec(select(Person).where(Person.name == "Sam Taylor")).one()
    sam.sign_in_locked_at, sam.sign_in_locked_reason = utcnow(), "Says a stranger has his phone"
    db.add(sam)
    db.commit()
    response = demo_sign_in(client, "sam")
    assert response.url.path == "/sign-in/locked" and "You cannot sign in at the moment" in response.text
    assert client.get("/account", follow_redirects=False).status_code == 303

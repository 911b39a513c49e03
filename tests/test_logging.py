"""Logs an operator can use: a request id on every line and on error pages, JSON lines when asked,
and no SQL parameters (people's details) in database errors."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from portal import logs, vapid
from portal.db import make_engine
from portal.identity.models import Person
from portal.notify.models import OutboxMessage
from portal.notify.service import deliver_pending
from portal.push.models import PushSubscription
from tests import factories
from tests.conftest import PageCheckingClient, make_app, make_settings
from tests.helpers import captured_logs, free_port
from tests.push_endpoint import FakeDevice


@pytest.fixture
def log_lines() -> io.StringIO:
    """Whatever the portal logs, as `portal serve` would write it (plain text)."""
    captured = io.StringIO()
    logs.setup("text")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(captured)
    return captured


def failing_app(tmp_path: Path, **overrides: object) -> FastAPI:
    app = make_app(make_settings(tmp_path, **overrides))

    def broken() -> None:
        logging.getLogger("portal.test").warning("about to fail")
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    return app


def test_every_line_of_a_request_and_its_error_page_carry_one_reference(tmp_path: Path,
                                                                          log_lines: io.StringIO) -> None:
    with PageCheckingClient(failing_app(tmp_path), raise_server_exceptions=False) as client:
        response = client.get("/broken?postcode=NF1+1AA")
    assert response.status_code == 500
    reference = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", reference)
    assert f'reference: <span dir="ltr">{reference}</span>' in response.text
    lines = [line for line in log_lines.getvalue().splitlines() if f"[{reference}]" in line]
    assert any("about to fail" in line for line in lines)
    assert any("Unhandled error" in line for line in lines)
    assert any(line.endswith("GET /broken 500 " + line.rsplit(" ", 2)[-2] + " ms") for line in lines)
    portal_lines = [line for line in log_lines.getvalue().splitlines() if " INFO httpx" not in line]
    assert not [line for line in portal_lines if "NF1" in line], "a query string (personal data) was logged"


def test_each_request_gets_its_own_reference_and_pages_not_found_show_none(tmp_path: Path) -> None:
    with PageCheckingClient(make_app(make_settings(tmp_path))) as client:
        first, second = client.get("/"), client.get("/no-such-page")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert second.status_code == 404 and "give us this reference" not in second.text


def test_a_proxys_request_id_is_used_only_when_trusted_and_well_formed(tmp_path: Path) -> None:
    offered = {"X-Request-ID": "proxy-id-1234"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with PageCheckingClient(make_app(make_settings(tmp_path / "a"))) as client:
        assert client.get("/", headers=offered).headers["x-request-id"] != "proxy-id-1234"
    with PageCheckingClient(make_app(make_settings(tmp_path / "b", trust_request_id=True))) as client:
        assert client.get("/", headers=offered).headers["x-request-id"] == "proxy-id-1234"
        forged = client.get("/", headers={"X-Request-ID": "bad id\nINFO forged line"})
        assert re.fullmatch(r"[0-9a-f]{16}", forged.headers["x-request-id"])


def test_json_lines_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("json")
    token = logs.request_id.set("abcdef1234")
    try:
        logging.getLogger("portal.test").warning("Sent %d messages", 3)
    finally:
        logs.request_id.reset(token)
        logs.setup("text")
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["message"] == "Sent 3 messages"
    assert entry["request_id"] == "abcdef1234" and entry["level"] == "WARNING"
    assert entry["logger"] == "portal.test" and entry["time"]


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/portal.db", "postgres"])
def test_database_errors_never_show_the_values(tmp_path: Path, url: str) -> None:
    if url == "postgres":
        from tests.conftest import postgres_url

        url = postgres_url()
    engine = make_engine(url.format(tmp=tmp_path))
    with pytest.raises(DBAPIError) as error, engine.connect() as connection:
        connection.execute(text("SELECT name FROM no_such_table WHERE name = :name"),
                           {"name": "Alex Green"})
    assert "no_such_table" in str(error.value)
    assert "Alex" not in str(error.value)
    engine.dispose()


# The class test: the main journeys, with things going wrong, leave nothing personal or secret in the log.

CANARY_MESSAGE = "Zebrafinch canary words about my meter"
CANARY_SUBJECT = "Zebrafinch subject line"
CARER_NAME = "Bethan Quillfeather"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


class RefusingSmtp:
    """A mail server that says no to every recipient (smtplib then names the address in its error)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return "550 5.1.1 No such mailbox here"


def form(client: PageCheckingClient, path: str, token_from: str | None = None, **fields: object):
    data = {"csrf_token": client.csrf_token(token_from or path.split("?")[0]), **fields}
    return client.post(path, data=data)


def latest_to(db: Session, to: str) -> OutboxMessage:
    db.expire_all()
    found = db.exec(select(OutboxMessage).where(OutboxMessage.to == to)
                    .order_by(col(OutboxMessage.id).desc())).first()
    assert found is not None, f"nothing sent to {to}"
    return found


def code_sent_to(db: Session, to: str) -> str:
    found = re.search(r"\b(\d{6})\b", latest_to(db, to).body)
    assert found is not None
    return found.group(1)


def fail_inserts(db: Session, table: str) -> None:
    """A real database failure: from now on the database refuses every new row in `table`."""
    db.connection().exec_driver_sql(
        f"CREATE TRIGGER forced_failure_{table} BEFORE INSERT ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'forced failure'); END")
    db.commit()


def test_the_main_journeys_log_no_message_code_address_session_or_invitation(tmp_path: Path) -> None:
    smtp = Controller(RefusingSmtp(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    keys = vapid.generate()
    settings = make_settings(tmp_path, mail={"smtp_host": "127.0.0.1", "smtp_port": smtp.port},
                             push={"vapid_public_key": keys.public, "vapid_private_key": keys.private})
    app = make_app(settings)
    with Session(app.state.engine, expire_on_commit=False) as db:
        customer = factories.customer(db, "Alex Green", email="alex@example.org")
        inviting = factories.customer(db, "Iris Obi")
    push_secret = "fcm-d3v1ce-t0ken-for-the-log-test"
    secrets: set[str] = {CANARY_MESSAGE, CANARY_SUBJECT, CARER_NAME, push_secret}
    try:
        with captured_logs() as logged, PageCheckingClient(app, raise_server_exceptions=False) as client, \
                Session(app.state.engine) as db:
            # Signing in with a code sent by email (the mail server refuses it: logged, but not where to).
            form(client, "/sign-in", identifier="alex@example.org")
            code = code_sent_to(db, "alex@example.org")
            secrets.add(code)
            assert form(client, "/sign-in/code", code=code).url.path == "/account"
            secrets.update(client.cookies.values())

            # A message, and a change of email address confirmed with a code.
            sent = form(client, "/help/messages/new", subject=CANARY_SUBJECT, message=CANARY_MESSAGE,
                        form_key="log-test-key-000001")
            assert sent.url.path.startswith("/help/messages/HR-")
            form(client, "/account/details/email", email="alex.logtest@example.org")
            code = code_sent_to(db, "alex.logtest@example.org")
            secrets.add(code)
            assert form(client, "/account/details/confirm", code=code).url.path == "/account/details"

            # A failed push to a device whose push service cannot be reached.
            person = db.exec(select(Person).where(Person.email == "alex.logtest@example.org")).one()
            unreachable = f"http://127.0.0.1:{free_port()}/{push_secret}"
            db.add(PushSubscription(person_id=person.id, endpoint=unreachable, p256dh=FakeDevice().p256dh,
                                    auth="c2VjcmV0LWF1dGgtMTIzNA", session_hash="log-test",
                                    user_agent="Chrome/130.0"))
            db.add(OutboxMessage(channel="push", to=f"person:{person.id}", subject="Water off", body="Off"))
            db.commit()
            deliver_pending(app.state.engine, settings)
            assert latest_to(db, f"person:{person.id}").attempts == 1

            # A customer invites a carer; the carer accepts with the code, from an old link and by typing it.
            factories.sign_in(client, inviting)
            invited = form(client, "/carers/invite", carer_name=CARER_NAME,
                           carer_email="bethan.q@example.org", scopes=["account"], until="stopped",
                           form_key="log-test-key-000002")
            shown = re.search(r'class="big-code"[^>]*>([A-Z0-9-]+)<', invited.text)
            assert shown is not None
            invitation = shown.group(1)
            secrets.update({invitation, invitation.replace("-", "")})
            secrets.update(client.cookies.values())
            form(client, "/sign-out", token_from="/carers")
            client.get(f"/carers/accept?code={invitation.replace('-', '')}")
            assert form(client, "/carers/accept", code=invitation).url.path == "/carers/accept/confirm"
            accepted = form(client, "/carers/accept/confirm", name=CARER_NAME)
            assert accepted.url.path == "/set-up/passkey"
            secrets.update(client.cookies.values())

            # The database fails: a message that could not be saved, and a change that fails outright.
            factories.sign_in(client, customer)
            fail_inserts(db, "help_message")
            failed = form(client, "/help/messages/new", subject=CANARY_SUBJECT, message=CANARY_MESSAGE,
                          form_key="log-test-key-000003")
            assert failed.status_code == 503
            fail_inserts(db, "outbox_message")
            assert form(client, "/account/details/email", email="alex.third@example.org").status_code == 500
            secrets.update(client.cookies.values())
    finally:
        smtp.stop()
        app.state.engine.dispose()

    lines = logged.lines()
    assert any("Unhandled error for POST /account/details/email" in line for line in lines)
    assert any("A message from /help/messages/new was not sent" in line for line in lines)
    assert any("Push to person:" in line for line in lines)
    assert any("not sent" in line and "SMTPRecipientsRefused" in line for line in lines)
    leaks = [(found, line) for line in lines for found in
             [s for s in secrets if s in line] + EMAIL.findall(line)]
    assert not leaks, "\n".join(f"{found!r} in: {line}" for found, line in leaks)


@pytest.mark.postgres
def test_a_failed_write_on_postgres_logs_the_statement_but_not_the_row() -> None:
    """PostgreSQL quotes the refused row in its error (DETAIL: Failing row contains ...), whatever
    SQLAlchemy hides: the log drops it, in both formats."""
    from tests.conftest import postgres_url

    engine = make_engine(postgres_url())
    with captured_logs() as logged, engine.connect() as connection:
        connection.execute(text("CREATE TEMP TABLE note (id int PRIMARY KEY, email text UNIQUE, "
                                "body text CHECK (body NOT LIKE 'Zebrafinch%'))"))
        for row in ({"id": 1, "email": "a@example.org", "body": "fine"},
                    {"id": 2, "email": "a@example.org", "body": "fine"},
                    {"id": 3, "email": "b@example.org", "body": CANARY_MESSAGE},
                    {"id": "abc-secret", "email": "c@example.org", "body": "fine"}):
            try:
                with connection.begin_nested():
                    connection.execute(text("INSERT INTO note VALUES (:id, :email, :body)"), row)
            except DBAPIError:
                logging.getLogger("portal.test").exception("A note was not saved")
    engine.dispose()
    lines = logged.lines()
    assert sum("INSERT INTO note" in line for line in lines) == 6  # Three failures, in two formats.
    assert not [line for line in lines
                if any(secret in line for secret in ("example.org", "Zebrafinch", "abc-secret"))]

"""Asking for a code takes the same route through the code whether or not the details belong to
anyone: the same database statements, in the same order, and nothing sent while the person waits.
The code is made and sent after the response (or by the worker, should that be cut short).

How long each takes is measured by bench/code_timing.py; a timed test would be flaky here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlmodel import Session, col, select
from starlette.types import Receive, Scope, Send

from portal.identity import service
from portal.identity.models import OneTimeCode
from portal.notify.models import OutboxMessage
from portal.updates import worker
from tests import factories
from tests.conftest import PageCheckingClient
from tests.helpers import latest_code, submit

EMAIL, ONLINE, NOT_ONLINE = "alex@example.org", "NF-123456", "NF-500100"


@pytest.fixture(autouse=True)
def customers(db: Session) -> None:
    """A customer online, and one not online yet."""
    factories.customer(db, email=EMAIL, account_fields={"reference": ONLINE})
    factories.account(db, None, reference=NOT_ONLINE, postcode="NF4 1GH", email="lena@example.org")


class UntilAnswered:
    """The app, noting the moment its answer has gone: work after it (background tasks) is not part
    of what the person waits for."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.answered = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def noting(message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.answered = True

        await self.app(scope, receive, noting)


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[tuple[bool, str]]]:
    """Every SQL statement the app runs, with whether its answer had gone yet."""
    seen: list[tuple[bool, str]] = []
    watcher = UntilAnswered(app)
    app.state.watcher = watcher

    def note(connection, cursor, statement, parameters, context, executemany) -> None:
        seen.append((watcher.answered, statement))

    event.listen(app.state.engine, "before_cursor_execute", note)
    yield seen
    event.remove(app.state.engine, "before_cursor_execute", note)


def request_work(app: FastAPI, statements: list[tuple[bool, str]], path: str,
                 fields: dict[str, str]) -> tuple[list[str], int, str]:
    """The statements run before the answer, and the answer, for one request from a new browser."""
    watcher: UntilAnswered = app.state.watcher
    with PageCheckingClient(watcher) as client:
        token = client.csrf_token(path)
        statements.clear()
        watcher.answered = False
        response = client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)
        before = [statement for answered, statement in statements if not answered]
        return before, response.status_code, response.headers["location"]


@pytest.mark.parametrize(("path", "known", "unknown"), [
    ("/sign-in", {"identifier": EMAIL}, {"identifier": "nobody@example.org"}),
    ("/sign-in", {"identifier": ONLINE}, {"identifier": "NF-999999"}),
    ("/set-up", {"reference": NOT_ONLINE, "postcode": "NF4 1GH"},
     {"reference": NOT_ONLINE, "postcode": "ZZ9 9ZZ"}),
    ("/set-up", {"reference": NOT_ONLINE, "postcode": "NF4 1GH"},
     {"reference": "NF-999999", "postcode": "NF4 1GH"}),
])
def test_known_and_unknown_details_run_the_same_statements(app, db, statements, path, known,
                                                          unknown) -> None:
    known_work = request_work(app, statements, path, known)
    unknown_work = request_work(app, statements, path, unknown)
    assert known_work == unknown_work
    looked_up = [statement for statement in known_work[0]
                 if any(table in statement for table in ("outbox", "customer_account", "FROM person"))]
    assert looked_up == []
    # After the answer, only the details that belong to someone brought a message.
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()) == 1
    assert db.exec(select(OneTimeCode).where(col(OneTimeCode.pending_request).is_not(None))).all() == []


def test_the_worker_makes_a_code_the_request_left_behind(app, db, settings) -> None:
    """As if the process stopped just after answering: the next worker pass sends it."""
    code_id = service.start_code_sign_in(db, settings, "some-session", " Alex@Example.org ")
    assert db.exec(select(OutboxMessage)).all() == []
    assert worker.run_once(app.state.engine, settings, scan=False)["codes"] == 1
    row = db.get(OneTimeCode, code_id)
    assert row is not None and row.person_id is not None and row.pending_request is None
    assert latest_code(db, EMAIL)


def test_a_code_asked_for_long_ago_is_never_sent(app, db, settings) -> None:
    code_id = service.start_code_sign_in(db, settings, "some-session", EMAIL)
    row = db.get(OneTimeCode, code_id)
    assert row is not None
    row.created_at -= dt.timedelta(minutes=11)
    db.add(row)
    db.commit()
    assert service.send_requested_codes(app.state.engine, settings) == 1
    assert db.exec(select(OutboxMessage)).all() == []
    db.refresh(row)
    assert row.code_hash == "" and row.pending_request is None


def test_the_message_is_in_the_language_the_code_was_asked_for_in(client: PageCheckingClient,
                                                                  db: Session) -> None:
    client.cookies.set("portal_lang", "cy")
    submit(client, "/sign-in", identifier=EMAIL)
    email = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).one()
    assert "Your code is" not in email.body and latest_code(db, EMAIL)

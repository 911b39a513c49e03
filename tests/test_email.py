"""Email leaves through a real SMTP server (aiosmtpd on a local port), and waits when it cannot."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlmodel import Session, select

from portal.notify.models import OutboxMessage
from portal.notify.service import deliver_pending, queue_email
from tests.conftest import make_settings


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.received = []

    def handle_message(self, message) -> None:
        self.received.append(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_queued_email_is_delivered_over_smtp(smtp_server, app, tmp_path) -> None:
    controller, inbox = smtp_server
    settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=controller.port,
                             mail_from="account@northfield.example")
    with Session(app.state.engine) as db:
        queue_email(db, "sam@example.org", "Your code", "Your code is 123456.")
        db.commit()
    assert deliver_pending(app.state.engine, settings) == 1
    assert len(inbox.received) == 1
    message = inbox.received[0]
    assert message["To"] == "sam@example.org" and message["Subject"] == "Your code"
    assert message["From"] == "account@northfield.example"
    assert "Your code is 123456." in message.get_payload()
    with Session(app.state.engine) as db:
        assert db.exec(select(OutboxMessage)).one().sent_at is not None
    assert deliver_pending(app.state.engine, settings) == 0  # Sent once only.


def test_email_waits_when_the_server_is_down(app, tmp_path) -> None:
    settings = make_settings(tmp_path, smtp_host="127.0.0.1", smtp_port=free_port())
    with Session(app.state.engine) as db:
        queue_email(db, "sam@example.org", "Your code", "Your code is 123456.")
        db.commit()
    assert deliver_pending(app.state.engine, settings) == 0
    with Session(app.state.engine) as db:
        message = db.exec(select(OutboxMessage)).one()
        assert message.sent_at is None and message.attempts == 1 and message.last_error


def test_without_smtp_email_stays_in_the_outbox(app, settings) -> None:
    with Session(app.state.engine) as db:
        queue_email(db, "sam@example.org", "Hello", "Body")
        db.commit()
    assert deliver_pending(app.state.engine, settings) == 0

"""Email leaves through a real SMTP server (aiosmtpd on a local port), and waits when it cannot."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlmodel import Session, col, select

from portal.carers.models import CarerAuthority
from portal.clock import aware
from portal.notify.models import OutboxMessage
from portal.notify.service import MAX_ATTEMPTS, deliver_pending, queue_email
from portal.web.forms import one_line, several_lines
from tests import factories
from tests.conftest import make_settings
from tests.helpers import at, deliver, free_port, incident_update, today

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES, PORTAL = ROOT / "templates", ROOT / "portal"


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.received = []

    def handle_message(self, message) -> None:
        self.received.append(message)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_queued_email_is_delivered_over_smtp(smtp_server, app, tmp_path) -> None:
    controller, inbox = smtp_server
    settings = make_settings(tmp_path, mail={"smtp_host": "127.0.0.1", "smtp_port": controller.port,
                                             "from_address": "account@northfield.example"})
    with Session(app.state.engine) as db:
        queue_email(db, "alex@example.org", "Your code", "Your code is 123456.")
        db.commit()
    assert deliver_pending(app.state.engine, settings) == 1
    assert len(inbox.received) == 1
    message = inbox.received[0]
    assert message["To"] == "alex@example.org" and message["Subject"] == "Your code"
    assert message["From"] == "account@northfield.example"
    assert "Your code is 123456." in message.get_payload()
    with Session(app.state.engine) as db:
        assert db.exec(select(OutboxMessage)).one().sent_at is not None
    assert deliver_pending(app.state.engine, settings) == 0  # Sent once only.


def test_email_waits_when_the_server_is_down(app, tmp_path) -> None:
    settings = make_settings(tmp_path, mail={"smtp_host": "127.0.0.1", "smtp_port": free_port()})
    with Session(app.state.engine) as db:
        queue_email(db, "alex@example.org", "Your code", "Your code is 123456.")
        db.commit()
    assert deliver_pending(app.state.engine, settings) == 0
    with Session(app.state.engine) as db:
        message = db.exec(select(OutboxMessage)).one()
        assert message.sent_at is None and message.attempts == 1 and message.last_error


def test_without_smtp_email_stays_in_the_outbox(app, settings) -> None:
    with Session(app.state.engine) as db:
        queue_email(db, "alex@example.org", "Hello", "Body")
        db.commit()
    assert deliver_pending(app.state.engine, settings) == 0


# Updates by email: the outbox is a job queue (see portal/notify/service.py).


def parts_of(message) -> dict[str, str]:
    """Each text part of a received email by content type, decoded."""
    found = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            found[part.get_content_type()] = part.get_payload(decode=True).decode(
                part.get_content_charset() or "utf-8")
    return found


def smtp_settings(tmp_path, port: int):
    return make_settings(tmp_path, mail={"smtp_host": "127.0.0.1", "smtp_port": port,
                                         "from_address": "updates@northfield.example"})


def test_an_update_reaches_the_inbox_as_plain_text(smtp_server, app, db, tmp_path) -> None:
    controller, inbox = smtp_server
    settings = smtp_settings(tmp_path, controller.port)
    person, now = factories.customer(db, email="alex@example.org"), at(today(), 10)
    incident_update(db, person, "No water in parts of NF2", now)
    deliver(app, settings, now)
    assert deliver_pending(app.state.engine, settings, now=now) == 1

    [message] = inbox.received
    assert message["To"] == "alex@example.org" and message["Subject"] == "No water in parts of NF2"
    assert message["From"] == "updates@northfield.example"
    parts = parts_of(message)
    assert list(parts) == ["text/plain"]
    assert "Use bottled water." in parts["text/plain"]
    assert "http://testserver/status" in parts["text/plain"]
    assert "Call us on 0300 123 4567." in parts["text/plain"]
    assert deliver_pending(app.state.engine, settings, now=now) == 0


def test_someone_who_needs_large_print_gets_big_text_too(smtp_server, app, db, tmp_path) -> None:
    controller, inbox = smtp_server
    settings = smtp_settings(tmp_path, controller.port)
    reader, now = factories.customer(db), at(today(), 10)
    factories.needs(db, reader, channel="email", support=["large_print"])
    incident_update(db, reader, "Water off in NF7", now)
    deliver(app, settings, now)
    assert deliver_pending(app.state.engine, settings, now=now) == 1

    [message] = inbox.received
    assert message.get_content_type() == "multipart/alternative"
    parts = parts_of(message)
    assert "Water off in NF7" in parts["text/plain"]  # Plain text is always there.
    html = parts["text/html"]
    assert "font-size:24px" in html and "<h1" in html and 'lang="en"' in html
    assert 'href="http://testserver/status#IN-' in html
    assert "0300 123 4567" in html


def test_email_is_tried_again_later_and_sent_once_the_server_is_back(app, db, tmp_path) -> None:
    port = free_port()  # Nothing listens here yet.
    settings = smtp_settings(tmp_path, port)
    person, start = factories.customer(db, email="alex@example.org"), at(today(), 10)
    incident_update(db, person, "Burst pipe on Mill Lane", start)
    deliver(app, settings, start)

    def outbox_row() -> OutboxMessage:
        db.expire_all()
        return db.exec(select(OutboxMessage).where(OutboxMessage.to == "alex@example.org")).one()

    assert deliver_pending(app.state.engine, settings, now=start) == 0
    assert outbox_row().attempts == 1 and outbox_row().last_error
    assert aware(outbox_row().next_attempt_at) == start + dt.timedelta(minutes=1)
    assert deliver_pending(app.state.engine, settings, now=start + dt.timedelta(seconds=30)) == 0
    assert outbox_row().attempts == 1  # Not tried again before its time.
    assert deliver_pending(app.state.engine, settings, now=start + dt.timedelta(minutes=1)) == 0
    assert outbox_row().attempts == 2  # Then it waits twice as long.
    assert aware(outbox_row().next_attempt_at) == start + dt.timedelta(minutes=3)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliver_pending(app.state.engine, settings, now=start + dt.timedelta(minutes=2)) == 0
        assert deliver_pending(app.state.engine, settings, now=start + dt.timedelta(minutes=3)) == 1
        assert deliver_pending(app.state.engine, settings, now=start + dt.timedelta(minutes=9)) == 0
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.received] == ["Burst pipe on Mill Lane"]
    assert outbox_row().sent_at is not None and outbox_row().last_error == ""


def test_email_is_given_up_after_the_last_try(app, db, tmp_path) -> None:
    settings = smtp_settings(tmp_path, free_port())
    person, now = factories.customer(db, email="alex@example.org"), at(today(), 10)
    incident_update(db, person, "Burst pipe on Mill Lane", now)
    deliver(app, settings, now)
    for _ in range(MAX_ATTEMPTS + 2):
        deliver_pending(app.state.engine, settings, now=now)
        now += dt.timedelta(hours=2)
    db.expire_all()
    message = db.exec(select(OutboxMessage)).one()
    assert message.attempts == MAX_ATTEMPTS and message.failed_at is not None and message.sent_at is None


# A message that cannot be built, and names that would break a header


def test_a_message_that_cannot_be_built_fails_once_and_the_rest_go_out(smtp_server, app, db,
                                                                        tmp_path) -> None:
    controller, inbox = smtp_server
    settings = smtp_settings(tmp_path, controller.port)
    queue_email(db, "alex@example.org", "First", "One.")
    broken = queue_email(db, "alex@example.org\r\nBcc: x@example.net", "Second", "Two.")
    queue_email(db, "bea@example.org", "Third", "Three.")
    db.commit()
    now = at(today(), 10)
    assert deliver_pending(app.state.engine, settings, now=now) == 2
    assert [m["Subject"] for m in inbox.received] == ["First", "Third"]
    db.expire_all()
    row = db.get(OutboxMessage, broken.id)
    assert row.failed_at is not None and row.attempts == 1 and row.claimed_until is None
    assert "could not be built" in row.last_error
    # Never claimed again: not when its claim would have run out, not hours later.
    for later in (now + dt.timedelta(minutes=5), now + dt.timedelta(hours=3)):
        assert deliver_pending(app.state.engine, settings, now=later) == 0
    db.expire_all()
    assert db.get(OutboxMessage, broken.id).attempts == 1
    assert not any("x@example.net" in m["X-RcptTo"] for m in inbox.received)


def test_a_carer_named_with_a_line_break_gets_one_line_and_email_still_goes(smtp_server, client, db,
                                                                            app, tmp_path, customer) -> None:
    controller, inbox = smtp_server
    settings = smtp_settings(tmp_path, controller.port)
    factories.sign_in(client, customer)
    form = {"carer_name": "Evil\r\nBcc: x@example.net", "carer_email": "evil@example.org",
            "carer_phone": "", "scopes": ["account"], "until": "stopped", "form_key": "key-evil-1234567",
            "csrf_token": client.csrf_token("/carers/invite")}
    invited = client.post("/carers/invite", data=form, follow_redirects=False)
    assert invited.status_code == 303
    authority = db.exec(select(CarerAuthority).where(CarerAuthority.carer_email == "evil@example.org")).one()
    assert authority.carer_name == "Evil Bcc: x@example.net"  # One line: it can no longer add a header.
    changed = client.post(f"/carers/{authority.id}/change", follow_redirects=False, data={
        "scopes": ["account", "messages"], "until": "stopped",
        "csrf_token": client.csrf_token(f"/carers/{authority.id}/change")})
    assert changed.status_code == 303
    sent = deliver_pending(app.state.engine, settings)
    db.expire_all()
    waiting = db.exec(select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None),
                                                  OutboxMessage.channel == "email")).all()
    assert sent == len(inbox.received) >= 3 and waiting == []
    subjects = [m["Subject"] for m in inbox.received]
    assert "You changed what Evil Bcc: x@example.net can do" in subjects
    for message in inbox.received:
        assert "x@example.net" not in message["X-RcptTo"] and message["Bcc"] is None


def test_every_text_box_keeps_its_lines_and_every_other_field_is_one_line() -> None:
    """A meta-test: the fields shown as text boxes (textarea) are exactly the multi-line ones, so no
    single-line field lets a line break through and no text box loses its lines."""
    boxes = set()
    for template in TEMPLATES.rglob("*.html"):
        boxes |= set(re.findall(r'textarea\(\{"name": "([a-z_]+)"', template.read_text()))
    multiline = set()
    for module in PORTAL.rglob("*.py"):
        for call in ast.walk(ast.parse(module.read_text())):
            if (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Field" and call.args
                    and any(k.arg == "multiline" for k in call.keywords)):
                multiline.add(call.args[0].value)  # type: ignore[attr-defined]
    assert boxes and boxes == multiline
    assert one_line("Evil\r\nBcc:\tx\x00@example.net\u2028\x85") == "Evil Bcc: x@example.net "
    assert several_lines("Line one\r\nLine two\rthree\x1b[31m\x00") == "Line one\nLine two\nthree[31m"

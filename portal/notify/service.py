"""Queue email and SMS in the outbox, tell people things in their account, and deliver email."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import Engine
from sqlmodel import Session, select

from portal.clock import utcnow
from portal.identity.models import Person
from portal.notify.models import InboxMessage, OutboxMessage
from portal.settings import Settings

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def queue_email(db: Session, to: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(channel="email", to=to, subject=subject, body=body)
    db.add(message)
    return message


def queue_sms(db: Session, to: str, body: str) -> OutboxMessage:
    message = OutboxMessage(channel="sms", to=to, body=body)
    db.add(message)
    return message


def tell(db: Session, person: Person, subject: str, body: str) -> None:
    """A message in their account and, where we have one, an email. In the caller's transaction."""
    assert person.id is not None
    db.add(InboxMessage(person_id=person.id, subject=subject, body=body))
    if person.email:
        queue_email(db, person.email, subject, body)


def recent_messages(db: Session, person_id: int, limit: int = 5) -> list[InboxMessage]:
    return list(db.exec(select(InboxMessage).where(InboxMessage.person_id == person_id)
                        .order_by(InboxMessage.id.desc()).limit(limit)).all())  # type: ignore[union-attr]


def deliver_pending(engine: Engine, settings: Settings) -> int:
    """Send waiting email over SMTP. Returns how many were sent; failures are retried later."""
    if not settings.smtp_host:
        return 0
    sent = 0
    with Session(engine) as db:
        waiting = db.exec(select(OutboxMessage).where(
            OutboxMessage.channel == "email", OutboxMessage.sent_at.is_(None),  # type: ignore[union-attr]
            OutboxMessage.attempts < MAX_ATTEMPTS).order_by(OutboxMessage.id)).all()
        for message in waiting:
            message.attempts += 1
            try:
                _send(settings, message)
            except (OSError, smtplib.SMTPException) as exc:
                message.last_error = str(exc)[:500]
                logger.warning("Email %s not sent yet: %s", message.id, exc)
            else:
                message.sent_at = utcnow()
                sent += 1
            db.add(message)
            db.commit()
    return sent


def _send(settings: Settings, message: OutboxMessage) -> None:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(email)

"""Providers that carry outbox messages out of the portal: email, text (SMS) and web push.

Each channel has a small interface and one or more drivers; `drivers(settings)` chooses them. A driver
whose `waits_in_outbox` is true reaches nobody: messages for it stay in the outbox (sent_at empty),
where the demo and the tests read them, until a real provider is configured. Today that is email
without `smtp_host`, every text message (no SMS provider is reachable here) and every push message
(the installable app issue will add a pywebpush driver).

`send` raises `SendError` (or the provider's own OSError) when a message could not be sent; the
outbox then tries again later (see notify/service.py)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from portal.settings import Settings


class SendError(RuntimeError):
    """The provider did not take the message. It may work later."""


class EmailProvider(Protocol):
    waits_in_outbox: bool

    def send(self, *, to: str, subject: str, body: str, html: str = "") -> None: ...


class SmsProvider(Protocol):
    waits_in_outbox: bool

    def send(self, *, to: str, body: str) -> None: ...


class PushProvider(Protocol):
    waits_in_outbox: bool

    def send(self, *, to: str, title: str, body: str) -> None: ...


class OutboxEmail:
    """No SMTP server configured: email waits in the outbox."""

    waits_in_outbox = True

    def send(self, *, to: str, subject: str, body: str, html: str = "") -> None:
        raise SendError("No SMTP server is configured (PORTAL_SMTP_HOST).")


class SmtpEmail:
    """Email over SMTP: plain text, plus an HTML alternative when there is one."""

    waits_in_outbox = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, *, to: str, subject: str, body: str, html: str = "") -> None:
        settings = self.settings
        email = EmailMessage()
        email["From"] = settings.mail_from
        email["To"] = to
        email["Subject"] = subject
        email.set_content(body)
        if html:
            email.add_alternative(html, subtype="html")
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password)
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise SendError(f"{type(error).__name__}: {error}") from error


class OutboxSms:
    """No SMS provider can be reached from here: text messages wait in the outbox (channel "sms")."""

    waits_in_outbox = True

    def send(self, *, to: str, body: str) -> None:
        raise SendError("No SMS provider is configured.")


class OutboxPush:
    """Web push needs subscriptions from the installable app: push messages wait in the outbox."""

    waits_in_outbox = True

    def send(self, *, to: str, title: str, body: str) -> None:
        raise SendError("No web push provider is configured.")


@dataclass(frozen=True)
class Drivers:
    email: EmailProvider
    sms: SmsProvider
    push: PushProvider

    def waiting_channels(self) -> frozenset[str]:
        """Outbox channels ("email", "sms", "push") that nothing sends: their messages stay put."""
        return frozenset(name for name in ("email", "sms", "push")
                         if getattr(self, name).waits_in_outbox)


def drivers(settings: Settings) -> Drivers:
    """The providers the settings ask for."""
    email: EmailProvider = SmtpEmail(settings) if settings.smtp_host else OutboxEmail()
    return Drivers(email=email, sms=OutboxSms(), push=OutboxPush())

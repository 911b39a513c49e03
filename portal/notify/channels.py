"""Providers that carry outbox messages out of the portal: email, text (SMS) and web push.

Each channel has a small interface and one or more drivers; `drivers(settings, engine)` chooses them. A
driver whose `waits_in_outbox` is true reaches nobody: messages for it stay in the outbox (sent_at
empty), where the demo and the tests read them, until a real provider is configured. Today that is
email without `mail.smtp_host`, every text message (no SMS provider is reachable here) and push messages
without VAPID keys (with them, `WebPush` sends with pywebpush).

`send` raises `SendError` when a message could not be sent; the outbox then tries again later (see
notify/service.py). `session()` wraps a run of sends, so a provider can keep one connection open
for all of them."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email.errors import MessageError
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import Engine

from portal.settings import Settings

logger = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 5.0  # A kept SMTP connection idle this long is checked before use.


class SendError(RuntimeError):
    """The provider did not take the message. It may work later."""


class Unsendable(SendError):
    """The message itself is wrong (it cannot even be built): trying again would never work."""


def log_safe(error: BaseException) -> str:
    """What an error may say in a log line. Our own `SendError`s are written to be safe to log; of
    any other error only its kind and a mail server's reply code, never its text, which can hold an
    address, a device's push address or part of the message."""
    if isinstance(error, SendError) and error.__cause__ is None:
        return str(error)
    cause = error.__cause__ or error
    code = getattr(cause, "smtp_code", None)
    return type(cause).__name__ + (f" {code}" if isinstance(code, int) else "")


class EmailProvider(Protocol):
    waits_in_outbox: bool

    def session(self) -> AbstractContextManager[None]: ...

    def send(self, *, to: str, subject: str, body: str, html: str = "") -> None: ...


class SmsProvider(Protocol):
    waits_in_outbox: bool

    def session(self) -> AbstractContextManager[None]: ...

    def send(self, *, to: str, body: str) -> None: ...


class PushProvider(Protocol):
    waits_in_outbox: bool

    def session(self) -> AbstractContextManager[None]: ...

    def send(self, *, to: str, title: str, body: str, url: str = "") -> None: ...


class _NoSession:
    def session(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()


class OutboxEmail(_NoSession):
    """No SMTP server configured: email waits in the outbox."""

    waits_in_outbox = True

    def send(self, *, to: str, subject: str, body: str, html: str = "") -> None:
        raise SendError("No SMTP server is configured (PORTAL_MAIL__SMTP_HOST).")


class SmtpEmail:
    """Email over SMTP: plain text, plus an HTML alternative when there is one. Within `session()`
    one connection carries every message."""

    waits_in_outbox = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._kept: smtplib.SMTP | None = None
        self._keeping = False
        self._used = 0.0  # When the kept connection was last used (time.monotonic).

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        self._keeping = True
        try:
            yield
        finally:
            self._keeping = False
            self._drop(polite=True)

    def send(self, *, to: str, subject: str, body: str, html: str = "") -> None:
        settings = self.settings
        try:
            email = EmailMessage()
            email["From"] = settings.mail.from_address
            email["To"] = to
            # A subject is one line, whatever was stored before names were cleaned on the way in.
            email["Subject"] = " ".join(subject.split())
            email.set_content(body)
            if html:
                email.add_alternative(html, subtype="html")
        except (ValueError, TypeError, LookupError, MessageError) as error:
            raise Unsendable(f"The email could not be built: {type(error).__name__}: {error}") from error
        try:
            smtp = self._connection()
            try:
                smtp.send_message(email)
            finally:
                if not self._keeping:
                    self._drop(polite=True)
        except (OSError, smtplib.SMTPException) as error:
            self._drop(polite=False)
            raise SendError(f"{type(error).__name__}: {error}") from error

    def _connection(self) -> smtplib.SMTP:
        if self._kept is not None:
            try:
                if time.monotonic() - self._used > IDLE_CHECK_SECONDS:
                    self._kept.noop()  # Still there? A server may close an idle connection.
                self._used = time.monotonic()
                return self._kept
            except (OSError, smtplib.SMTPException):
                self._drop(polite=False)
        settings = self.settings
        smtp = smtplib.SMTP(settings.mail.smtp_host, settings.mail.smtp_port, timeout=10)
        try:
            if settings.mail.smtp_starttls:
                smtp.starttls()
            if settings.mail.smtp_username:
                smtp.login(settings.mail.smtp_username, settings.mail.smtp_password)
        except BaseException:
            smtp.close()
            raise
        self._kept, self._used = smtp, time.monotonic()
        return smtp

    def _drop(self, *, polite: bool) -> None:
        smtp, self._kept = self._kept, None
        if smtp is None:
            return
        with contextlib.suppress(OSError, smtplib.SMTPException):
            if polite:
                smtp.quit()
        smtp.close()


class OutboxSms(_NoSession):
    """No SMS provider can be reached from here: text messages wait in the outbox (channel "sms")."""

    waits_in_outbox = True

    def send(self, *, to: str, body: str) -> None:
        raise SendError("No SMS provider is configured.")


class OutboxPush(_NoSession):
    """No VAPID keys are set (PORTAL_PUSH__VAPID_...): push messages wait in the outbox."""

    waits_in_outbox = True

    def send(self, *, to: str, title: str, body: str, url: str = "") -> None:
        raise SendError("No web push provider is configured (PORTAL_PUSH__VAPID_PUBLIC_KEY and "
                        "PORTAL_PUSH__VAPID_PRIVATE_KEY).")


# Web push is sent by the push feature (portal/push/sender.py), which hands its provider over when it
# loads: this module never imports it.
PushFactory = Callable[[Settings, Engine], PushProvider]
_push_factory: PushFactory | None = None


def provide_push(factory: PushFactory) -> None:
    """The push feature's provider, used when VAPID keys are set."""
    global _push_factory
    _push_factory = factory


@dataclass(frozen=True)
class Drivers:
    email: EmailProvider
    sms: SmsProvider
    push: PushProvider

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Every provider's session, for a run of sends."""
        with self.email.session(), self.sms.session(), self.push.session():
            yield

    def waiting_channels(self) -> frozenset[str]:
        """Outbox channels ("email", "sms", "push") that nothing sends: their messages stay put."""
        return frozenset(name for name in ("email", "sms", "push")
                         if getattr(self, name).waits_in_outbox)


def drivers(settings: Settings, engine: Engine | None = None) -> Drivers:
    """The providers the settings ask for. Web push needs the database (to find each person's
    devices), so without `engine` push messages wait in the outbox."""
    email: EmailProvider = SmtpEmail(settings) if settings.mail.smtp_host else OutboxEmail()
    push: PushProvider = (_push_factory(settings, engine)
                          if settings.push.available and engine is not None and _push_factory is not None
                          else OutboxPush())
    return Drivers(email=email, sms=OutboxSms(), push=push)

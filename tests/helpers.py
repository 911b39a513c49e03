"""Plain helpers that more than one test module uses. Fixtures live in conftest.py; test modules import
helpers from here, never from each other."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlmodel import Session, select

from portal import logs
from portal.accounts.models import ServiceKind
from portal.clock import today_in
from portal.identity.models import Person
from portal.notify.models import OutboxMessage
from portal.ops.models import Incident, IncidentStage, IncidentVersion
from portal.settings import Settings
from portal.updates import delivery, service
from portal.updates.models import Delivery, DeliveryChannel, Update, UpdateKind, UpdatePreferences
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of
from tests.softauthn import SoftAuthenticator

# Time and updates

ZONE = "Europe/London"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment on the local clock, in UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(ZONE)).astimezone(dt.UTC)


def today() -> dt.date:
    return today_in(ZONE)


def prefer(db: Session, person: Person, *, channels: dict[str, list[str]] | None = None,
           quiet: tuple[dt.time, dt.time] | None = (dt.time(21), dt.time(8)),
           daily_cap: int | None = None) -> None:
    db.add(UpdatePreferences(person_id=person.id, channels=json.dumps(channels or {}),
                             quiet_from=quiet[0] if quiet else None,
                             quiet_until=quiet[1] if quiet else None, daily_cap=daily_cap))
    db.commit()


def incident_update(db: Session, person: Person, title: str, now: dt.datetime, *,
                    safety_critical: bool = False) -> Update:
    """An update about a problem in the person's area, with words of our own."""
    incident = Incident(service=ServiceKind.water, areas="NF2", safety_critical=safety_critical)
    db.add(incident)
    db.flush()
    assert incident.id is not None
    db.add(IncidentVersion(incident_id=incident.id, version=1, stage=IncidentStage.fixing, title=title,
                           what_is_happening="A pipe burst.", who_is_affected="Homes in NF2.",
                           what_to_do="Use bottled water.", fanned_out_at=now))
    made = service.create_update(db, person_id=person.id, kind=UpdateKind.incidents, message="incident",
                                 source_key=f"incident:{incident.id}:v1", link="/status",
                                 params={"incident_id": incident.id, "version": 1},
                                 safety_critical=safety_critical, incident_id=incident.id, now=now)
    assert made is not None
    db.commit()
    return made


def deliver(app: FastAPI, settings: Settings, now: dt.datetime, worker: str = "worker-1") -> dict[str, int]:
    return delivery.deliver_due(app.state.engine, settings, worker_id=worker, now=now)


def deliveries(db: Session, update: Update) -> dict[tuple[DeliveryChannel, int], Delivery]:
    db.expire_all()
    return {(d.channel, d.step): d for d in db.exec(select(Delivery).where(Delivery.update_id == update.id))}


# Passkeys


def post_json(client: PageCheckingClient, path: str, body=None, **kwargs):
    token = client.csrf_token("/sign-in")
    return client.post(path, json=body if body is not None else {},
                       headers={"X-CSRF-Token": token}, **kwargs)


def register(client: PageCheckingClient, authenticator: SoftAuthenticator, **bend):
    options = post_json(client, "/webauthn/register/options").json()
    return post_json(client, "/webauthn/register/verify",
                     authenticator.create(options, **bend))


def assertion(client: PageCheckingClient, authenticator: SoftAuthenticator, **bend):
    options = post_json(client, "/webauthn/authenticate/options").json()
    return options, authenticator.get(options, **bend)


def sign_out(client: PageCheckingClient) -> None:
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account")})


# Forms and pages


def submit(client: PageCheckingClient, path: str, **fields):
    token = client.csrf_token(path.split("?")[0])
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def latest_code(db: Session, to: str) -> str:
    message = db.exec(select(OutboxMessage).where(OutboxMessage.to == to)
                      .order_by(OutboxMessage.id.desc())).first()  # type: ignore[union-attr]
    assert message is not None, f"no message to {to}"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def main_text(html: str) -> str:
    main = parse(html).find(".//main")
    assert main is not None
    return text_of(main)


def checked(html: str, name: str) -> list[str]:
    return [box.get("value") or "" for box in parse(html).iter("input")
            if box.get("name") == name and box.get("checked") is not None]


def token(client: PageCheckingClient, path: str = "/updates/settings") -> str:
    return client.csrf_token(path)


def settings_form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    """The form as the page sends it with the defaults, with some changes."""
    form: dict[str, str | list[str]] = {f"channels_{kind.value}": ["email"] for kind in UpdateKind
                                        if kind is not UpdateKind.offers}
    form.update(quiet="on", quiet_from="21:00", quiet_until="08:00", cap="on", daily_cap="3")
    form.update(changes)
    return form


# Network


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Logs


class LogRecords(logging.Handler):
    """Every record logged while it is attached, to be written out as `portal serve` would write it."""

    # The tests' own tools (the test client, the SMTP and push servers they start), not the portal.
    NOT_THE_PORTAL = ("httpx", "httpcore", "aiosmtpd", "mail.log", "tests.")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(logs.RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        """Each record as a plain-text line and as a JSON line."""
        mine = [r for r in self.records if not r.name.startswith(self.NOT_THE_PORTAL)]
        return [formatter.format(r) for formatter in (logs.formatter("text"), logs.formatter("json"))
                for r in mine]


@contextmanager
def captured_logs(level: str = "DEBUG") -> Iterator[LogRecords]:
    """The log set up as in production (at `level`), with every record kept for the test."""
    logs.setup("text", level)
    handler = LogRecords()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        logs.setup("text")

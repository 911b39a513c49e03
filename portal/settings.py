"""Typed settings, read from PORTAL_* environment variables.

Production refuses the development secret and demo mode, so neither can slip into a live service.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from email.utils import parseaddr
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import holidays
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from portal.clock import utcnow
from portal.vapid import check_pair

ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"  # noqa: S105


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


def contrast_ratio(colour: str, other: str = "#ffffff") -> float:
    """WCAG contrast ratio between two #rrggbb colours."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(colour), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@functools.lru_cache(maxsize=8)
def bank_holidays(region: str, year: int) -> frozenset[dt.date]:
    """The bank holidays of a UK region from `year - 1` to `year + 2`. Only weekdays: when Christmas
    falls at a weekend, the bank holiday is the weekday it moves to."""
    if not region:
        return frozenset()
    days = holidays.country_holidays("GB", subdiv=region, years=range(year - 1, year + 3))
    return frozenset(day for day in days if day.weekday() < 5)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", env_file=None, extra="ignore")

    env: Environment = Environment.development
    secret_key: str = DEVELOPMENT_SECRET
    demo: bool = False
    database_url: str = f"sqlite:///{ROOT / 'portal.db'}"
    # Where people reach the service; used for the Origin check and, later, WebAuthn.
    base_url: str = "http://localhost:8000"

    # The organisation running the portal, so another one can run it too.
    organisation_name: str = "Northfield Utilities"
    service_name: str = ""  # Empty: "Manage your account", in the reader's language.
    help_phone: str = "0300 123 4567"
    help_phone_international: str = "+44 300 123 4567"
    # Opening hours as "days start-end" groups; days are mon..sun, e.g. "mon-fri 08:00-20:00".
    help_hours: list[str] = Field(default=["mon-fri 08:00-20:00", "sat 09:00-13:00"])
    help_call_cost: str = ""
    # The phone lines and chat close on bank holidays: those of England and Wales ("ENG"), Scotland
    # ("SCT"), Northern Ireland ("NIR"), or none (""), from the `holidays` package so the list never runs
    # out. Any other closed days are added as ISO dates.
    help_bank_holidays: str = "ENG"
    help_closed_days: list[dt.date] = Field(default=[])
    help_relay_uk: bool = True  # Relay UK callers dial 18001 before the help phone number.
    help_bsl_url: str = "https://bsl.example.org/northfield"  # A BSL video relay service; empty if none.
    help_in_person: str = "Northfield Customer Centre, 1 Market Square, Northfield NF1 1AA"
    help_in_person_hours: list[str] = Field(default=["mon-fri 09:00-17:00"])
    help_phone_wait_minutes: int | None = None  # The current wait on the phone line, where known.
    callback_slot_minutes: int = 30
    callbacks_per_slot: int = 3
    callback_days_ahead: int = 5
    chat_minutes_per_customer: int = 6  # For the estimated wait in the chat queue.
    # Where customers send a bank transfer.
    bank_sort_code: str = "20-00-00"
    bank_account_number: str = "12345678"
    brand_colour: str = "#1d4f91"
    time_zone: str = "Europe/London"

    # Email goes over SMTP when smtp_host is set; otherwise it waits in the outbox (demo, tests).
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "no-reply@example.org"

    # Postcode districts we serve: incidents are published for some of these.
    service_areas: list[str] = Field(default=[f"NF{n}" for n in range(1, 10)])
    # Each app process runs a worker for updates, email and text unless this is off (then run
    # `portal worker` processes instead). Several workers at once are safe: each job runs once.
    run_worker: bool = True
    # Logging (portal/logs.py): plain lines, or one JSON object a line for a log collector.
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    # Take each request's id from an X-Request-ID header: only behind a proxy that always sets it.
    trust_request_id: bool = False
    worker_poll_seconds: float = 5.0
    worker_claim_seconds: int = 120  # A job a worker claimed is free again after this (if it died).
    # How often a worker looks through accounts for new things to tell people (bills due, visits
    # tomorrow...). Deliveries, incidents and the outbox are checked on every pass.
    worker_scan_seconds: float = 60.0

    session_idle_minutes: int = 30
    # How long a code for sharing a screen with an adviser works (portal/cobrowse/).
    screen_share_code_minutes: float = Field(default=20.0, gt=0, le=60)
    session_max_hours: int = 12
    max_body_bytes: int = 1_000_000
    static_max_age_seconds: int = 31_536_000
    # Live events between app processes: empty (in-process), redis://host:port/db or postgresql://...
    broker_url: str = ""

    # Web push (notifications on a phone or computer): on only when both keys are set. Make a pair
    # with `portal vapid`. The public key is the browser's applicationServerKey: base64url of the
    # uncompressed P-256 point (65 bytes). The private key is base64url of the raw 32-byte private
    # number (what `portal vapid` prints), base64url DER, or PEM. The subject tells push services
    # whom to contact: "mailto:" and an address, or an https URL; empty means "mailto:" + mail_from.
    vapid_public_key: str = ""
    vapid_private_key: str = ""
    vapid_subject: str = ""
    # In production, the push services a browser's subscription may point at (the browser makers'),
    # so nobody can make the portal send requests elsewhere. A name starting with "." allows its
    # subdomains. Outside production any https address is allowed, and plain http to this machine.
    push_service_hosts: list[str] = Field(default=[
        "fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com",
        ".push.apple.com", ".notify.windows.com"])

    @field_validator("brand_colour")
    @classmethod
    def _brand_colour_readable(cls, value: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError("brand_colour must look like #1d4f91")
        # White text sits on the brand colour, so it must pass WCAG AA for normal text.
        if contrast_ratio(value) < 4.5:
            raise ValueError("brand_colour needs a contrast ratio of at least 4.5:1 with white")
        return value.lower()

    @field_validator("help_hours", "help_in_person_hours")
    @classmethod
    def _hours_parse(cls, value: list[str]) -> list[str]:
        for group in value:
            if not re.fullmatch(r"(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))? "
                                r"\d\d:\d\d-\d\d:\d\d", group):
                raise ValueError(f"help_hours entry {group!r} should look like 'mon-fri 08:00-20:00'")
        return value

    @field_validator("help_bank_holidays")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value and value not in holidays.UK.subdivisions:
            raise ValueError(f"help_bank_holidays should be one of {', '.join(holidays.UK.subdivisions)}, "
                             "or empty for none")
        return value

    @model_validator(mode="after")
    def _vapid_keys_pair(self) -> Settings:
        if bool(self.vapid_public_key) != bool(self.vapid_private_key):
            raise ValueError("Set both PORTAL_VAPID_PUBLIC_KEY and PORTAL_VAPID_PRIVATE_KEY for web push, "
                             "or neither (make a pair with `portal vapid`).")
        if self.vapid_public_key:
            check_pair(self.vapid_public_key, self.vapid_private_key)
            subject = self.push_subject
            if not (re.fullmatch(r"mailto:[^@\s]+@[^@\s]+", subject) or subject.startswith("https://")):
                raise ValueError("PORTAL_VAPID_SUBJECT must be mailto: and an email address, or an https "
                                 "URL.")
        return self

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        if self.env is Environment.production:
            if self.demo:
                raise ValueError("Demo mode cannot be switched on in production (unset PORTAL_DEMO).")
            if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32:
                raise ValueError("Set PORTAL_SECRET_KEY to a random value of at least 32 characters.")
            if not self.base_url.startswith("https://"):
                raise ValueError("PORTAL_BASE_URL must use https in production.")
        return self

    @cached_property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @cached_property
    def allowed_origins(self) -> frozenset[str]:
        """Where forms may be sent from. Outside production, localhost and 127.0.0.1 are one."""
        origins = {self.origin}
        if self.env is not Environment.production:
            for a, b in (("//localhost", "//127.0.0.1"), ("//127.0.0.1", "//localhost")):
                if a in self.origin:
                    origins.add(self.origin.replace(a, b))
        return frozenset(origins)

    @property
    def rp_id(self) -> str:
        """The WebAuthn relying party: the host people browse to, without scheme or port."""
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def closed_days(self) -> frozenset[dt.date]:
        """Days the phone lines and chat are closed: bank holidays from last year to two years ahead,
        and any others set."""
        return bank_holidays(self.help_bank_holidays, utcnow().year) | frozenset(self.help_closed_days)

    @property
    def push_available(self) -> bool:
        """Web push is on: both VAPID keys are set."""
        return bool(self.vapid_public_key and self.vapid_private_key)

    @property
    def push_subject(self) -> str:
        """The VAPID `sub` claim: how a push service can contact us."""
        return self.vapid_subject or f"mailto:{parseaddr(self.mail_from)[1]}"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

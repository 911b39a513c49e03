"""Typed settings, read from PORTAL_* environment variables.

What the organisation shows its customers and how each outside service is reached sit in groups, one
environment variable each with two underscores between group and name: `PORTAL_HELP__PHONE` sets
`settings.help.phone`. How the portal itself runs (environment, secret, database, sessions, logs)
stays at the top: `PORTAL_DATABASE_URL`. The flat names from before the groups (`PORTAL_HELP_PHONE`)
still work; `old_names_in()` says which are in use, and the new name wins when both are set.

Production refuses the development secret and demo mode, so neither can slip into a live service.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import re
from collections.abc import Mapping
from email.utils import parseaddr
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import holidays
from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from portal.clock import utcnow
from portal.vapid import check_pair

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "PORTAL_"
GROUP_DELIMITER = "__"
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


logger = logging.getLogger(__name__)


def variable_name(*path: str) -> str:
    """The environment variable that sets a setting: ("help", "phone") is PORTAL_HELP__PHONE."""
    return PREFIX + GROUP_DELIMITER.join(path).upper()


class OrganisationSettings(BaseModel):
    """Who runs the portal and how it looks, so another organisation can run it too."""

    name: str = "Northfield Utilities"
    service_name: str = ""  # Empty: "Manage your account", in the reader's language.
    brand_colour: str = "#1d4f91"
    # Where customers send a bank transfer.
    bank_sort_code: str = "20-00-00"
    bank_account_number: str = "12345678"
    # Postcode districts we serve: incidents are published for some of these.
    service_areas: list[str] = Field(default=[f"NF{n}" for n in range(1, 10)])

    @field_validator("brand_colour")
    @classmethod
    def _brand_colour_readable(cls, value: str) -> str:
        name = variable_name("organisation", "brand_colour")
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"{name} must look like #1d4f91")
        # White text sits on the brand colour, so it must pass WCAG AA for normal text.
        if contrast_ratio(value) < 4.5:
            raise ValueError(f"{name} needs a contrast ratio of at least 4.5:1 with white")
        return value.lower()


class HelpSettings(BaseModel):
    """Every way to reach a person: the phone line and when it is open, the other ways, callbacks
    and chat."""

    phone: str = "0300 123 4567"
    phone_international: str = "+44 300 123 4567"
    # Opening hours as "days start-end" groups; days are mon..sun, e.g. "mon-fri 08:00-20:00".
    hours: list[str] = Field(default=["mon-fri 08:00-20:00", "sat 09:00-13:00"])
    call_cost: str = ""
    # The phone lines and chat close on bank holidays: those of England and Wales ("ENG"), Scotland
    # ("SCT"), Northern Ireland ("NIR"), or none (""), from the `holidays` package so the list never runs
    # out. Any other closed days are added as ISO dates.
    bank_holidays: str = "ENG"
    extra_closed_days: list[dt.date] = Field(default=[])
    relay_uk: bool = True  # Relay UK callers dial 18001 before the help phone number.
    bsl_url: str = "https://bsl.example.org/northfield"  # A BSL video relay service; empty if none.
    in_person: str = "Northfield Customer Centre, 1 Market Square, Northfield NF1 1AA"
    in_person_hours: list[str] = Field(default=["mon-fri 09:00-17:00"])
    phone_wait_minutes: int | None = None  # The current wait on the phone line, where known.
    callback_slot_minutes: int = 30
    callbacks_per_slot: int = 3
    callback_days_ahead: int = 5
    chat_minutes_per_customer: int = 6  # For the estimated wait in the chat queue.

    @field_validator("hours", "in_person_hours")
    @classmethod
    def _hours_parse(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for group in value:
            if not re.fullmatch(r"(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))? "
                                r"\d\d:\d\d-\d\d:\d\d", group):
                raise ValueError(f"{variable_name('help', str(info.field_name))} entry {group!r} should "
                                 "look like 'mon-fri 08:00-20:00'")
        return value

    @field_validator("bank_holidays")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value and value not in holidays.UK.subdivisions:
            raise ValueError(f"{variable_name('help', 'bank_holidays')} should be one of "
                             f"{', '.join(holidays.UK.subdivisions)}, or empty for none")
        return value

    @property
    def closed_days(self) -> frozenset[dt.date]:
        """Days the phone lines and chat are closed: bank holidays from last year to two years ahead,
        and any others set."""
        return bank_holidays(self.bank_holidays, utcnow().year) | frozenset(self.extra_closed_days)


class MailSettings(BaseModel):
    """Email goes over SMTP when smtp_host is set; otherwise it waits in the outbox (demo, tests)."""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    from_address: str = "no-reply@example.org"


class PushSettings(BaseModel):
    """Web push (notifications on a phone or computer): on only when both keys are set.

    Make a pair with `portal vapid`. The public key is the browser's applicationServerKey: base64url
    of the uncompressed P-256 point (65 bytes). The private key is base64url of the raw 32-byte
    private number (what `portal vapid` prints), base64url DER, or PEM. The subject tells push
    services whom to contact: "mailto:" and an address, or an https URL; empty means "mailto:" and
    the mail from_address (see Settings.push_subject)."""

    vapid_public_key: str = ""
    vapid_private_key: str = ""
    vapid_subject: str = ""
    # In production, the push services a browser's subscription may point at (the browser makers'),
    # so nobody can make the portal send requests elsewhere. A name starting with "." allows its
    # subdomains. Outside production any https address is allowed, and plain http to this machine.
    service_hosts: list[str] = Field(default=[
        "fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com",
        ".push.apple.com", ".notify.windows.com"])

    @model_validator(mode="after")
    def _vapid_keys_pair(self) -> PushSettings:
        if bool(self.vapid_public_key) != bool(self.vapid_private_key):
            raise ValueError(f"Set both {variable_name('push', 'vapid_public_key')} and "
                             f"{variable_name('push', 'vapid_private_key')} for web push, or neither (make "
                             "a pair with `portal vapid`).")
        if self.vapid_public_key:
            check_pair(self.vapid_public_key, self.vapid_private_key)
        return self

    @property
    def available(self) -> bool:
        """Web push is on: both VAPID keys are set."""
        return bool(self.vapid_public_key and self.vapid_private_key)


class WorkerSettings(BaseModel):
    """The worker that delivers updates, email and text messages (portal/updates/worker.py)."""

    # Each app process runs a worker unless this is off (then run `portal worker` processes instead).
    # Several workers at once are safe: each job runs once.
    run: bool = True
    poll_seconds: float = 5.0
    claim_seconds: int = 120  # A job a worker claimed is free again after this (if it died).
    # How often a worker looks through accounts for new things to tell people (bills due, visits
    # tomorrow...). Deliveries, incidents and the outbox are checked on every pass.
    scan_seconds: float = 60.0


GROUPS: dict[str, type[BaseModel]] = {"organisation": OrganisationSettings, "help": HelpSettings,
                                      "mail": MailSettings, "push": PushSettings, "worker": WorkerSettings}

# The flat names from before the groups (PORTAL_HELP_PHONE...), and the group and name each is now.
OLD_NAMES: dict[str, tuple[str, str]] = {
    "organisation_name": ("organisation", "name"),
    "service_name": ("organisation", "service_name"),
    "brand_colour": ("organisation", "brand_colour"),
    "bank_sort_code": ("organisation", "bank_sort_code"),
    "bank_account_number": ("organisation", "bank_account_number"),
    "service_areas": ("organisation", "service_areas"),
    "help_phone": ("help", "phone"),
    "help_phone_international": ("help", "phone_international"),
    "help_hours": ("help", "hours"),
    "help_call_cost": ("help", "call_cost"),
    "help_bank_holidays": ("help", "bank_holidays"),
    "help_closed_days": ("help", "extra_closed_days"),
    "help_relay_uk": ("help", "relay_uk"),
    "help_bsl_url": ("help", "bsl_url"),
    "help_in_person": ("help", "in_person"),
    "help_in_person_hours": ("help", "in_person_hours"),
    "help_phone_wait_minutes": ("help", "phone_wait_minutes"),
    "callback_slot_minutes": ("help", "callback_slot_minutes"),
    "callbacks_per_slot": ("help", "callbacks_per_slot"),
    "callback_days_ahead": ("help", "callback_days_ahead"),
    "chat_minutes_per_customer": ("help", "chat_minutes_per_customer"),
    "smtp_host": ("mail", "smtp_host"),
    "smtp_port": ("mail", "smtp_port"),
    "smtp_username": ("mail", "smtp_username"),
    "smtp_password": ("mail", "smtp_password"),
    "smtp_starttls": ("mail", "smtp_starttls"),
    "mail_from": ("mail", "from_address"),
    "vapid_public_key": ("push", "vapid_public_key"),
    "vapid_private_key": ("push", "vapid_private_key"),
    "vapid_subject": ("push", "vapid_subject"),
    "push_service_hosts": ("push", "service_hosts"),
    "run_worker": ("worker", "run"),
    "worker_poll_seconds": ("worker", "poll_seconds"),
    "worker_claim_seconds": ("worker", "claim_seconds"),
    "worker_scan_seconds": ("worker", "scan_seconds"),
}


def old_names_in(environ: Mapping[str, str]) -> list[str]:
    """A warning for each old name set in `environ`, naming the new one (and saying which won)."""
    names = {name.upper() for name in environ}
    warnings = []
    for old, path in OLD_NAMES.items():
        old_name, new_name = variable_name(old), variable_name(*path)
        if old_name not in names:
            continue
        if new_name in names:
            warnings.append(f"{old_name} and {new_name} are both set: {new_name} is used. {old_name} is "
                            "an old name; remove it.")
        else:
            warnings.append(f"{old_name} is an old name: it still works for now, but rename it "
                            f"{new_name}.")
    return warnings


def warn_about_old_names(environ: Mapping[str, str] = os.environ) -> None:
    """Log one warning for each old name in use; commands call it once, after setting up logs."""
    for warning in old_names_in(environ):
        logger.warning(warning)


class OldNamesSource(PydanticBaseSettingsSource):
    """Reads the old flat names into their groups. It comes after the new names, so a new name wins."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # Unused: __call__ reads every old name at once.

    def __call__(self) -> dict[str, Any]:
        environ = {name.upper(): value for name, value in os.environ.items()}
        found: dict[str, dict[str, Any]] = {}
        for old, (group, name) in OLD_NAMES.items():
            text = environ.get(variable_name(old))
            if text is None:
                continue
            try:  # Lists are JSON, as with the new names.
                value = self.prepare_field_value(name, GROUPS[group].model_fields[name], text, False)
            except json.JSONDecodeError as error:
                raise SettingsError(f"{variable_name(old)} (an old name for {variable_name(group, name)}) "
                                    f"is not valid JSON: {error}") from error
            found.setdefault(group, {})[name] = value
        return found


class Settings(BaseSettings):
    """How the portal runs sits at the top; what the organisation shows and the outside services it
    uses sit in groups (see the module's docstring)."""

    # Unknown PORTAL_* variables are ignored as before; an unknown keyword (an old name in code) is refused,
    # so it cannot be dropped without a word.
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_nested_delimiter=GROUP_DELIMITER, env_file=None,
                                      extra="forbid")

    env: Environment = Environment.development
    secret_key: str = DEVELOPMENT_SECRET
    demo: bool = False
    database_url: str = f"sqlite:///{ROOT / 'portal.db'}"
    # Where people reach the service; used for the Origin check and WebAuthn.
    base_url: str = "http://localhost:8000"
    # Live events between app processes: empty (in-process), redis://host:port/db or postgresql://...
    broker_url: str = ""
    # The clock the service keeps: what "today" is, and how every date and time is shown.
    time_zone: str = "Europe/London"

    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # How long a code for sharing a screen with an adviser works (portal/cobrowse/).
    screen_share_code_minutes: float = Field(default=20.0, gt=0, le=60)
    max_body_bytes: int = 1_000_000
    static_max_age_seconds: int = 31_536_000
    # Logging (portal/logs.py): plain lines, or one JSON object a line for a log collector.
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    # Take each request's id from an X-Request-ID header: only behind a proxy that always sets it.
    trust_request_id: bool = False

    organisation: OrganisationSettings = Field(default_factory=OrganisationSettings)
    help: HelpSettings = Field(default_factory=HelpSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    push: PushSettings = Field(default_factory=PushSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: arguments, the new names, then the old names.
        return (init_settings, env_settings, OldNamesSource(settings_cls), dotenv_settings,
                file_secret_settings)

    @model_validator(mode="after")
    def _vapid_subject_says_how_to_reach_us(self) -> Settings:
        if self.push.available:
            subject = self.push_subject
            if not (re.fullmatch(r"mailto:[^@\s]+@[^@\s]+", subject) or subject.startswith("https://")):
                raise ValueError(f"{variable_name('push', 'vapid_subject')} must be mailto: and an email "
                                 "address, or an https URL.")
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
    def push_subject(self) -> str:
        """The VAPID `sub` claim: how a push service can contact us. Here, not in PushSettings, because
        it falls back on the mail group's from_address."""
        return self.push.vapid_subject or f"mailto:{parseaddr(self.mail.from_address)[1]}"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

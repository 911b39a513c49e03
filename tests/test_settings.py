"""Settings refuse what would be unsafe or unreadable; groups have nested names, and the old flat
names still work, with a warning."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError
from typer.testing import CliRunner

import portal.cli
from portal import vapid
from portal.settings import OLD_NAMES, Settings, contrast_ratio, old_names_in

STRONG_SECRET = "s" * 40
KEYS = vapid.generate()


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="PORTAL_SECRET_KEY"):
        Settings(env="production", base_url="https://portal.example")


def test_production_refuses_demo_mode() -> None:
    with pytest.raises(ValidationError, match="Demo mode cannot be switched on in production"):
        Settings(env="production", demo=True, secret_key=STRONG_SECRET,
                 base_url="https://portal.example")


def test_production_refuses_demo_mode_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example")
    with pytest.raises(ValidationError, match="unset PORTAL_DEMO"):
        Settings()


def test_production_needs_https() -> None:
    with pytest.raises(ValidationError, match="https"):
        Settings(env="production", secret_key=STRONG_SECRET, base_url="http://portal.example")


def test_production_accepts_safe_settings() -> None:
    settings = Settings(env="production", secret_key=STRONG_SECRET,
                        base_url="https://portal.example")
    assert settings.secure_cookies and settings.origin == "https://portal.example"


def test_brand_colour_must_be_readable_under_white_text() -> None:
    with pytest.raises(ValidationError, match="PORTAL_ORGANISATION__BRAND_COLOUR needs a contrast ratio"):
        Settings(organisation={"brand_colour": "#ffcc00"})
    assert Settings(organisation={"brand_colour": "#1D4F91"}).organisation.brand_colour == "#1d4f91"


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert round(contrast_ratio("#000000"), 1) == 21.0
    assert round(contrast_ratio("#767676"), 2) == 4.54


def test_opening_hours_must_be_readable() -> None:
    with pytest.raises(ValidationError, match=r"PORTAL_HELP__HOURS entry .* 'mon-fri 08:00-20:00'"):
        Settings(help={"hours": ["weekdays 8 till 8"]})
    with pytest.raises(ValidationError, match="PORTAL_HELP__IN_PERSON_HOURS entry 'mornings'"):
        Settings(help={"in_person_hours": ["mornings"]})


def test_loopback_aliases_are_one_origin_only_outside_production() -> None:
    development = Settings(base_url="http://localhost:8000")
    assert development.allowed_origins == {"http://localhost:8000", "http://127.0.0.1:8000"}
    production = Settings(env="production", secret_key=STRONG_SECRET,
                          base_url="https://localhost:8443")
    assert production.allowed_origins == {"https://localhost:8443"}


def test_a_name_from_before_the_groups_is_refused_in_code() -> None:
    """Only environment variables keep their old names: an old keyword would otherwise be ignored."""
    with pytest.raises(ValidationError, match="help_phone"):
        Settings(help_phone="0300 999 0000")


# Groups and their nested names

def test_nested_names_set_each_group(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_HELP__PHONE", "0300 999 0000")
    monkeypatch.setenv("PORTAL_HELP__EXTRA_CLOSED_DAYS", '["2026-12-24"]')
    monkeypatch.setenv("PORTAL_HELP__BANK_HOLIDAYS", "")
    monkeypatch.setenv("PORTAL_ORGANISATION__NAME", "Glan Water")
    monkeypatch.setenv("PORTAL_ORGANISATION__SERVICE_AREAS", '["GW1", "GW2"]')
    monkeypatch.setenv("PORTAL_MAIL__SMTP_PORT", "587")
    monkeypatch.setenv("PORTAL_MAIL__FROM_ADDRESS", "Glan Water <hello@glan.example>")
    monkeypatch.setenv("PORTAL_PUSH__VAPID_PUBLIC_KEY", KEYS.public)
    monkeypatch.setenv("PORTAL_PUSH__VAPID_PRIVATE_KEY", KEYS.private)
    monkeypatch.setenv("PORTAL_WORKER__RUN", "0")
    settings = Settings()
    assert settings.help.phone == "0300 999 0000"
    assert settings.help.closed_days == {dt.date(2026, 12, 24)}  # No bank holidays, one day of our own.
    assert settings.organisation.name == "Glan Water"
    assert settings.organisation.service_areas == ["GW1", "GW2"]
    assert settings.mail.smtp_port == 587 and settings.push_subject == "mailto:hello@glan.example"
    assert settings.push.available and not settings.worker.run
    assert old_names_in({"PORTAL_HELP__PHONE": "0300 999 0000"}) == []


# Every old name, a value for it, and any other variables it needs (the VAPID keys come in pairs).
OLD_VALUES: dict[str, tuple[str, dict[str, str]]] = {
    "organisation_name": ("Glan Water", {}),
    "service_name": ("Your water account", {}),
    "brand_colour": ("#00573f", {}),
    "bank_sort_code": ("40-11-22", {}),
    "bank_account_number": ("87654321", {}),
    "service_areas": ('["GW1", "GW2"]', {}),
    "help_phone": ("0300 999 0000", {}),
    "help_phone_international": ("+44 300 999 0000", {}),
    "help_hours": ('["mon-fri 09:00-17:00"]', {}),
    "help_call_cost": ("Calls cost up to 9p a minute.", {}),
    "help_bank_holidays": ("SCT", {}),
    "help_closed_days": ('["2026-12-24"]', {}),
    "help_relay_uk": ("0", {}),
    "help_bsl_url": ("", {}),
    "help_in_person": ("", {}),
    "help_in_person_hours": ('["sat 10:00-12:00"]', {}),
    "help_phone_wait_minutes": ("12", {}),
    "callback_slot_minutes": ("15", {}),
    "callbacks_per_slot": ("1", {}),
    "callback_days_ahead": ("10", {}),
    "chat_minutes_per_customer": ("4", {}),
    "smtp_host": ("mail.glan.example", {}),
    "smtp_port": ("587", {}),
    "smtp_username": ("portal", {}),
    "smtp_password": ("not-a-real-password", {}),
    "smtp_starttls": ("1", {}),
    "mail_from": ("Glan Water <hello@glan.example>", {}),
    "vapid_public_key": (KEYS.public, {"PORTAL_PUSH__VAPID_PRIVATE_KEY": KEYS.private}),
    "vapid_private_key": (KEYS.private, {"PORTAL_PUSH__VAPID_PUBLIC_KEY": KEYS.public}),
    "vapid_subject": ("https://glan.example/contact", {"PORTAL_PUSH__VAPID_PUBLIC_KEY": KEYS.public,
                                                       "PORTAL_PUSH__VAPID_PRIVATE_KEY": KEYS.private}),
    "push_service_hosts": ('["push.glan.example"]', {}),
    "run_worker": ("0", {}),
    "worker_poll_seconds": ("0.5", {}),
    "worker_claim_seconds": ("30", {}),
    "worker_scan_seconds": ("600", {}),
}


def test_every_setting_that_was_renamed_has_its_old_name() -> None:
    assert set(OLD_NAMES) == set(OLD_VALUES)


@pytest.mark.parametrize("old", sorted(OLD_VALUES))
def test_an_old_name_sets_what_its_new_name_sets(monkeypatch, old: str) -> None:
    text, others = OLD_VALUES[old]
    group, name = OLD_NAMES[old]
    default = getattr(getattr(Settings(), group), name)
    for variable, value in others.items():
        monkeypatch.setenv(variable, value)

    def read(variable: str) -> object:
        with monkeypatch.context() as environment:
            environment.setenv(variable, text)
            return getattr(getattr(Settings(), group), name)

    old_variable, new_variable = f"PORTAL_{old.upper()}", f"PORTAL_{group.upper()}__{name.upper()}"
    assert read(old_variable) == read(new_variable) != default


def test_the_new_name_wins_over_the_old_and_the_warning_says_so(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_HELP_PHONE", "0300 111 1111")
    monkeypatch.setenv("PORTAL_HELP__PHONE", "0300 222 2222")
    monkeypatch.setenv("PORTAL_RUN_WORKER", "0")
    monkeypatch.setenv("PORTAL_WORKER__RUN", "1")
    settings = Settings()
    assert settings.help.phone == "0300 222 2222" and settings.worker.run
    [phone, worker] = old_names_in(os.environ)
    assert phone == ("PORTAL_HELP_PHONE and PORTAL_HELP__PHONE are both set: PORTAL_HELP__PHONE is used. "
                     "PORTAL_HELP_PHONE is an old name; remove it.")
    assert "PORTAL_WORKER__RUN is used" in worker


def test_an_old_name_warns_once_at_start_up(tmp_path: Path, monkeypatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'portal.db'}")
    monkeypatch.setenv("PORTAL_HELP_PHONE", "0300 999 0000")
    monkeypatch.setenv("PORTAL_ORGANISATION__NAME", "Glan Water")  # A new name: no warning.
    monkeypatch.setattr(portal.cli.logs, "setup", lambda *_: None)  # Keep pytest's log capture.
    served = []
    monkeypatch.setattr(portal.cli.uvicorn, "run", lambda app, **_: served.append(app))
    with caplog.at_level(logging.WARNING, logger="portal.settings"):
        result = CliRunner().invoke(portal.cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    [app] = served
    assert app.state.settings.help.phone == "0300 999 0000"
    assert app.state.settings.organisation.name == "Glan Water"
    assert [record.getMessage() for record in caplog.records if record.name == "portal.settings"] == [
        "PORTAL_HELP_PHONE is an old name: it still works for now, but rename it PORTAL_HELP__PHONE."]
    app.state.engine.dispose()


@pytest.mark.parametrize("variable, value, says", [
    ("PORTAL_BRAND_COLOUR", "#ffcc00", "PORTAL_ORGANISATION__BRAND_COLOUR needs a contrast ratio"),
    ("PORTAL_ORGANISATION__BRAND_COLOUR", "blue", "PORTAL_ORGANISATION__BRAND_COLOUR must look like #1d4f91"),
    ("PORTAL_HELP_HOURS", '["weekdays 8 till 8"]', "PORTAL_HELP__HOURS entry 'weekdays 8 till 8'"),
    ("PORTAL_HELP__BANK_HOLIDAYS", "Wales", "PORTAL_HELP__BANK_HOLIDAYS should be one of ENG"),
    ("PORTAL_VAPID_PUBLIC_KEY", KEYS.public, "Set both PORTAL_PUSH__VAPID_PUBLIC_KEY and "
                                             "PORTAL_PUSH__VAPID_PRIVATE_KEY"),
    ("PORTAL_PUSH__VAPID_PRIVATE_KEY", KEYS.private, "Set both PORTAL_PUSH__VAPID_PUBLIC_KEY"),
], ids=["brand colour (old name)", "brand colour", "hours (old name)", "bank holidays", "one VAPID key (old)",
        "one VAPID key"])
def test_a_wrong_value_names_the_variable_to_set(monkeypatch, variable: str, value: str, says: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=says):
        Settings()


def test_a_vapid_subject_that_says_nothing_names_its_variable(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_PUSH__VAPID_PUBLIC_KEY", KEYS.public)
    monkeypatch.setenv("PORTAL_PUSH__VAPID_PRIVATE_KEY", KEYS.private)
    monkeypatch.setenv("PORTAL_VAPID_SUBJECT", "call us")
    with pytest.raises(ValidationError, match="PORTAL_PUSH__VAPID_SUBJECT must be mailto:"):
        Settings()


def test_an_old_list_that_is_not_json_names_both_variables(monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_SERVICE_AREAS", "NF1, NF2")
    with pytest.raises(SettingsError, match=r"PORTAL_SERVICE_AREAS \(an old name for "
                                            r"PORTAL_ORGANISATION__SERVICE_AREAS\) is not valid JSON"):
        Settings()

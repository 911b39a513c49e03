"""Settings refuse what would be unsafe or unreadable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portal.settings import Settings, contrast_ratio

STRONG_SECRET = "s" * 40


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
    with pytest.raises(ValidationError):
        Settings()


def test_production_needs_https() -> None:
    with pytest.raises(ValidationError, match="https"):
        Settings(env="production", secret_key=STRONG_SECRET, base_url="http://portal.example")


def test_production_accepts_safe_settings() -> None:
    settings = Settings(env="production", secret_key=STRONG_SECRET,
                        base_url="https://portal.example")
    assert settings.secure_cookies and settings.origin == "https://portal.example"


def test_brand_colour_must_be_readable_under_white_text() -> None:
    with pytest.raises(ValidationError, match="contrast"):
        Settings(brand_colour="#ffcc00")
    assert Settings(brand_colour="#1D4F91").brand_colour == "#1d4f91"


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert round(contrast_ratio("#000000"), 1) == 21.0
    assert round(contrast_ratio("#767676"), 2) == 4.54


def test_opening_hours_must_be_readable() -> None:
    with pytest.raises(ValidationError, match="mon-fri 08:00-20:00"):
        Settings(help_hours=["weekdays 8 till 8"])


def test_loopback_aliases_are_one_origin_only_outside_production() -> None:
    development = Settings(base_url="http://localhost:8000")
    assert development.allowed_origins == {"http://localhost:8000", "http://127.0.0.1:8000"}
    production = Settings(env="production", secret_key=STRONG_SECRET,
                          base_url="https://localhost:8443")
    assert production.allowed_origins == {"https://localhost:8443"}

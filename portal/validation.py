"""What counts as an email address or a UK phone number: one set of rules for every form that asks
(contact details, carers' invitations, callbacks). Pure functions; no web, no database."""

from __future__ import annotations

EMAIL_MAX = 254
PHONE_MAX = 20
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s.]+"


def tidy_phone(value: str) -> str:
    return " ".join(value.split())

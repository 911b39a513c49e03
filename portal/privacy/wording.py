"""Plain words for what the activity log and consent records store as short keys."""

from __future__ import annotations

from portal.i18n import lazy_gettext as _l

ACTIONS: dict[str, object] = {
    "set_up_online_access": _l("Set up online access"),
    "recovered_access": _l("Got back into the account"),
    "signed_in": _l("Signed in"),
    "sign_in_refused": _l("A sign-in was stopped"),
    "signed_out": _l("Signed out"),
    "signed_out_other_sessions": _l("Signed out everywhere else"),
    "passkey_added": _l("Added a passkey"),
    "passkey_renamed": _l("Renamed a passkey"),
    "passkey_removed": _l("Removed a passkey"),
    "reading_given": _l("Gave a meter reading"),
    "email_changed": _l("Changed the email address"),
    "phone_changed": _l("Changed the phone number"),
    "needs_updated": _l("Changed how we contact and help you"),
    "needs_removed": _l("Removed how we contact and help you"),
    "data_downloaded": _l("Got a copy of the data"),
}

TOPICS: dict[str, object] = {
    "access_needs": _l("Keeping what helps you"),
}


def action_text(action: str) -> object:
    return ACTIONS.get(action, action.replace("_", " "))


def topic_text(topic: str) -> object:
    return TOPICS.get(topic, topic.replace("_", " "))

STATUSES: dict[str, object] = {
    # Payment plans.
    "active": _l("Active"),
    "completed": _l("Paid off"),
    "cancelled": _l("Cancelled"),
    # Visits.
    "booked": _l("Booked"),
    "done": _l("Done"),
}


def status_text(status: str) -> object:
    return STATUSES.get(status, status.replace("_", " "))

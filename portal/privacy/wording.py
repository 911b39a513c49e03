"""Plain words for what the activity log and consent records store as short keys."""

from __future__ import annotations

from portal.i18n import lazy_gettext as _l

ACTIONS: dict[str, object] = {
    "set_up_online_access": _l("Set up online access"),
    "recovered_access": _l("Got back into the account"),
    "signed_in": _l("Signed in"),
    "sign_in_refused": _l("A sign-in was stopped"),
    "sign_in_locked": _l("We locked sign-in, to keep the account safe"),
    "sign_in_unlocked": _l("We unlocked sign-in"),
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
    "help_callback_opened": _l("Asked for a callback"),
    "help_callback_moved": _l("Changed the time of a call"),
    "help_callback_cancelled": _l("Called off a callback"),
    "help_message_opened": _l("Sent us a message"),
    "help_chat_opened": _l("Started a chat"),
    "help_message_sent": _l("Wrote in a message"),
    "help_chat_cancelled": _l("Left a chat"),
    "help_message_cancelled": _l("Called off a message"),
    "help_reply_sent": _l("An adviser replied"),
    "help_claimed": _l("An adviser took a request"),
    "help_closed": _l("An adviser closed a request"),
    "adviser_viewed": _l("An adviser looked at the record"),
    "update_preferences_changed": _l("Changed how we tell you about things"),
    "push_turned_on": _l("Turned on notifications on a device"),
    "push_turned_off": _l("Turned off notifications on a device"),
    "push_removed": _l("A device stopped getting notifications"),
    "update_reminders_stopped": _l("Asked us to stop reminders"),
    "update_reminder_sent": _l("We sent a reminder"),
    "update_reminder_stopped": _l("We did not need to send a reminder"),
    "update_callback_offered": _l("We offered to call"),
    "update_callback_offer_stopped": _l("We did not need to offer a call"),
    "incident_published": _l("Told people about a problem"),
    "incident_update": _l("Gave news about a problem"),
    "incident_correct": _l("Put right what we said about a problem"),
    "incident_resolve": _l("Said a problem is fixed"),
    "carer_invited": _l("Invited someone to help"),
    "help_hidden_from_carers": _l("Hid a message from people who help"),
    "help_shown_to_carers": _l("Let people who help see a message"),
    "carer_accepted": _l("Said yes to helping"),
    "carer_declined": _l("Said no to helping"),
    "carer_changed": _l("Changed what a helper can do"),
    "carer_stopped": _l("Stopped a helper's access"),
    "carer_started_acting": _l("Started to act for you"),
    "carer_stopped_acting": _l("Stopped acting for you"),
    "carer_viewed": _l("Looked at a page"),
    "carer_refused": _l("Tried to open a page they may not use"),
    "carer_authority_recorded": _l("We recorded a legal power to act for you"),
    "carer_suspended": _l("We paused a helper's access"),
    "carer_suspension_lifted": _l("We ended the pause on a helper's access"),
    "carer_ended_by_adviser": _l("We stopped a helper's access"),
    "screen_share_code_given": _l("Got a code to share the screen"),
    "screen_share_joined": _l("An adviser entered the code to see the screen"),
    "screen_share_started": _l("Let an adviser see the screen"),
    "screen_share_ended": _l("Screen sharing stopped"),
    "screen_share_declined": _l("Said no to an adviser seeing the screen"),
    "screen_share_cancelled": _l("Cancelled a code to share the screen"),
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

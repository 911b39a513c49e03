"""The adviser console's forms: reply, record a call, close with a note, available for chat, lock or
unlock someone's sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.advisers.service import OUTCOMES
from portal.i18n import lazy_gettext as _l
from portal.web.forms import FORM_KEY, Field, Form, yes

REPLY_MAX = 5000
NOTE_MAX = 1000


@dataclass(frozen=True)
class ReplyData:
    body: str
    form_key: str


@dataclass
class ReplyForm(Form[ReplyData]):
    fields: ClassVar = (
        Field("body", multiline=True, required=_l("Write your reply"), max_length=REPLY_MAX,
              too_long=_l("Your reply must be 5000 characters or fewer")),
        FORM_KEY,
    )


@dataclass(frozen=True)
class CallOutcomeData:
    outcome: str
    note: str


@dataclass
class CallOutcomeForm(Form[CallOutcomeData]):
    """For a callback: what happened on the call, and a note."""

    fields: ClassVar = (
        Field("outcome", required=_l("Choose what happened on the call"), choices=lambda: OUTCOMES,
              invalid=_l("Choose what happened on the call")),
        Field("note", multiline=True, required=_l("Write a note about the call"), max_length=NOTE_MAX,
              too_long=_l("The note must be 1000 characters or fewer")),
    )


@dataclass(frozen=True)
class CloseData:
    note: str


@dataclass
class CloseForm(Form[CloseData]):
    """For a message or a chat: close it with a note."""

    fields: ClassVar = (
        Field("note", multiline=True, required=_l("Write a note to say how you helped"), max_length=NOTE_MAX,
              too_long=_l("The note must be 1000 characters or fewer")),
    )


@dataclass(frozen=True)
class AvailabilityData:
    available: bool


@dataclass
class AvailabilityForm(Form[AvailabilityData]):
    fields: ClassVar = (
        Field("available", required=_l("Choose if you can take chats"), choices=lambda: ("yes", "no"),
              invalid=_l("Choose if you can take chats"), parse=yes),
    )


LOCK_REASON_MAX = 500


@dataclass(frozen=True)
class LockReasonData:
    reason: str


@dataclass
class LockForm(Form[LockReasonData]):
    """Why an adviser locks someone's sign-in."""

    fields: ClassVar = (
        Field("reason", multiline=True, required=_l("Say why you are locking their sign-in"),
              max_length=LOCK_REASON_MAX, too_long=_l("Write 500 characters or fewer")),
    )


@dataclass
class UnlockForm(Form[LockReasonData]):
    """Why it is safe for them to sign in again."""

    fields: ClassVar = (
        Field("reason", multiline=True, required=_l("Say why it is safe to unlock their sign-in"),
              max_length=LOCK_REASON_MAX, too_long=_l("Write 500 characters or fewer")),
    )

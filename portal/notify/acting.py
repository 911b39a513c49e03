"""Telling a customer when someone they let help them does something in a sensitive area (looks at
payments, changes contact details or needs), in the same transaction as the change itself."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from portal.access import Actor
from portal.i18n import gettext as _
from portal.notify.service import tell_person

SENSITIVE_ACTS: dict[str, Callable[[str], str]] = {
    "payments": lambda carer: _("%(carer)s looked at your payments for you.", carer=carer),
    "email": lambda carer: _("%(carer)s changed your email address for you.", carer=carer),
    "phone": lambda carer: _("%(carer)s changed your phone number for you.", carer=carer),
    "needs": lambda carer: _("%(carer)s changed how we contact and help you.", carer=carer),
}


def note_carer_acted(db: Session, actor: Actor, kind: str) -> None:
    """For a carer acting for someone: a note to that person (and an email) in the caller's
    transaction, so the change and the word about it are saved together. Nothing for anyone else."""
    if actor.acting_for is None:
        return
    tell_person(db, actor.acting_for.customer_person_id,
                lambda: _("%(carer)s acted for you", carer=actor.name),
                lambda: SENSITIVE_ACTS[kind](actor.name) + " " + _(
                    "If this is not right, stop their access on the page People who help you, or "
                    "call us."))

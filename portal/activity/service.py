from __future__ import annotations

from contextvars import ContextVar

from sqlmodel import Session

from portal.activity.models import ActivityEntry

# Set for a request in which a carer acts for someone (portal/carers/guard.py), so every entry written
# during it says on whose behalf, without each feature having to pass it along.
acting_for_person: ContextVar[int | None] = ContextVar("acting_for_person", default=None)


def record(db: Session, *, actor_person_id: int | None, action: str,
           subject_account_id: int | None = None, detail: str = "",
           on_behalf_of_person_id: int | None = None) -> ActivityEntry:
    """Add an entry in the caller's transaction, so it is saved with the change it describes."""
    entry = ActivityEntry(actor_person_id=actor_person_id, subject_account_id=subject_account_id,
                          action=action, detail=detail,
                          on_behalf_of_person_id=on_behalf_of_person_id or acting_for_person.get())
    db.add(entry)
    return entry

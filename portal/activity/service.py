from __future__ import annotations

from sqlmodel import Session

from portal.activity.models import ActivityEntry


def record(db: Session, *, actor_person_id: int | None, action: str,
           subject_account_id: int | None = None, detail: str = "") -> ActivityEntry:
    """Add an entry in the caller's transaction, so it is saved with the change it describes."""
    entry = ActivityEntry(actor_person_id=actor_person_id, subject_account_id=subject_account_id,
                          action=action, detail=detail)
    db.add(entry)
    return entry

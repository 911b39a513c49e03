"""One-time codes: 6 digits, sent to the email or phone on record, bound to the session that asked,
single use, 10 minutes at most, and 5 tries."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlmodel import Session, col, select, update

from portal.clock import utcnow
from portal.identity.models import OneTimeCode
from portal.settings import Settings
from portal.web.sessions import hash_id

LIFETIME = dt.timedelta(minutes=10)
MAX_TRIES = 5


def digest(settings: Settings, purpose: str, session_hash: str, code: str) -> str:
    """What is stored for `code`: keyed, and bound to the purpose and the session that asked."""
    message = f"{purpose}:{session_hash}:{code}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _digest(settings: Settings, purpose: str, session_id: str, code: str) -> str:
    return digest(settings, purpose, hash_id(session_id), code)


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def issue(db: Session, settings: Settings, *, purpose: str, session_id: str,
          account_id: int | None = None, person_id: int | None = None) -> tuple[OneTimeCode, str]:
    code = new_code()
    row = OneTimeCode(purpose=purpose, code_hash=_digest(settings, purpose, session_id, code),
                      session_hash=hash_id(session_id), account_id=account_id, person_id=person_id)
    db.add(row)
    db.flush()
    return row, code


def recent(db: Session, *, purpose: str, session_id: str, account_id: int | None,
           person_id: int | None, within: dt.timedelta) -> OneTimeCode | None:
    """An unused code this session asked for, for the same person, a moment ago."""
    return db.exec(select(OneTimeCode).where(
        OneTimeCode.purpose == purpose, OneTimeCode.session_hash == hash_id(session_id),
        OneTimeCode.account_id == account_id, OneTimeCode.person_id == person_id,
        col(OneTimeCode.used_at).is_(None),
        OneTimeCode.created_at > utcnow() - within)).first()


def redeem(db: Session, settings: Settings, *, code_id: int | None, purpose: str, session_id: str,
           typed: str) -> OneTimeCode | None:
    """The code's record if `typed` is right, still fresh, and not used before; otherwise None.

    The try is counted and saved at once, whatever happens next, so guesses stay limited. The code is
    marked used in the caller's transaction: the caller's commit saves that with the change the code
    was for, so a change that fails leaves the code to be used again."""
    row = db.get(OneTimeCode, code_id) if code_id else None
    if (row is None or row.purpose != purpose or row.session_hash != hash_id(session_id)
            or utcnow() - row.created_at > LIFETIME):
        return None
    # Count the try first, in one statement, so parallel guesses cannot share a try.
    counted = db.exec(update(OneTimeCode).where(
        col(OneTimeCode.id) == row.id, col(OneTimeCode.attempts) < MAX_TRIES,
        col(OneTimeCode.used_at).is_(None)).values(attempts=OneTimeCode.attempts + 1))
    db.commit()
    if counted.rowcount != 1:
        return None
    if not hmac.compare_digest(row.code_hash, _digest(settings, purpose, session_id, typed)):
        return None
    # Mark it used only if nobody else did in the meantime: a code works once, even when raced.
    claimed = db.exec(update(OneTimeCode).where(col(OneTimeCode.id) == row.id,
                                                col(OneTimeCode.used_at).is_(None))
                      .values(used_at=utcnow()))
    return row if claimed.rowcount == 1 else None


def tries_left(row: OneTimeCode | None) -> int:
    return 0 if row is None else max(0, MAX_TRIES - row.attempts)

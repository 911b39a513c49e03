"""What identity announces when sessions end, for the features that care (web push, screen sharing).

Identity never imports those features: they subscribe here when they load. A handler for
`IN_TRANSACTION` adds its changes to the caller's transaction and must not commit; one for
`AFTER_COMMIT` runs once that transaction is saved, and may save and publish its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from sqlmodel import Session

from portal.broker import Broker


@dataclass(frozen=True)
class SessionsEnded:
    person_id: int
    session_id: str  # The session that ended, or with `others`, the one that stays.
    others: bool  # "Sign out everywhere else": every session of the person but `session_id` ended.
    time_zone: str


class Phase(Enum):
    IN_TRANSACTION = "in transaction"
    AFTER_COMMIT = "after commit"


Handler = Callable[[Session, Broker | None, SessionsEnded], None]
_handlers: dict[Phase, list[Handler]] = {phase: [] for phase in Phase}


def on_sessions_ended(phase: Phase) -> Callable[[Handler], Handler]:
    """Subscribe a handler (a decorator); subscribing the same one twice has no further effect."""
    def register(handler: Handler) -> Handler:
        if handler not in _handlers[phase]:
            _handlers[phase].append(handler)
        return handler
    return register


def announce(phase: Phase, db: Session, broker: Broker | None, event: SessionsEnded) -> None:
    for handler in _handlers[phase]:
        handler(db, broker, event)

"""Database engine and sessions. SQLite gets the pragmas that make it safe for a web app."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class HasId(Protocol):
    """A row with a database id: None until it is flushed."""

    @property
    def id(self) -> int | None: ...


def id_of(row: HasId) -> int:
    """The row's id; a row that was never flushed has none, and that is a bug, not a case to handle."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: it was never flushed")
    return row.id


def enum_type(values: type[StrEnum]) -> sa.Enum:
    """A column for a set of choices, stored as plain text: adding a choice later needs no schema
    change on PostgreSQL."""
    return sa.Enum(values, native_enum=False, create_constraint=False, length=30,
                   values_callable=lambda members: [m.value for m in members])


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        # Handlers and live streams run in up to 40 threads (anyio's default); a pool that size
        # keeps SQLite connections (cheap, and set up with pragmas) instead of reopening them.
        engine = create_engine(database_url, connect_args={"check_same_thread": False},
                               pool_size=20, max_overflow=30, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: an error names the statement, never the values (people's details) in it.
    return create_engine(database_url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def reachable(db: Session) -> bool:
    """For the health check: the database answers."""
    try:
        db.connection().exec_driver_sql("SELECT 1")
    except Exception:  # Whatever the driver raises, the answer is "not reachable".
        return False
    return True


def sessions(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to date with Alembic."""
    command.upgrade(alembic_config(database_url), revision)

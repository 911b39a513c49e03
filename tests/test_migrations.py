"""Alembic migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, SQLModel

import portal.models  # noqa: F401
from portal.db import make_engine, upgrade
from tests import factories
from tests.conftest import PageCheckingClient, postgres_url


def assert_schema_matches_models(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_sqlite_migrations_match_models(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    upgrade(url)
    assert_schema_matches_models(url)
    assert "web_session" in inspect(create_engine(url)).get_table_names()


def test_sqlite_pragmas_are_set(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


@pytest.fixture
def postgres_database():
    """A fresh, uniquely named PostgreSQL database for one test, dropped afterwards."""
    admin_url = postgres_url()
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin_url.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgres
def test_postgres_migrations_match_models(postgres_database: str) -> None:
    upgrade(postgres_database)
    assert_schema_matches_models(postgres_database)


@pytest.mark.postgres
def test_portal_runs_on_postgres(postgres_database: str, tmp_path) -> None:
    from portal.app import create_app
    from tests.conftest import make_settings

    upgrade(postgres_database)
    app = create_app(make_settings(tmp_path, database_url=postgres_database))
    with Session(app.state.engine) as db:
        someone = factories.customer(db)
        reference = factories.account_of(db, someone).reference
    with PageCheckingClient(app) as client:
        assert client.get("/healthz").json()["database"] == "ok"
        factories.sign_in(client, someone)
        response = client.get("/account")
        assert response.url.path == "/account" and reference in response.text
    app.state.engine.dispose()

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import portal.models  # noqa: F401  (registers every table)
from portal.app import create_app
from portal.db import make_engine
from portal.demo.service import seed
from portal.identity.models import Person
from portal.settings import Settings
from portal.web.sse import Fragments, LiveStream
from tests import factories
from tests.page_checks import check_page


class PageCheckingClient(TestClient):
    """A test client that checks every full HTML page it receives (see page_checks.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Browsers send Origin with every form post and fetch; so does this client.
        self.headers["Origin"] = str(self.base_url).rstrip("/")

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        response = super().request(*args, **kwargs)
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("text/html") and response.text.lstrip().startswith("<!DOCTYPE"):
            check_page(response.text, response.headers.get("content-security-policy", ""))
        return response

    def csrf_token(self, path: str = "/sign-in") -> str:
        """The token from a form on `path`, as a browser would have it."""
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Test settings; a group given as a dict (`help={"phone": ...}`) changes only the names in it."""
    values: dict[str, Any] = {"env": "test", "demo": True,
                              "database_url": f"sqlite:///{tmp_path / 'portal.db'}",
                              "base_url": "http://testserver",
                              # Tests run the worker themselves (worker.run_once), at a time they choose.
                              "worker": {"run": False}}
    for name, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(name), dict):
            value = {**values[name], **value}
        values[name] = value
    return Settings(**values)


# Each test gets its own database file, copied from a template that each test process makes once:
# an empty one (the tables, nobody in them) for unit tests, which make the people and things they
# need with tests/factories.py, and a seeded one for the demo's own tests (marked `demo`). Copying a
# file takes about a millisecond; making the tables tens of milliseconds; seeding the demo 0.4 s or more.
_TEMPLATES: dict[tuple[object, ...], Path] = {}


def _template(settings: Settings, demo: bool) -> Path:
    # The demo is dated from today and its invitation code comes from the secret key.
    key: tuple[object, ...] = (settings.time_zone, settings.secret_key, date.today()) if demo else ()
    if key not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="portal-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / ("seeded.db" if demo else "empty.db")
        engine = make_engine(f"sqlite:///{template}")
        SQLModel.metadata.create_all(engine)
        if demo:
            with Session(engine) as db:
                seed(db, settings.time_zone, settings.secret_key)
        engine.dispose()  # The last connection closing folds the write-ahead log into the file.
        _TEMPLATES[key] = template
    return _TEMPLATES[key]


def make_app(settings: Settings, *, demo: bool = False) -> FastAPI:
    """An app on a database of its own: empty (only the tables), or with the demo people when `demo`.
    A copy of a template file for SQLite; made in place for any other database."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        shutil.copyfile(_template(settings, demo), url.database)
        return create_app(settings)
    app = create_app(settings)
    SQLModel.metadata.create_all(app.state.engine)
    if demo:
        with Session(app.state.engine) as db:
            seed(db, settings.time_zone, settings.secret_key)
    return app


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(request: pytest.FixtureRequest, settings: Settings) -> Iterator[FastAPI]:
    """Empty, unless the test is about the demo (`pytest.mark.demo`)."""
    app = make_app(settings, demo=request.node.get_closest_marker("demo") is not None)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[PageCheckingClient]:
    with PageCheckingClient(app) as client:
        yield client


@pytest.fixture
def db(app: FastAPI) -> Iterator[Session]:
    with Session(app.state.engine) as session:
        yield session


def demo_sign_in(client: PageCheckingClient, persona: str) -> httpx.Response:
    """Sign in as a demo person through the demo's own form (tests marked `demo`)."""
    token = client.csrf_token("/demo")
    return client.post("/demo", data={"persona": persona, "csrf_token": token})


@pytest.fixture
def customer(db: Session) -> Person:
    """A customer with one account and electricity on it (see tests/factories.py)."""
    return factories.customer(db)


@pytest.fixture
def signed_in_client(client: PageCheckingClient, customer: Person) -> PageCheckingClient:
    factories.sign_in(client, customer)
    return client


def postgres_url() -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL tests skipped: set PORTAL_TEST_DATABASE_URL to run them "
                    "(CI sets it).")
    return url


def stream_calls(app: FastAPI, stream: LiveStream) -> tuple[Callable[[dict], Fragments],
                                                           Callable[[], Fragments]]:
    """The stream's next(event) and first(), each in a database session of its own, as the server
    runs them."""
    def in_fresh_session(work: Callable[[Session], Fragments]) -> Fragments:
        with Session(app.state.engine) as fresh:
            return work(fresh)

    return (lambda event: in_fresh_session(lambda db: stream.next(db, event)),
            lambda: in_fresh_session(stream.first))

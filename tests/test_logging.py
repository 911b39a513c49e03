"""Logs an operator can use: a request id on every line and on error pages, JSON lines when asked,
and no SQL parameters (people's details) in database errors."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal import logs
from portal.db import make_engine
from tests.conftest import PageCheckingClient, make_app, make_settings


@pytest.fixture
def log_lines() -> io.StringIO:
    """Whatever the portal logs, as `portal serve` would write it (plain text)."""
    captured = io.StringIO()
    logs.setup("text")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(captured)
    return captured


def failing_app(tmp_path: Path, **overrides: object) -> FastAPI:
    app = make_app(make_settings(tmp_path, **overrides))

    def broken() -> None:
        logging.getLogger("portal.test").warning("about to fail")
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    return app


def test_every_line_of_a_request_and_its_error_page_carry_one_reference(tmp_path: Path,
                                                                          log_lines: io.StringIO) -> None:
    with PageCheckingClient(failing_app(tmp_path), raise_server_exceptions=False) as client:
        response = client.get("/broken?postcode=NF1+1AA")
    assert response.status_code == 500
    reference = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", reference)
    assert f'reference: <span dir="ltr">{reference}</span>' in response.text
    lines = [line for line in log_lines.getvalue().splitlines() if f"[{reference}]" in line]
    assert any("about to fail" in line for line in lines)
    assert any("Unhandled error" in line for line in lines)
    assert any(line.endswith("GET /broken 500 " + line.rsplit(" ", 2)[-2] + " ms") for line in lines)
    portal_lines = [line for line in log_lines.getvalue().splitlines() if " INFO httpx" not in line]
    assert not [line for line in portal_lines if "NF1" in line], "a query string (personal data) was logged"


def test_each_request_gets_its_own_reference_and_pages_not_found_show_none(tmp_path: Path) -> None:
    with PageCheckingClient(make_app(make_settings(tmp_path))) as client:
        first, second = client.get("/"), client.get("/no-such-page")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert second.status_code == 404 and "give us this reference" not in second.text


def test_a_proxys_request_id_is_used_only_when_trusted_and_well_formed(tmp_path: Path) -> None:
    offered = {"X-Request-ID": "proxy-id-1234"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with PageCheckingClient(make_app(make_settings(tmp_path / "a"))) as client:
        assert client.get("/", headers=offered).headers["x-request-id"] != "proxy-id-1234"
    with PageCheckingClient(make_app(make_settings(tmp_path / "b", trust_request_id=True))) as client:
        assert client.get("/", headers=offered).headers["x-request-id"] == "proxy-id-1234"
        forged = client.get("/", headers={"X-Request-ID": "bad id\nINFO forged line"})
        assert re.fullmatch(r"[0-9a-f]{16}", forged.headers["x-request-id"])


def test_json_lines_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup("json")
    token = logs.request_id.set("abcdef1234")
    try:
        logging.getLogger("portal.test").warning("Sent %d messages", 3)
    finally:
        logs.request_id.reset(token)
        logs.setup("text")
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["message"] == "Sent 3 messages"
    assert entry["request_id"] == "abcdef1234" and entry["level"] == "WARNING"
    assert entry["logger"] == "portal.test" and entry["time"]


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/portal.db", "postgres"])
def test_database_errors_never_show_the_values(tmp_path: Path, url: str) -> None:
    if url == "postgres":
        from tests.conftest import postgres_url

        url = postgres_url()
    engine = make_engine(url.format(tmp=tmp_path))
    with pytest.raises(DBAPIError) as error, engine.connect() as connection:
        connection.execute(text("SELECT name FROM no_such_table WHERE name = :name"),
                           {"name": "Alex Green"})
    assert "no_such_table" in str(error.value)
    assert "Alex" not in str(error.value)
    engine.dispose()

"""Static files are ours, versioned and cached; the command line works."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from portal.cli import app as cli
from tests.conftest import PageCheckingClient


def test_vendor_htmx_is_served_from_our_own_static_files(client: PageCheckingClient) -> None:
    page = client.get("/").text
    src = re.search(r'src="(/static/vendor/htmx\.min\.js\?v=[0-9a-f]{12})"', page).group(1)
    response = client.get(src)
    assert response.status_code == 200 and "htmx" in response.text[:2000]
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_unversioned_static_is_revalidated(client: PageCheckingClient) -> None:
    response = client.get("/static/css/portal.css")
    assert response.headers["cache-control"] == "no-cache"


def test_no_script_comes_from_another_site(client: PageCheckingClient) -> None:
    for src in re.findall(r'<script[^>]*src="([^"]+)"', client.get("/").text):
        assert src.startswith("/static/")


def test_cli_upgrades_a_database(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Database is up to date." in result.output
    assert (tmp_path / "cli.db").exists()


def test_cli_refuses_demo_in_production(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example")
    for name in ("PORTAL_DEMO", "PORTAL_DATABASE_URL"):  # The demo sets these: put them back after.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    result = CliRunner().invoke(cli, ["demo", "--database-file", str(tmp_path / "d.db")])
    assert result.exit_code != 0
    assert "Demo mode cannot be switched on in production" in str(result.exception)

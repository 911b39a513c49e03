"""Public pages render in the layout, pass the page checks, and keep the way to a person in view."""

from __future__ import annotations

import pytest

from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of

PUBLIC_PAGES = ["/", "/help", "/accessibility-statement", "/privacy", "/cookies", "/glossary",
                "/sign-in", "/signed-out"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_renders_with_talk_to_a_person_first_in_header(
        client: PageCheckingClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    root = parse(response.text)
    header_links = root.findall(".//header//a")
    assert [text_of(a) for a in header_links][-1] == "Talk to a person"
    assert root.find(".//a[@class='skip-link']").get("href") == "#main-content"
    assert root.find(".//main").get("id") == "main-content"


def test_help_page_gives_phone_number_and_opening_times(client: PageCheckingClient) -> None:
    root = parse(client.get("/help").text)
    assert root.find(".//a[@href='tel:+443001234567']") is not None
    rows = [text_of(row) for row in root.findall(".//dl/div")]
    assert rows == ["Monday to Friday 08:00 to 20:00", "Saturday 09:00 to 13:00"]


def test_help_page_opening_times_are_in_welsh(client: PageCheckingClient) -> None:
    client.cookies.set("portal_lang", "cy")
    root = parse(client.get("/help").text)
    rows = [text_of(row) for row in root.findall(".//dl/div")]
    assert rows[0].startswith("Dydd Llun – Dydd Gwener")
    assert "20:00" in rows[0]


def test_unknown_page_is_a_404_in_the_layout_with_help(client: PageCheckingClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    root = parse(response.text)
    assert text_of(root.find(".//h1")) == "Page not found"
    assert root.find(".//main//a[@href='/help']") is not None


def test_wrong_method_is_a_405_page(client: PageCheckingClient) -> None:
    response = client.delete("/help", headers={"X-CSRF-Token": client.csrf_token()})
    assert response.status_code == 405
    assert "Sorry, that did not work" in response.text


def test_unexpected_error_is_a_500_page_with_security_headers(settings, tmp_path) -> None:
    from tests.conftest import make_app

    app = make_app(settings)

    @app.get("/explode")
    def explode() -> None:
        raise RuntimeError("boom")

    with PageCheckingClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "nonce-" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert 'href="/help"' in response.text


def test_healthz_reports_database(client: PageCheckingClient) -> None:
    response = client.get("/healthz")
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_says_unavailable_when_database_is_gone(settings) -> None:
    from portal.app import create_app

    app = create_app(settings.model_copy(update={"database_url": "sqlite:////nonexistent/x.db"}))
    with PageCheckingClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_theme_uses_organisation_colour(tmp_path) -> None:
    from tests.conftest import make_app, make_settings

    app = make_app(make_settings(tmp_path, organisation={"brand_colour": "#00573F", "name": "Glan Water"}))
    with PageCheckingClient(app) as client:
        assert "--brand: #00573f" in client.get("/theme.css").text
        assert "Glan Water" in client.get("/").text

"""Security headers, CSRF and request-size limits."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PageCheckingClient, make_app, make_settings

# The sign-in form stands for every form: asking for a code, by email.
FORM = "/sign-in"
ASK = {"identifier": "alex@example.com"}


def test_security_headers_are_exactly_these(client: PageCheckingClient) -> None:
    response = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["content-security-policy"]).group(1)
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
        "manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'"
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert response.headers["permissions-policy"] == (
        "camera=(), geolocation=(), microphone=(), payment=(), usb=()")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers


def test_csp_never_allows_inline_or_eval(client: PageCheckingClient) -> None:
    policy = client.get("/").headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_each_response_gets_a_new_nonce(client: PageCheckingClient) -> None:
    first = client.get("/").headers["content-security-policy"]
    second = client.get("/").headers["content-security-policy"]
    assert first != second


def test_hsts_only_over_https(tmp_path) -> None:
    app = make_app(make_settings(tmp_path, base_url="https://testserver"))
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/")
    assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


def test_post_without_token_is_refused_with_a_helpful_page(client: PageCheckingClient) -> None:
    client.get(FORM)  # A session exists, but the form's token is not sent.
    response = client.post(FORM, data=ASK)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "Go back, refresh the page and try again." in response.text


def test_post_with_token_from_another_session_is_refused(app) -> None:
    with PageCheckingClient(app) as one, PageCheckingClient(app) as other:
        token = one.csrf_token(FORM)
        other.get(FORM)
        response = other.post(FORM, data={**ASK, "csrf_token": token})
    assert response.status_code == 403


def test_post_with_token_but_no_session_is_refused(app) -> None:
    with PageCheckingClient(app) as one:
        token = one.csrf_token(FORM)
    with PageCheckingClient(app) as fresh:
        response = fresh.post(FORM, data={**ASK, "csrf_token": token})
    assert response.status_code == 403


def test_post_from_another_origin_is_refused_even_with_token(client: PageCheckingClient) -> None:
    token = client.csrf_token(FORM)
    response = client.post(FORM, data={**ASK, "csrf_token": token},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


@pytest.mark.parametrize(("fetch_site", "status"), [
    ("cross-site", 403), ("same-site", 403), ("none", 403), (None, 403), ("same-origin", 200)])
def test_without_origin_only_same_origin_fetches_pass(client: PageCheckingClient, fetch_site,
                                                       status: int) -> None:
    token = client.csrf_token(FORM)
    del client.headers["Origin"]
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
    response = client.post(FORM, data={**ASK, "csrf_token": token}, headers=headers)
    assert response.status_code == status


def test_a_token_that_is_not_ascii_is_refused_not_a_500(client: PageCheckingClient) -> None:
    client.get(FORM)
    response = client.post(FORM, data=ASK, headers={"X-CSRF-Token": "é".encode()})
    assert response.status_code == 403
    response = client.post(FORM, content="csrf_token=%C3%A9&identifier=alex%40example.com",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403


def test_posting_to_a_static_file_is_refused_not_a_500(client: PageCheckingClient) -> None:
    response = client.post("/static/css/portal.css", data={"x": "1"})
    assert response.status_code == 403


def test_same_origin_post_with_token_works(client: PageCheckingClient) -> None:
    token = client.csrf_token(FORM)
    response = client.post(FORM, data={**ASK, "csrf_token": token},
                           headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 200
    assert response.url.path == "/sign-in/code"  # Asked for a code: on to typing it in.


def test_token_in_header_works_for_htmx(client: PageCheckingClient) -> None:
    token = client.csrf_token(FORM)
    response = client.post(FORM, data=ASK, headers={"X-CSRF-Token": token, "HX-Request": "true"},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in/code")


def test_oversized_body_is_a_413_page(client: PageCheckingClient) -> None:
    token = client.csrf_token(FORM)
    response = client.post(FORM, data={"identifier": "x" * 1_100_000, "csrf_token": token})
    assert response.status_code == 413
    assert "What you sent is too large" in response.text


def test_oversized_body_without_content_length_is_refused(client: PageCheckingClient) -> None:
    token = client.csrf_token(FORM)

    def chunks():
        yield f"csrf_token={token}&identifier=".encode()
        for _ in range(20):
            yield b"x" * 100_000

    response = client.post(FORM, content=chunks(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_malformed_multipart_is_a_400_page(client: PageCheckingClient) -> None:
    token = client.csrf_token(FORM)
    response = client.post(FORM, content=b"--broken\r\nnonsense",
                           headers={"Content-Type": "multipart/form-data; boundary=zzz",
                                    "X-CSRF-Token": token})
    assert response.status_code == 400
    assert "Sorry, we could not understand that request" in response.text


def test_too_many_fields_is_refused_not_a_500(client: PageCheckingClient) -> None:
    token = client.csrf_token(FORM)
    body = f"csrf_token={token}&" + "&".join(f"f{i}=1" for i in range(1500))
    response = client.post(FORM, content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400


def test_htmx_gets_the_error_as_a_fragment_for_main(client: PageCheckingClient) -> None:
    client.get(FORM)
    response = client.post(FORM, data=ASK, headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["hx-retarget"] == "#main-content"
    assert response.headers["hx-reswap"] == "outerHTML"
    assert response.text.lstrip().startswith("<title>This form has expired")
    assert "<footer" not in response.text

"""Server-side sessions: cookie attributes, expiry, and signing out."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from portal.web.sessions import SessionState, SessionStore, WebSession, hash_id
from tests import factories
from tests.conftest import PageCheckingClient, make_app, make_settings


def session_cookie_header(response) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if "portal_session=" in h)


def test_cookie_is_http_only_lax_and_site_wide(client: PageCheckingClient) -> None:
    response = client.get("/sign-in")  # A page with a form starts a session.
    header = session_cookie_header(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Secure" not in header  # Served over plain http in development.
    value = header.split(";")[0].split("=", 1)[1]
    assert len(value) >= 32  # 32 random bytes, base64: far more than 128 bits.


def test_https_uses_host_prefixed_secure_cookie(tmp_path) -> None:
    app = make_app(make_settings(tmp_path, base_url="https://testserver"))
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/sign-in")
    header = next(h for h in response.headers.get_list("set-cookie") if "portal_session" in h)
    assert header.startswith("__Host-portal_session=") and "; Secure" in header


def test_pages_without_forms_do_not_start_a_session(client: PageCheckingClient, db) -> None:
    client.get("/help")
    assert "portal_session" not in client.cookies
    assert db.exec(select(WebSession)).all() == []


def test_database_keeps_only_a_hash_of_the_session_id(signed_in_client, db: Session) -> None:
    raw = signed_in_client.cookies["portal_session"]
    ids = [s.id_hash for s in db.exec(select(WebSession)).all()]
    assert raw not in ids and hash_id(raw) in ids


def age_session(db: Session, raw_id: str, **changes: dt.timedelta) -> None:
    record = db.get(WebSession, hash_id(raw_id))
    for field, delta in changes.items():
        setattr(record, field, getattr(record, field) - delta)
    db.add(record)
    db.commit()


def test_idle_session_ends_after_30_minutes(signed_in_client, db: Session) -> None:
    age_session(db, signed_in_client.cookies["portal_session"],
                last_seen_at=dt.timedelta(minutes=31))
    response = signed_in_client.get("/account", follow_redirects=False)
    assert response.headers["location"] == "/sign-in?next=/account"


def test_active_session_survives_29_minutes_idle(signed_in_client, db: Session) -> None:
    age_session(db, signed_in_client.cookies["portal_session"],
                last_seen_at=dt.timedelta(minutes=29))
    assert signed_in_client.get("/account").url.path == "/account"


def test_session_ends_after_12_hours_however_active(signed_in_client, db: Session) -> None:
    age_session(db, signed_in_client.cookies["portal_session"],
                created_at=dt.timedelta(hours=12, minutes=1))
    response = signed_in_client.get("/account", follow_redirects=False)
    assert response.status_code == 303


def test_sign_out_deletes_server_record_and_clears_site_data(signed_in_client, db) -> None:
    raw = signed_in_client.cookies["portal_session"]
    token = signed_in_client.csrf_token("/account")
    response = signed_in_client.post("/sign-out", data={"csrf_token": token},
                                     follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/signed-out"
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert "Max-Age=0" in session_cookie_header(response)
    assert db.get(WebSession, hash_id(raw)) is None
    # The old cookie is worth nothing now, even if someone kept it.
    signed_in_client.cookies.set("portal_session", raw)
    assert signed_in_client.get("/account", follow_redirects=False).status_code == 303


def test_sign_out_button_only_when_signed_in(client: PageCheckingClient, db: Session) -> None:
    assert 'action="/sign-out"' not in client.get("/").text
    factories.sign_in(client, factories.customer(db))
    assert 'action="/sign-out"' in client.get("/").text


def test_a_session_ended_during_a_request_is_not_brought_back(app, signed_in_client, db) -> None:
    """A request that loaded the session before it was ended must not save it again."""
    from portal.web.sessions import SessionStore

    store = SessionStore(app.state.engine, app.state.settings)
    raw = signed_in_client.cookies["portal_session"]
    state, _ = store.load(raw)
    db.delete(db.get(WebSession, hash_id(raw)))  # Signed out elsewhere meanwhile.
    db.commit()
    state.set("something", "changed")
    store.save(state, "test")
    db.expire_all()
    assert db.get(WebSession, hash_id(raw)) is None


def test_a_one_off_message_is_read_once_and_only_by_its_own_page() -> None:
    state = SessionState(id="x", data={"flash": "reading_taken"})
    assert state.take("flash", "needs_saved") is None and state.data["flash"] == "reading_taken"
    assert state.take("flash", "reading_taken") == "reading_taken"
    assert state.needs_saving and "flash" not in state.data
    assert state.take("flash") is None


def test_a_request_that_only_says_still_here_keeps_what_another_request_saved(app) -> None:
    """A shared screen sends its changes every half second; when one of those requests is due to
    update the last-seen time, it must not write back the data it read, or it would undo a change
    (such as a code waiting to be confirmed) saved by a request that ran at the same time."""
    store = SessionStore(app.state.engine, app.state.settings)
    first = SessionState(id="s" * 43, data={"step": "one"})
    first.mark()
    store.save(first, "test")
    with Session(app.state.engine) as db:
        record = db.get(WebSession, hash_id(first.id))
        record.last_seen_at -= dt.timedelta(minutes=5)
        db.add(record)
        db.commit()
    background, due = store.load(first.id)
    form_post, _ = store.load(first.id)
    assert due and background is not None and form_post is not None
    background.needs_touch = True
    form_post.set("pending", "code")
    store.save(form_post, "test")
    store.save(background, "test")
    after, due_again = store.load(first.id)
    assert after is not None and after.data == {"step": "one", "pending": "code"}
    assert not due_again  # The last-seen time was still brought up to date.

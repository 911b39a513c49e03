"""Web push: turning notifications on and off for a device, what we refuse, when a device's
subscription goes (sign-out, the push service saying it is gone), and delivery end to end to a push
service on 127.0.0.1 whose messages the test decrypts with the device's own keys."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from py_vapid import Vapid
from sqlmodel import Session, col, select

from portal import vapid as keys
from portal.activity.models import ActivityEntry
from portal.housekeeping import purge_expired
from portal.identity.models import Person
from portal.notify import channels
from portal.notify.models import OutboxMessage
from portal.push import sender
from portal.push import service as push
from portal.push.models import PushSubscription
from portal.settings import Environment, Settings
from portal.updates import delivery, rules, worker
from portal.updates.models import Delivery, DeliveryChannel, DeliveryStatus, UpdatePreferences
from portal.web.sessions import WebSession
from tests import factories
from tests.conftest import PageCheckingClient, make_app, make_settings
from tests.helpers import (
    at,
    captured_logs,
    checked,
    free_port,
    incident_update,
    main_text,
    prefer,
    settings_form,
    today,
    token,
)
from tests.push_endpoint import FakeDevice, PushEndpoint

KEYS = keys.generate()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, push={"vapid_public_key": KEYS.public,
                                         "vapid_private_key": KEYS.private})


@pytest.fixture
def endpoint() -> Iterator[PushEndpoint]:
    server = PushEndpoint().start()
    yield server
    server.stop()


@pytest.fixture
def me(client: PageCheckingClient, customer: Person) -> PageCheckingClient:
    """The customer, signed in."""
    factories.sign_in(client, customer)
    return client


def post_json(client: PageCheckingClient, path: str, body: object, *, csrf: str | None = None,
              raw: bytes | None = None):
    headers = {"Content-Type": "application/json"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    content = raw if raw is not None else json.dumps(body).encode()
    return client.post(path, content=content, headers=headers)


def turn_on(client: PageCheckingClient, device: FakeDevice, endpoint_url: str):
    return post_json(client, "/updates/push/subscribe", device.subscription(endpoint_url), csrf=token(client))


def subscriptions(db: Session) -> list[PushSubscription]:
    db.expire_all()
    return list(db.exec(select(PushSubscription).order_by(col(PushSubscription.id))).all())


def actions(db: Session, name: str) -> list[ActivityEntry]:
    db.expire_all()
    return list(db.exec(select(ActivityEntry).where(ActivityEntry.action == name)).all())


# Keys and settings


def test_portal_vapid_keys_are_a_pair_the_settings_accept(tmp_path: Path) -> None:
    made = keys.generate()
    public = keys.b64url_decode(made.public)
    assert len(public) == 65 and public[0] == 4 and len(keys.b64url_decode(made.private)) == 32
    settings = make_settings(tmp_path, push={"vapid_public_key": made.public,
                                             "vapid_private_key": made.private})
    assert settings.push.available and settings.push_subject == "mailto:no-reply@example.org"
    pem = keys.load_private(made.private).private_pem().decode()  # PEM works too.
    with_pem = make_settings(tmp_path, push={"vapid_public_key": made.public, "vapid_private_key": pem})
    assert with_pem.push.available
    assert not make_settings(tmp_path).push.available


@pytest.mark.parametrize("public, private, says", [
    (KEYS.public, "", "Set both"),
    ("", KEYS.private, "Set both"),
    (KEYS.public, "not a key", "not a P-256 private key"),
    ("AAAA", KEYS.private, "uncompressed P-256 point"),
    (keys.generate().public, KEYS.private, "is not the public key of"),
], ids=["no private key", "no public key", "private not a key", "public not a point", "not a pair"])
def test_settings_refuse_keys_that_are_not_a_pair(tmp_path: Path, public: str, private: str,
                                                  says: str) -> None:
    with pytest.raises(ValueError, match=says):
        make_settings(tmp_path, push={"vapid_public_key": public, "vapid_private_key": private})


def test_the_vapid_subject_must_say_how_to_reach_us(tmp_path: Path) -> None:
    pair = {"vapid_public_key": KEYS.public, "vapid_private_key": KEYS.private}
    with pytest.raises(ValueError, match="PORTAL_PUSH__VAPID_SUBJECT"):
        make_settings(tmp_path, push={**pair, "vapid_subject": "call us"})
    named = make_settings(tmp_path, push=pair,
                          mail={"from_address": "Northfield <updates@northfield.example>"})
    assert named.push_subject == "mailto:updates@northfield.example"


def test_portal_vapid_prints_the_two_settings(monkeypatch) -> None:
    from typer.testing import CliRunner

    from portal.cli import app as cli

    result = CliRunner().invoke(cli, ["vapid"])
    assert result.exit_code == 0
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("PORTAL_"))
    assert set(lines) == {"PORTAL_PUSH__VAPID_PUBLIC_KEY", "PORTAL_PUSH__VAPID_PRIVATE_KEY"}
    keys.check_pair(lines["PORTAL_PUSH__VAPID_PUBLIC_KEY"], lines["PORTAL_PUSH__VAPID_PRIVATE_KEY"])


# Turning notifications on and off


def test_turning_on_stores_one_subscription_per_device(me: PageCheckingClient, db: Session,
                                                       customer: Person) -> None:
    device = FakeDevice()
    first = turn_on(me, device, "https://push.example.net/send/abc")
    assert first.status_code == 201 and first.json() == {"subscribed": True, "new": True}
    again = turn_on(me, device, "https://push.example.net/send/abc")  # The same browser again.
    assert again.status_code == 200 and again.json() == {"subscribed": True, "new": False}
    [stored] = subscriptions(db)
    assert stored.person_id == customer.id and stored.p256dh == device.p256dh
    assert stored.user_agent == "testclient"
    assert len(actions(db, "push_turned_on")) == 1

    newer = FakeDevice()  # The browser made new keys for the same endpoint: they replace the old.
    assert turn_on(me, newer, "https://push.example.net/send/abc").status_code == 200
    assert [s.p256dh for s in subscriptions(db)] == [newer.p256dh]

    assert turn_on(me, FakeDevice(), "https://push.example.net/send/other").status_code == 201
    assert len(subscriptions(db)) == 2
    recipient = rules.recipients(db, [customer.id])[customer.id]  # type: ignore[list-item,index]
    assert recipient.can_reach(DeliveryChannel.push)


def test_a_device_another_person_used_moves_to_whoever_turned_it_on(app: FastAPI, db: Session,
                                                                    customer: Person) -> None:
    device = FakeDevice()
    second_person = factories.customer(db)
    with PageCheckingClient(app) as first:
        factories.sign_in(first, customer)
        assert turn_on(first, device, "https://push.example.net/shared").status_code == 201
    with PageCheckingClient(app) as second:
        factories.sign_in(second, second_person)
        assert turn_on(second, device, "https://push.example.net/shared").status_code == 201
    [stored] = subscriptions(db)
    assert stored.person_id == second_person.id
    assert [a.detail for a in actions(db, "push_removed")] == [
        "Unknown device: another person turned them on in this browser"]


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400),
    (b"[]", 422),
    (json.dumps({"endpoint": "https://push.example.net/x"}).encode(), 422),  # No keys.
    (json.dumps({"endpoint": "https://push.example.net/x",
                 "keys": {"p256dh": "", "auth": ""}}).encode(), 422),
    (json.dumps({"endpoint": "https://push.example.net/x",
                 "keys": {"p256dh": "not base64url!", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}).encode(), 422),
    (json.dumps({"endpoint": "https://push.example.net/x",
                 "keys": {"p256dh": FakeDevice().p256dh, "auth": "AAAA"}}).encode(), 422),  # Short secret.
    (json.dumps({"endpoint": "https://push.example.net/x",
                 "keys": {"p256dh": "BAAA" + "A" * 83, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}).encode(), 422),
    (json.dumps(FakeDevice().subscription("http://push.example.net/x")).encode(), 422),  # Not https.
    (json.dumps(FakeDevice().subscription("ftp://push.example.net/x")).encode(), 422),
    (json.dumps(FakeDevice().subscription("https:///no-host")).encode(), 422),
    (json.dumps(FakeDevice().subscription("https://push.example.net/" + "x" * 2000)).encode(), 422),
    (json.dumps({"endpoint": 5, "keys": {}}).encode(), 422),
])
def test_what_cannot_be_used_is_refused_in_words_not_a_500(me: PageCheckingClient, db: Session,
                                                          body: bytes, status: int) -> None:
    response = post_json(me, "/updates/push/subscribe", None, csrf=token(me), raw=body)
    assert response.status_code == status
    assert response.json()["error"].startswith("Your browser sent something we cannot use")
    assert subscriptions(db) == []


def test_in_production_only_the_browser_makers_push_services(app: FastAPI, me: PageCheckingClient,
                                                             db: Session) -> None:
    assert turn_on(me, FakeDevice(), "http://127.0.0.1:9/push/a").status_code == 201  # For tests.
    assert turn_on(me, FakeDevice(), "https://push.example.net/b").status_code == 201
    app.state.settings = app.state.settings.model_copy(update={"env": Environment.production})
    for refused in ("http://127.0.0.1:9/push/c", "https://push.example.net/d", "https://10.0.0.1/e",
                    "https://fcm.googleapis.com.evil.example/f", "https://evilfcm.googleapis.com/g"):
        response = turn_on(me, FakeDevice(), refused)
        assert response.status_code == 422 and "cannot use" in response.json()["error"], refused
    for allowed in ("https://fcm.googleapis.com/fcm/send/h", "https://updates.push.services.mozilla.com/wpush/v2/i",
                    "https://web.push.apple.com/j", "https://wns2-db5p.notify.windows.com/w/?token=k"):
        assert turn_on(me, FakeDevice(), allowed).status_code == 201, allowed
    assert len(subscriptions(db)) == 6


def test_a_person_keeps_at_most_ten_devices_the_oldest_goes(me: PageCheckingClient, db: Session) -> None:
    for n in range(push.MAX_DEVICES + 2):
        assert turn_on(me, FakeDevice(), f"https://push.example.net/{n}").status_code == 201
    assert [s.endpoint for s in subscriptions(db)] == [
        f"https://push.example.net/{n}" for n in range(2, push.MAX_DEVICES + 2)]
    assert len(actions(db, "push_removed")) == 2


def test_turning_on_needs_the_csrf_token_and_a_signed_in_customer(app: FastAPI, client: PageCheckingClient,
                                                                  db: Session, customer: Person) -> None:
    body = FakeDevice().subscription("https://push.example.net/x")
    assert post_json(client, "/updates/push/subscribe", body).status_code == 403  # No session.
    factories.sign_in(client, customer)
    assert post_json(client, "/updates/push/subscribe", body).status_code == 403  # No token.
    assert post_json(client, "/updates/push/subscribe", body, csrf="wrong").status_code == 403
    assert subscriptions(db) == []
    with PageCheckingClient(app) as stranger:
        response = post_json(stranger, "/updates/push/subscribe", body, csrf=stranger.csrf_token("/sign-in"))
        assert response.status_code == 401 and "Sign in again" in response.json()["error"]


def test_staff_get_no_notifications(client: PageCheckingClient, db: Session) -> None:
    factories.sign_in(client, factories.adviser(db))
    response = turn_on(client, FakeDevice(), "https://push.example.net/x")
    assert response.status_code == 401 and subscriptions(db) == []


def test_without_vapid_keys_notifications_are_not_offered(tmp_path: Path, customer: Person) -> None:
    app = make_app(make_settings(tmp_path))  # No keys.
    with Session(app.state.engine, expire_on_commit=False) as db:
        someone = factories.customer(db)
    with PageCheckingClient(app) as client:
        factories.sign_in(client, someone)
        page = client.get("/updates/settings").text
        assert "Notifications on this device" not in page and "push.js" not in page
        assert checked(page, "channels_bills") == ["email"]
        response = turn_on(client, FakeDevice(), "https://push.example.net/x")
        assert response.status_code == 404 and "Choose email or text" in response.json()["error"]
    app.state.engine.dispose()


def test_turning_off_this_device_and_another_from_the_list(me: PageCheckingClient, db: Session) -> None:
    here, there = FakeDevice(), FakeDevice()
    turn_on(me, here, "https://push.example.net/here")
    turn_on(me, there, "https://push.example.net/there")
    off = post_json(me, "/updates/push/unsubscribe", {"endpoint": "https://push.example.net/here"},
                    csrf=token(me))
    assert off.status_code == 200 and off.json() == {"subscribed": False}
    assert [s.endpoint for s in subscriptions(db)] == ["https://push.example.net/there"]

    # Without JavaScript: the list of devices on the settings page, a plain form for each.
    page = me.get("/updates/settings").text
    assert "Devices that get notifications" in main_text(page)
    [remaining] = subscriptions(db)
    response = me.post("/updates/push/unsubscribe",
                        data={"device": str(remaining.id), "csrf_token": token(me)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/updates/settings"
    assert subscriptions(db) == []
    assert "Notifications are off for that device" in main_text(me.get("/updates/settings").text)
    assert len(actions(db, "push_turned_off")) == 2


def test_nobody_can_turn_off_someone_elses_device(app: FastAPI, db: Session, customer: Person) -> None:
    with PageCheckingClient(app) as owner:
        factories.sign_in(owner, customer)
        turn_on(owner, FakeDevice(), "https://push.example.net/mine")
    [mine] = subscriptions(db)
    with PageCheckingClient(app) as other:
        factories.sign_in(other, factories.customer(db))
        post_json(other, "/updates/push/unsubscribe", {"endpoint": mine.endpoint}, csrf=token(other))
        other.post("/updates/push/unsubscribe", data={"device": str(mine.id), "csrf_token": token(other)})
    assert [s.id for s in subscriptions(db)] == [mine.id]


def test_check_ties_a_known_device_to_this_session_and_never_turns_one_on(app: FastAPI, db: Session,
                                                                          customer: Person) -> None:
    device = FakeDevice()
    with PageCheckingClient(app) as before:
        factories.sign_in(before, customer)
        turn_on(before, device, "https://push.example.net/kept")
    [row] = subscriptions(db)
    with PageCheckingClient(app) as later:  # A new session on the same device, the old one expired.
        factories.sign_in(later, customer)
        found = post_json(later, "/updates/push/check", {"endpoint": row.endpoint}, csrf=token(later))
        assert found.json() == {"subscribed": True}
        unknown = post_json(later, "/updates/push/check", {"endpoint": "https://push.example.net/new"},
                            csrf=token(later))
        assert unknown.json() == {"subscribed": False}
        assert post_json(later, "/updates/push/check", [], csrf=token(later)).status_code == 400
        later.post("/sign-out", data={"csrf_token": token(later)})
    assert subscriptions(db) == []  # It belonged to the later session, which signed out.


# When a device's subscription goes


def test_signing_out_turns_off_the_devices_turned_on_in_that_session(app: FastAPI, db: Session,
                                                                     customer: Person) -> None:
    with PageCheckingClient(app) as phone, PageCheckingClient(app) as laptop:
        factories.sign_in(phone, customer)
        factories.sign_in(laptop, customer)
        turn_on(phone, FakeDevice(), "https://push.example.net/phone")
        turn_on(laptop, FakeDevice(), "https://push.example.net/laptop")
        response = phone.post("/sign-out", data={"csrf_token": token(phone)}, follow_redirects=False)
        assert response.status_code == 303
        assert [s.endpoint for s in subscriptions(db)] == ["https://push.example.net/laptop"]


def test_signing_out_everywhere_else_turns_off_every_other_device(app: FastAPI, db: Session,
                                                                  customer: Person) -> None:
    with PageCheckingClient(app) as phone, PageCheckingClient(app) as laptop:
        factories.sign_in(phone, customer)
        factories.sign_in(laptop, customer)
        turn_on(phone, FakeDevice(), "https://push.example.net/phone")
        turn_on(laptop, FakeDevice(), "https://push.example.net/laptop")
        laptop.post("/account/security/sessions/end-others",
                    data={"csrf_token": token(laptop, "/account/security")})
        assert [s.endpoint for s in subscriptions(db)] == ["https://push.example.net/laptop"]


def test_a_session_that_only_expires_keeps_its_devices(app: FastAPI, me: PageCheckingClient, db: Session,
                                                     settings: Settings) -> None:
    turn_on(me, FakeDevice(), "https://push.example.net/phone")
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for session in db.exec(select(WebSession)).all():
        session.last_seen_at = long_ago
        db.add(session)
    db.commit()
    assert purge_expired(app.state.engine, settings)["sessions"] >= 1
    assert len(subscriptions(db)) == 1  # Notifications are for when the person is away.


# The settings page


def test_the_settings_page_explains_notifications_and_offers_them_per_kind(me: PageCheckingClient,
                                                                        db: Session) -> None:
    page = me.get("/updates/settings").text
    text = main_text(page)
    assert "Notifications on this device" in text
    assert "We do not send news or offers unless you ask for them." in text
    assert "This browser cannot get notifications from us." in text  # Until push.js says otherwise.
    assert 'src="/static/js/push.js' in page and f'data-key="{KEYS.public}"' in page
    assert "Turn on notifications on a device first." in text  # Push is a choice, not yet reachable.
    assert "Devices that get notifications" not in text

    turn_on(me, FakeDevice(), "https://push.example.net/phone")
    page = me.get("/updates/settings").text
    assert "Turn on notifications on a device first." not in main_text(page)
    assert checked(page, "channels_bills") == ["email", "push"]  # The defaults, with push on.
    assert checked(page, "channels_offers") == []


def test_the_first_device_adds_notifications_to_saved_choices_but_not_offers(me: PageCheckingClient,
                                                                             db: Session) -> None:
    form = settings_form(channels_bills=["email"], channels_cases=[], channels_offers=["email"])
    me.post("/updates/settings", data={**form, "csrf_token": token(me)})
    turn_on(me, FakeDevice(), "https://push.example.net/phone")
    page = me.get("/updates/settings").text
    assert checked(page, "channels_bills") == ["email", "push"]
    assert checked(page, "channels_cases") == ["push"]
    assert checked(page, "channels_offers") == ["email"]

    # Their later choices stand when another device is turned on.
    form = settings_form(channels_bills=["email"], channels_cases=["push"])
    me.post("/updates/settings", data={**form, "csrf_token": token(me)})
    turn_on(me, FakeDevice(), "https://push.example.net/laptop")
    page = me.get("/updates/settings").text
    assert checked(page, "channels_bills") == ["email"] and checked(page, "channels_cases") == ["push"]


# Delivery


def subscribe_directly(db: Session, person: Person, device: FakeDevice, url: str) -> PushSubscription:
    assert person.id is not None
    push.subscribe(db, person.id, push.Incoming(url, device.p256dh, device.subscription(url)["keys"]["auth"]),
                   session_id="test-session", user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/130.0")
    return db.exec(select(PushSubscription).where(PushSubscription.endpoint == url)).one()


def titles(device: FakeDevice, endpoint: PushEndpoint) -> list[str]:
    return [device.read(r.body)["title"] for r in endpoint.wait_for(1)]


def test_an_update_reaches_the_device_encrypted_for_it_alone(app: FastAPI, db: Session, settings: Settings,
                                                           endpoint: PushEndpoint, customer: Person) -> None:
    device = FakeDevice()
    subscription = subscribe_directly(db, customer, device, endpoint.url("my-phone"))
    now = at(today(), 12)
    update = incident_update(db, customer, "No water in NF2", now)
    counts = worker.run_once(app.state.engine, settings, now=now, worker_id="w", scan=False)
    assert counts["outbox"] >= 1

    [received] = endpoint.wait_for(1)
    assert received.path == "/push/my-phone"
    assert received.headers["content-encoding"] == "aes128gcm"
    assert received.headers["ttl"] == str(sender.PUSH_TTL_SECONDS)
    assert Vapid.verify(received.headers["authorization"])  # Signed with our VAPID key...
    assert f"k={KEYS.public}" in received.headers["authorization"]  # ...which is this one.
    message = device.read(received.body)
    assert message == {"title": "No water in NF2",
                       "body": message["body"], "url": f"http://testserver/updates/{update.id}"}
    assert "A pipe burst." in message["body"] and "Use bottled water." in message["body"]
    assert b"No water" not in received.body  # Encrypted on the way.

    db.expire_all()
    push_row = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "push",
                                                   OutboxMessage.subject == "No water in NF2")).one()
    assert push_row.sent_at is not None and push_row.to == f"person:{customer.id}"
    assert db.get(PushSubscription, subscription.id).last_used_at is not None  # type: ignore[union-attr]
    [sent] = db.exec(select(Delivery).where(Delivery.update_id == update.id,
                                             Delivery.channel == DeliveryChannel.push)).all()
    assert sent.status is DeliveryStatus.sent


def test_each_device_gets_its_own_copy(app: FastAPI, db: Session, settings: Settings,
                                      endpoint: PushEndpoint, customer: Person) -> None:
    phone, laptop = FakeDevice(), FakeDevice()
    subscribe_directly(db, customer, phone, endpoint.url("phone"))
    subscribe_directly(db, customer, laptop, endpoint.url("laptop"))
    incident_update(db, customer, "No water in NF2", at(today(), 12))
    worker.run_once(app.state.engine, settings, now=at(today(), 12), worker_id="w", scan=False)
    by_path = {r.path: r for r in endpoint.wait_for(2)}
    assert len(endpoint.received) == 2
    assert phone.read(by_path["/push/phone"].body)["title"] == "No water in NF2"
    assert laptop.read(by_path["/push/laptop"].body)["title"] == "No water in NF2"
    with pytest.raises(Exception):  # noqa: B017 (one device cannot read another's message)
        phone.read(by_path["/push/laptop"].body)


@pytest.mark.parametrize("status", [404, 410])
def test_a_device_the_push_service_says_is_gone_is_removed(app: FastAPI, db: Session, settings: Settings,
                                                          endpoint: PushEndpoint, status: int,
                                                          customer: Person) -> None:
    subscribe_directly(db, customer, FakeDevice(), endpoint.url("gone"))
    endpoint.status = status
    incident_update(db, customer, "No water in NF2", at(today(), 12))
    worker.run_once(app.state.engine, settings, now=at(today(), 12), worker_id="w", scan=False)
    endpoint.wait_for(1)
    assert subscriptions(db) == []
    assert [a.detail for a in actions(db, "push_removed")] == [
        "Chrome on Android: the push service said it is gone"]
    push_row = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "push")).one()
    assert push_row.sent_at is not None and push_row.failed_at is None  # Nobody left to tell.
    recipient = rules.recipients(db, [customer.id])[customer.id]  # type: ignore[list-item,index]
    assert not recipient.can_reach(DeliveryChannel.push)


def test_other_failures_are_tried_again_later(app: FastAPI, db: Session, settings: Settings,
                                             endpoint: PushEndpoint, customer: Person) -> None:
    device = FakeDevice()
    subscribe_directly(db, customer, device, endpoint.url("busy"))
    endpoint.status = 503
    now = at(today(), 12)
    incident_update(db, customer, "No water in NF2", now)
    worker.run_once(app.state.engine, settings, now=now, worker_id="w", scan=False)
    db.expire_all()
    push_row = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "push")).one()
    assert push_row.sent_at is None and push_row.attempts == 1
    assert push_row.next_attempt_at is not None and "503" in push_row.last_error
    assert len(subscriptions(db)) == 1  # Still there: the push service may be busy.

    endpoint.status = 201
    later = now + dt.timedelta(minutes=5)
    worker.run_once(app.state.engine, settings, now=later, worker_id="w", scan=False)
    db.expire_all()
    assert db.get(OutboxMessage, push_row.id).sent_at is not None  # type: ignore[union-attr]
    assert device.read(endpoint.received[-1].body)["title"] == "No water in NF2"


@pytest.mark.parametrize("failure", ["unreachable", "refused"])
def test_a_failed_push_never_logs_the_devices_push_address(app: FastAPI, db: Session, settings: Settings,
                                                          endpoint: PushEndpoint, customer: Person,
                                                          failure: str) -> None:
    """A push address works like a password for sending to that device: the log names the device by
    its id only."""
    secret = "fcm-send-d3v1ce-t0ken"
    url = endpoint.url(secret) if failure == "refused" else f"http://127.0.0.1:{free_port()}/{secret}"
    endpoint.status = 500
    device = subscribe_directly(db, customer, FakeDevice(), url)
    now = at(today(), 12)
    incident_update(db, customer, "No water in NF2", now)
    with captured_logs() as logged:
        worker.run_once(app.state.engine, settings, now=now, worker_id="w", scan=False)
    lines = logged.lines()
    assert any(f"device {device.id}" in line for line in lines)  # The failure is logged, by id.
    assert not [line for line in lines if secret in line or "127.0.0.1:" in line]
    db.expire_all()
    push_row = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "push")).one()
    assert push_row.sent_at is None and push_row.attempts == 1


def test_quiet_hours_hold_notifications_back_until_they_end(app: FastAPI, db: Session, settings: Settings,
                                                           endpoint: PushEndpoint, customer: Person) -> None:
    existing = db.exec(select(UpdatePreferences).where(UpdatePreferences.person_id == customer.id)).first()
    if existing is not None:
        db.delete(existing)
        db.commit()
    prefer(db, customer, channels={"incidents": ["push"]}, quiet=(dt.time(21), dt.time(8)))
    device = FakeDevice()
    subscribe_directly(db, customer, device, endpoint.url("night"))
    night = at(today(), 23)
    update = incident_update(db, customer, "No water in NF2", night)
    worker.run_once(app.state.engine, settings, now=night, worker_id="w", scan=False)
    db.expire_all()
    waiting = db.exec(select(Delivery).where(Delivery.update_id == update.id,
                                             Delivery.channel == DeliveryChannel.push)).one()
    assert waiting.status is DeliveryStatus.waiting
    assert waiting.due_at.replace(tzinfo=dt.UTC) == at(today() + dt.timedelta(days=1), 8)
    assert endpoint.received == []

    morning = at(today() + dt.timedelta(days=1), 8)
    worker.run_once(app.state.engine, settings, now=morning, worker_id="w", scan=False)
    assert titles(device, endpoint) == ["No water in NF2"]


def test_a_safety_critical_update_comes_through_quiet_hours(app: FastAPI, db: Session, settings: Settings,
                                                           endpoint: PushEndpoint, customer: Person) -> None:
    device = FakeDevice()
    subscribe_directly(db, customer, device, endpoint.url("night"))
    night = at(today(), 23)
    incident_update(db, customer, "Gas leak: leave your home", night, safety_critical=True)
    worker.run_once(app.state.engine, settings, now=night, worker_id="w", scan=False)
    assert titles(device, endpoint) == ["Gas leak: leave your home"]


def test_over_the_daily_limit_notifications_wait_for_the_digest(app: FastAPI, db: Session, settings: Settings,
                                                               endpoint: PushEndpoint,
                                                               customer: Person) -> None:
    existing = db.exec(select(UpdatePreferences).where(UpdatePreferences.person_id == customer.id)).first()
    if existing is not None:
        db.delete(existing)
        db.commit()
    prefer(db, customer, channels={"incidents": ["push"]}, quiet=None, daily_cap=1)
    device = FakeDevice()
    subscribe_directly(db, customer, device, endpoint.url("capped"))
    noon = at(today(), 12)
    incident_update(db, customer, "First problem", noon)
    incident_update(db, customer, "Second problem", noon)
    worker.run_once(app.state.engine, settings, now=noon, worker_id="w", scan=False)
    assert [device.read(r.body)["title"] for r in endpoint.wait_for(1)] == ["First problem"]
    next_morning = at(today() + dt.timedelta(days=1), 8)
    worker.run_once(app.state.engine, settings, now=next_morning, worker_id="w", scan=False)
    digest = device.read(endpoint.wait_for(2)[1].body)
    assert digest["title"] == "1 update for you" and "Second problem" in digest["body"]
    assert digest["url"] == "http://testserver/updates"


def test_without_keys_push_messages_wait_in_the_outbox(tmp_path: Path) -> None:
    plain = make_settings(tmp_path)
    assert isinstance(channels.drivers(plain).push, channels.OutboxPush)
    assert "push" in channels.drivers(plain).waiting_channels()


def test_the_push_text_is_short_and_plain() -> None:
    from portal.updates.messages import Rendered

    long = Rendered("Your bill is late", "Your bill for £120.00 was due on 1 May. " * 10,
                    "Please pay it now.", "/account/bills/B1")
    text = delivery.push_text(long)
    assert len(text) <= delivery.PUSH_LIMIT and text.endswith("…")
    assert delivery.push_text(Rendered("2 updates for you", "- One\n- Two", "Sign in to see each one.",
                                       "/updates")) == "- One\n- Two\nSign in to see each one."


def test_your_data_lists_devices_but_never_their_push_address_or_keys(me: PageCheckingClient) -> None:
    device = FakeDevice()
    turn_on(me, device, "https://push.example.net/my-phone")
    response = me.get("/account/privacy/download")
    assert response.json()["notification_devices"] == [
        {"device": "Unknown device", "turned_on": response.json()["notification_devices"][0]["turned_on"],
         "last_sent": None}]
    for secret in ("push.example.net", device.p256dh):
        assert secret not in response.text
    page = me.get("/account/privacy/data").text
    assert "Devices that get notifications" in main_text(page) and "push.example.net" not in page


def test_the_demo_makes_throwaway_keys_without_touching_the_environment(tmp_path: Path, monkeypatch) -> None:
    import os

    from typer.testing import CliRunner

    import portal.cli
    from portal.cli import app as cli

    key_names = ("PORTAL_PUSH__VAPID_PUBLIC_KEY", "PORTAL_PUSH__VAPID_PRIVATE_KEY", "PORTAL_VAPID_PUBLIC_KEY",
                 "PORTAL_VAPID_PRIVATE_KEY")
    for name in (*key_names, "PORTAL_DEMO", "PORTAL_DATABASE_URL", "PORTAL_BASE_URL"):
        # Set first, so monkeypatch puts the environment back as it was after the demo changed it.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    served = []
    monkeypatch.setattr(portal.cli.uvicorn, "run", lambda app, **kwargs: served.append(app))
    result = CliRunner().invoke(cli, ["demo", "--database-file", str(tmp_path / "demo.db")])
    assert result.exit_code == 0, result.output
    [app] = served
    assert app.state.settings.push.available
    assert not set(key_names) & set(os.environ)
    app.state.engine.dispose()

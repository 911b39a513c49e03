"""Incidents at /ops (only operations staff find it): publishing with the error summary pattern, one
incident however often the form is sent, updates, corrections and the fix as new versions; and the
public /status page with what is wrong now and what was fixed lately."""

from __future__ import annotations

import datetime as dt
import re
import threading
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest
from sqlmodel import Session, col, select

from portal.accounts.models import ServiceKind
from portal.activity.models import ActivityEntry
from portal.clock import aware, utcnow
from portal.identity.models import Person
from portal.ops import service
from portal.ops.models import Confidence, Incident, IncidentStage, IncidentVersion
from portal.updates.fanout import fan_out_pending
from portal.updates.models import Update
from portal.updates.service import WORK_CHANNEL
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of

ZONE = ZoneInfo("Europe/London")


def main_text(html: str) -> str:
    return text_of(parse(html).find(".//main"))


def errors(html: str) -> list[tuple[str, str]]:
    """The error summary: (link, words) for each error."""
    summary = parse(html).find(".//div[@class='error-summary']")
    assert summary is not None, "no error summary"
    return [(a.get("href"), text_of(a)) for a in summary.findall(".//a")]


def value_of(html: str, name: str) -> str:
    root = parse(html)
    field = root.find(f".//input[@name='{name}']")
    if field is not None:
        return field.get("value") or ""
    area = root.find(f".//textarea[@name='{name}']")
    return (area.text or "").strip() if area is not None else ""


def checked(html: str, name: str) -> list[str]:
    return [i.get("value") for i in parse(html).findall(f".//input[@name='{name}']")
            if i.get("checked") is not None]


def tomorrow_at(hour: int) -> dict[str, str]:
    day = utcnow().astimezone(ZONE).date() + dt.timedelta(days=1)
    return {"fix-day": str(day.day), "fix-month": str(day.month), "fix-year": str(day.year),
            "fix-time": f"{hour:02d}:00"}


def good_incident(**changes: str) -> dict[str, str]:
    fields = {"service": "electricity", "areas": "NF2", "title": "Power cut in NF2",
              "what_is_happening": "There is no power in parts of NF2.",
              "who_is_affected": "Homes near Mill Lane.",
              "what_to_do": "Turn off your cooker. Call us if you need help.",
              "stage": "investigating", "confidence": "medium", **tomorrow_at(15)}
    fields.update(changes)
    return fields


def form_on(client: PageCheckingClient, path: str) -> dict[str, str]:
    """The hidden fields of the form on `path` (its CSRF token, reference or version)."""
    html = client.get(path).text
    hidden = parse(html).findall(".//main//input[@type='hidden']")
    return {i.get("name"): i.get("value") or "" for i in hidden}


def publish(client: PageCheckingClient, **changes: str) -> httpx.Response:
    return client.post("/ops/incidents/new", data={**form_on(client, "/ops/incidents/new"),
                                                    **good_incident(**changes)})


def incident_of(db: Session, response: httpx.Response) -> Incident:
    reference = response.url.path.rsplit("/", 1)[-1]
    db.expire_all()
    return db.exec(select(Incident).where(Incident.reference == reference)).one()


def versions_of(db: Session, incident: Incident) -> list[IncidentVersion]:
    db.expire_all()
    return list(db.exec(select(IncidentVersion).where(IncidentVersion.incident_id == incident.id)
                        .order_by(col(IncidentVersion.version))))


@pytest.fixture
def operator(db: Session) -> Person:
    """Someone in operations, who publishes incidents."""
    return factories.operations(db, "Robin Hale")


@pytest.fixture
def ops(client: PageCheckingClient, operator: Person) -> PageCheckingClient:
    factories.sign_in(client, operator)
    return client


@pytest.fixture
def water(db: Session, operator: Person) -> Incident:
    """Low water pressure, being fixed."""
    now = utcnow()
    return factories.incident(db, areas="NF3 NF7", title="Low water pressure in NF3 and NF7", by=operator,
                              created_at=now - dt.timedelta(hours=1), words={
                                  "what_is_happening": "A pump at our Hill Road station has stopped. "
                                                       "Your taps may run slowly.",
                                  "who_is_affected": "Homes and shops in NF3 and NF7.",
                                  "what_to_do": "Keep some water in a jug for drinking.",
                                  "expected_fix_at": now + dt.timedelta(hours=3),
                                  "confidence": Confidence.medium})


@pytest.fixture
def power_cut(db: Session, operator: Person) -> Incident:
    """A power cut in NF1 and NF2 three days ago, fixed four hours later, before any worker ran: its
    two versions are still to be sent."""
    cut_at = utcnow() - dt.timedelta(days=3)
    fixed_at = cut_at + dt.timedelta(hours=4)
    made = factories.incident(db, service=ServiceKind.electricity, areas="NF1 NF2",
                              title="Power cut in NF1 and NF2", stage=IncidentStage.investigating,
                              by=operator, created_at=cut_at,
                              words={"what_is_happening": "There is no power in parts of NF1 and NF2.",
                                     "created_at": cut_at})
    factories.save(db, IncidentVersion(
        incident_id=made.id, version=2, stage=IncidentStage.resolved, title="Power cut in NF1 and NF2",
        what_is_happening="A cable was damaged. We mended it and the power is back.",
        who_is_affected="Homes and shops in NF1 and NF2.", what_to_do="If your power is still off, call us.",
        created_by_person_id=operator.id, created_at=fixed_at))
    made.stage, made.version, made.updated_at, made.resolved_at = (IncidentStage.resolved, 2, fixed_at,
                                                                   fixed_at)
    return factories.save(db, made)


# Only operations staff


@pytest.mark.parametrize("who", ["customer", "no account", "adviser"])
def test_everyone_else_gets_page_not_found_on_every_ops_address(client, db, water, who) -> None:
    someone = {"customer": factories.customer, "no account": factories.person,
               "adviser": factories.adviser}[who](db)
    factories.sign_in(client, someone)
    token = client.csrf_token("/help")
    ref = water.reference
    for path in ("/ops", "/ops/incidents/new", f"/ops/incidents/{ref}", f"/ops/incidents/{ref}/update",
                 f"/ops/incidents/{ref}/correct", f"/ops/incidents/{ref}/resolve"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
    for path in ("/ops/incidents/new", f"/ops/incidents/{ref}/update", f"/ops/incidents/{ref}/correct",
                 f"/ops/incidents/{ref}/resolve"):
        response = client.post(path, data={"csrf_token": token, **good_incident(from_version="1")},
                               follow_redirects=False)
        assert response.status_code == 404, path
    assert len(db.exec(select(IncidentVersion)).all()) == 1  # Only the one there was.


def test_signed_out_visitors_are_asked_to_sign_in(client, water) -> None:
    for path in ("/ops", "/ops/incidents/new", f"/ops/incidents/{water.reference}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next={path}"


def test_operations_see_open_incidents_first_then_the_recently_fixed(ops, water, power_cut) -> None:
    response = ops.get("/ops")
    text = main_text(response.text)
    assert text_of(parse(response.text).find(".//h1")) == "Incidents"
    assert "Signed in as Robin Hale." in text
    # Open first, then the recently fixed; each links to its page.
    assert text.index("Open now") < text.index(water.reference) < text.index("Fixed in the last 30 days") \
        < text.index(power_cut.reference)
    links = [a.get("href") for a in parse(response.text).findall(".//main//a")]
    assert "/ops/incidents/new" in links and f"/ops/incidents/{water.reference}" in links


def test_unknown_references_are_not_found(ops) -> None:
    for path in ("/ops/incidents/IN-XXXXX", "/ops/incidents/nonsense%00", "/ops/incidents/IN-ZZZZZ/update"):
        assert ops.get(path).status_code == 404, path


# Publishing


def test_an_empty_form_names_every_field_to_fill_in(ops) -> None:
    response = ops.post("/ops/incidents/new", data=form_on(ops, "/ops/incidents/new"))
    assert response.status_code == 422
    assert text_of(parse(response.text).find(".//title")).startswith("Error: Publish an incident")
    assert errors(response.text) == [
        ("#service", "Choose the service with the problem"),
        ("#areas", "Enter the postcode districts, like NF1 NF2"),
        ("#title", "Enter a short title, like No water in parts of NF2"),
        ("#what_is_happening", "Say what is happening"),
        ("#who_is_affected", "Say who is affected"),
        ("#what_to_do", "Say what people should do"),
        ("#stage", "Choose where we are with it"),
        ("#fix-day", "Enter when you expect it fixed, or tick We do not know yet"),
    ]
    # Each link leads to its field, and each field says what is wrong too.
    root = parse(response.text)
    assert root.find(".//input[@id='fix-day']") is not None
    assert root.find(".//p[@id='areas-error']") is not None
    assert root.find(".//input[@id='areas']").get("aria-describedby") == "areas-hint areas-error"


def test_unknown_areas_and_a_past_fix_time_are_errors_and_what_was_typed_is_kept(ops, db) -> None:
    yesterday = utcnow().astimezone(ZONE).date() - dt.timedelta(days=1)
    response = publish(ops, areas="nf2, XX9 NF99", safety_critical="yes",
                       **{"fix-day": str(yesterday.day), "fix-month": str(yesterday.month),
                          "fix-year": str(yesterday.year)})
    assert response.status_code == 422
    assert errors(response.text) == [("#areas", "We do not serve XX9 NF99. Use districts like NF1 NF2."),
                                     ("#fix-day", "The fix time must be in the future")]
    html = response.text
    assert value_of(html, "title") == "Power cut in NF2"
    assert value_of(html, "areas") == "nf2, XX9 NF99"
    assert value_of(html, "what_to_do") == "Turn off your cooker. Call us if you need help."
    assert value_of(html, "fix-time") == "15:00"
    assert checked(html, "service") == ["electricity"]
    assert checked(html, "confidence") == ["medium"]
    assert checked(html, "safety_critical") == ["yes"]
    assert db.exec(select(Incident)).all() == []


@pytest.mark.parametrize(("fields", "error"), [
    ({"fix-day": "31", "fix-month": "2"}, ("#fix-day", "Enter a real date as numbers, like 27 3 2026")),
    ({"fix-time": "3pm"}, ("#fix-time", "Enter the time on the 24-hour clock, like 14:30")),
    ({"confidence": ""}, ("#confidence", "Choose how sure we are about the time")),
    ({"service": "broadband"}, ("#service", "Choose the service with the problem")),
    ({"title": "x" * 121}, ("#title", "The title must be 120 characters or fewer")),
])
def test_each_rule_has_its_own_error(ops, fields, error) -> None:
    response = publish(ops, **fields)
    assert response.status_code == 422
    assert errors(response.text) == [error]


def test_publishing_stores_the_incident_and_returns_before_anyone_is_told(ops, operator, db) -> None:
    reached = {factories.customer(db, account_fields={"postcode": postcode}).id  # Electricity.
               for postcode in ("NF2 9EF", "NF1 2AB")}
    response = publish(ops, areas="nf2 NF1 nf2")
    assert response.status_code == 200 and re.fullmatch(r"/ops/incidents/IN-\w{5}", response.url.path)
    incident = incident_of(db, response)
    assert incident.areas == "NF2 NF1" and incident.stage is IncidentStage.investigating
    (first,) = versions_of(db, incident)
    assert first.version == 1 and first.title == "Power cut in NF2"
    assert first.confidence is Confidence.medium
    assert aware(first.expected_fix_at).astimezone(ZONE).hour == 15
    assert first.fanned_out_at is None  # The worker tells people, not the request.
    text = main_text(response.text)
    assert f"You published {incident.reference}" in text
    assert "We are sending it to the people affected now." in text
    assert "Sending…" in text
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "incident_published",
                                               ActivityEntry.actor_person_id == operator.id)).one()
    # Once the worker has fanned it out, the page says how many people it reached (the customers with
    # electricity in NF2 and NF1), for this version.
    assert fan_out_pending(ops.app.state.engine, "test-worker", utcnow()) >= 1
    told = db.exec(select(Update).where(Update.incident_id == incident.id)).all()
    assert {u.person_id for u in told} == reached
    assert all(u.link == f"/status#{incident.reference}" for u in told)
    page = main_text(ops.get(response.url.path).text)
    assert "Sent to 2 people." in page


def test_publishing_wakes_the_workers(ops) -> None:
    """After the commit, a nudge on the workers' channel, so the fan-out starts at once."""
    broker = ops.app.state.broker
    listening, heard = threading.Event(), []

    async def listen() -> None:
        async with broker.subscribe(WORK_CHANNEL) as nudges:
            listening.set()
            heard.append(await anext(nudges))

    done = ops.portal.start_task_soon(listen)
    assert listening.wait(5)
    assert publish(ops).status_code == 200
    done.result(timeout=5)
    assert heard == [{}]


def test_we_do_not_know_yet_needs_no_time(ops, db) -> None:
    response = publish(ops, fix_unknown="yes", confidence="",
                       **{"fix-day": "", "fix-month": "", "fix-year": "", "fix-time": ""})
    assert response.status_code == 200
    (first,) = versions_of(db, incident_of(db, response))
    assert first.expected_fix_at is None
    assert "We do not know yet when it will be fixed." in main_text(response.text)


def test_sending_the_form_twice_makes_one_incident(ops, db) -> None:
    form = {**form_on(ops, "/ops/incidents/new"), **good_incident()}
    first = ops.post("/ops/incidents/new", data=form)
    second = ops.post("/ops/incidents/new", data=form)
    assert first.url.path == second.url.path
    assert len(db.exec(select(Incident).where(Incident.areas == "NF2")).all()) == 1
    # A fresh form is a new incident.
    assert publish(ops).url.path != first.url.path


def test_odd_input_is_an_error_or_a_new_incident_never_a_crash(ops, water, db) -> None:
    # A reference that is taken (or not one of ours) in the form: a new incident all the same.
    taken = water.reference
    for reference in (taken, "nonsense\x00", ""):
        response = ops.post("/ops/incidents/new", data={
            **form_on(ops, "/ops/incidents/new"), **good_incident(title=f"Cut {reference[:3]}"),
            "reference": reference})
        assert response.status_code == 200 and response.url.path != f"/ops/incidents/{taken}"
        assert incident_of(db, response).reference != taken
    assert len(versions_of(db, water)) == 1
    response = publish(ops, **{"fix-year": "9999", "fix-month": "12", "fix-day": "31", "fix-time": "23:59"})
    assert response.status_code in (200, 422)
    response = change(ops, taken, "update", **good_incident(), from_version="x" * 50)
    assert response.status_code == 409


# Updates, corrections and the fix


def change(client: PageCheckingClient, reference: str, kind: str, **fields: str) -> httpx.Response:
    path = f"/ops/incidents/{reference}/{kind}"
    return client.post(path, data={**form_on(client, path), **fields})


def test_update_correct_and_resolve_each_make_a_version(ops, db) -> None:
    incident = incident_of(db, publish(ops))
    ref = incident.reference
    # The update form comes filled in with what we say now.
    form = ops.get(f"/ops/incidents/{ref}/update").text
    assert value_of(form, "title") == "Power cut in NF2" and checked(form, "stage") == ["investigating"]
    assert value_of(form, "fix-time") == "15:00" and value_of(form, "from_version") == "1"

    updated = change(ops, ref, "update", **good_incident(stage="fixing", confidence="high",
                                                           what_is_happening="A cable was cut."))
    assert "Your update is published" in main_text(updated.text)
    corrected = change(ops, ref, "correct", **good_incident(stage="fixing", areas="NF1",
                                                              what_is_happening="A cable was cut in NF1."))
    assert "Your correction is published" in main_text(corrected.text)
    fixed = change(ops, ref, "resolve", what_is_happening="We mended the cable. Power is back.")
    assert "Marked as fixed" in main_text(fixed.text)

    _v1, v2, v3, v4 = versions_of(db, incident)
    assert (v2.stage, v2.confidence, v2.is_correction) == (IncidentStage.fixing, Confidence.high, False)
    assert (v3.what_is_happening, v3.is_correction) == ("A cable was cut in NF1.", True)
    assert (v4.stage, v4.what_is_happening, v4.title) == (IncidentStage.resolved,
                                                          "We mended the cable. Power is back.",
                                                          "Power cut in NF2")
    db.refresh(incident)
    assert (incident.version, incident.stage, incident.areas) == (4, IncidentStage.resolved, "NF1")
    assert incident.resolved_at is not None
    actions = db.exec(select(ActivityEntry.action).where(col(ActivityEntry.detail).startswith(ref))).all()
    assert sorted(actions) == ["incident_correct", "incident_published", "incident_resolve",
                               "incident_update"]
    # The history, newest first, each version waiting for the worker.
    page = main_text(ops.get(f"/ops/incidents/{ref}").text)
    assert page.index("Version 4") < page.index("Version 3") < page.index("Version 1")
    assert page.count("Sending…") == 4
    # A fixed incident can be corrected but not updated or fixed again.
    assert ops.get(f"/ops/incidents/{ref}/update").url.path == f"/ops/incidents/{ref}"
    assert ops.get(f"/ops/incidents/{ref}/resolve").url.path == f"/ops/incidents/{ref}"
    correcting = ops.get(f"/ops/incidents/{ref}/correct").text
    assert value_of(correcting, "what_is_happening") == "We mended the cable. Power is back."


def test_change_forms_have_the_same_rules(ops, db) -> None:
    ref = incident_of(db, publish(ops)).reference
    response = change(ops, ref, "update", **good_incident(areas="NF0", title=""))
    assert response.status_code == 422
    assert errors(response.text) == [("#areas", "We do not serve NF0. Use districts like NF1 NF2."),
                                     ("#title", "Enter a short title, like No water in parts of NF2")]
    assert text_of(parse(response.text).find(".//title")).startswith("Error: Post an update")
    response = change(ops, ref, "resolve", what_is_happening="")
    assert response.status_code == 422
    assert errors(response.text) == [("#what_is_happening", "Say what we fixed")]


def test_the_history_says_whom_each_version_reached(ops, power_cut, db) -> None:
    """The power cut was fixed before any worker ran: only the fix goes out, to the two customers
    with electricity in NF1 and NF2."""
    factories.customer(db, "Alex Green", account_fields={"postcode": "NF1 2AB"})
    factories.customer(db, "Bea Khan", account_fields={"postcode": "NF2 9EF"})
    factories.customer(db, "Chris Lloyd", account_fields={"postcode": "NF3 7CD"})  # Elsewhere.
    factories.customer(db, "Dana Okafor", services=(ServiceKind.water,),  # No electricity from us.
                       account_fields={"postcode": "NF2 1AB"})
    path = f"/ops/incidents/{power_cut.reference}"
    assert "Sending…" in main_text(ops.get(path).text)
    fan_out_pending(ops.app.state.engine, "test-worker", utcnow())
    page = main_text(ops.get(path).text)
    assert page.index("Version 2") < page.index("Sent to 2 people.") < page.index("Version 1") \
        < page.index("Not sent. A newer version came before we sent it.")
    names = db.exec(select(Person.name).join(Update, col(Update.person_id) == col(Person.id)).where(
        Update.source_key.startswith("incident:"), Update.link == f"/status#{power_cut.reference}")).all()
    assert sorted(names) == ["Alex Green", "Bea Khan"]


def test_a_change_sent_twice_is_made_once(ops, db) -> None:
    incident = incident_of(db, publish(ops))
    path = f"/ops/incidents/{incident.reference}/update"
    form = {**form_on(ops, path), **good_incident(stage="fixing")}
    assert ops.post(path, data=form).url.path == f"/ops/incidents/{incident.reference}"
    assert ops.post(path, data=form).url.path == f"/ops/incidents/{incident.reference}"
    assert [v.version for v in versions_of(db, incident)] == [1, 2]


def test_a_change_written_against_an_old_version_is_not_lost_or_forced(ops, db) -> None:
    incident = incident_of(db, publish(ops))
    path = f"/ops/incidents/{incident.reference}/update"
    old_form = form_on(ops, path)
    change(ops, incident.reference, "update", **good_incident(stage="fixing"))
    response = ops.post(path, data={**old_form, **good_incident(what_is_happening="Something else.")})
    assert response.status_code == 409
    assert "Someone changed this while you were writing" in main_text(response.text)
    assert value_of(response.text, "what_is_happening") == "Something else."
    assert value_of(response.text, "from_version") == "2"  # Sending it again now replaces version 2.
    assert [v.version for v in versions_of(db, incident)] == [1, 2]


# The public status page


def test_status_shows_what_is_wrong_now_and_what_was_fixed_lately(client, db, water, power_cut) -> None:
    response = client.get("/status")
    assert response.status_code == 200
    root = parse(response.text)
    assert text_of(root.find(".//h1")) == "Service status"
    section = root.find(f".//section[@id='{water.reference}']")  # So /status#<reference> leads to it.
    assert section is not None and root.find(f".//section[@id='{power_cut.reference}']") is not None
    text = text_of(section)
    for words in ("Low water pressure in NF3 and NF7", "Fixing it", "Water", "NF3, NF7",
                  "A pump at our Hill Road station has stopped.", "Homes and shops in NF3 and NF7.",
                  "Keep some water in a jug", "We expect it to be fixed by",
                  "We are fairly sure about this time.", "Last updated"):
        assert words in text, words
    page = main_text(response.text)
    assert page.index("Problems now") < page.index("Low water") \
        < page.index("Fixed in the last 7 days") < page.index("Power cut in NF1 and NF2")
    assert root.find(".//main//a[@href='/help']") is not None  # Talk to a person.
    # Fixed more than 7 days ago: gone from the page.
    power_cut.resolved_at = utcnow() - dt.timedelta(days=8)
    factories.save(db, power_cut)
    assert parse(client.get("/status").text).find(f".//section[@id='{power_cut.reference}']") is None


def test_status_says_when_nothing_is_wrong(client, db) -> None:
    text = main_text(client.get("/status").text)
    assert "Nothing wrong right now. All our services are working as normal." in text
    assert "Fixed in the last 7 days" not in text


def test_status_shows_a_correction_as_one(ops, client, db) -> None:
    incident = incident_of(db, publish(ops))
    change(ops, incident.reference, "correct", **good_incident(title="Power cut in NF2 and NF1",
                                                               areas="NF2 NF1"))
    section = parse(ops.get("/status").text).find(f".//section[@id='{incident.reference}']")
    assert "Correction" in text_of(section) and "Power cut in NF2 and NF1" in text_of(section)
    assert "NF2, NF1" in text_of(section)


def test_the_service_layer_refuses_people_who_may_not_publish(db) -> None:
    from portal.access import Actor

    customer = factories.customer(db)
    assert service.by_reference(db, Actor(person_id=customer.id, name=customer.name),
                                factories.incident(db).reference) is None

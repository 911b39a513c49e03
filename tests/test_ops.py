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
from sqlmodel import Session, col, delete, select

from portal.activity.models import ActivityEntry
from portal.clock import aware, utcnow
from portal.identity.models import Person
from portal.ops import service
from portal.ops.models import Confidence, Incident, IncidentStage, IncidentVersion
from portal.updates.fanout import fan_out_pending
from portal.updates.models import Update
from portal.updates.service import WORK_CHANNEL
from tests.conftest import PageCheckingClient, sign_in
from tests.page_checks import parse, text_of

pytestmark = pytest.mark.demo  # Not yet on made data: see tests/factories.py.

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
def olwen(client: PageCheckingClient) -> PageCheckingClient:
    assert sign_in(client, "olwen").url.path == "/ops"
    return client


# Only operations staff


@pytest.mark.parametrize("persona", ["sam", "ceri", "dewi"])
def test_everyone_else_gets_page_not_found_on_every_ops_address(client, db, persona) -> None:
    sign_in(client, persona)
    token = client.csrf_token("/help")
    for path in ("/ops", "/ops/incidents/new", "/ops/incidents/IN-WATER", "/ops/incidents/IN-WATER/update",
                 "/ops/incidents/IN-WATER/correct", "/ops/incidents/IN-WATER/resolve"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
    for path in ("/ops/incidents/new", "/ops/incidents/IN-WATER/update", "/ops/incidents/IN-WATER/correct",
                 "/ops/incidents/IN-WATER/resolve"):
        response = client.post(path, data={"csrf_token": token, **good_incident(from_version="1")},
                               follow_redirects=False)
        assert response.status_code == 404, path
    assert len(db.exec(select(IncidentVersion)).all()) == 3  # Only the sample ones.


def test_signed_out_visitors_are_asked_to_sign_in(client) -> None:
    for path in ("/ops", "/ops/incidents/new", "/ops/incidents/IN-WATER"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next={path}"


def test_olwen_is_on_the_demo_page_and_starts_at_her_incidents(client) -> None:
    page = client.get("/demo").text
    assert "Olwen Price" in page
    assert "Works in operations." in page
    response = sign_in(client, "olwen")
    assert response.url.path == "/ops"
    text = main_text(response.text)
    assert text_of(parse(response.text).find(".//h1")) == "Incidents"
    assert "Signed in as Olwen Price." in text
    # Open first, then the recently fixed; each links to its page.
    assert text.index("Open now") < text.index("IN-WATER") < text.index("Fixed in the last 30 days") \
        < text.index("IN-AMPER")
    links = [a.get("href") for a in parse(response.text).findall(".//main//a")]
    assert "/ops/incidents/new" in links and "/ops/incidents/IN-WATER" in links


def test_unknown_references_are_not_found(olwen) -> None:
    for path in ("/ops/incidents/IN-XXXXX", "/ops/incidents/nonsense%00", "/ops/incidents/IN-ZZZZZ/update"):
        assert olwen.get(path).status_code == 404, path


# Publishing


def test_an_empty_form_names_every_field_to_fill_in(olwen) -> None:
    response = olwen.post("/ops/incidents/new", data=form_on(olwen, "/ops/incidents/new"))
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


def test_unknown_areas_and_a_past_fix_time_are_errors_and_what_was_typed_is_kept(olwen, db) -> None:
    yesterday = utcnow().astimezone(ZONE).date() - dt.timedelta(days=1)
    response = publish(olwen, areas="nf2, XX9 NF99", safety_critical="yes",
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
    assert len(db.exec(select(Incident)).all()) == 2  # Only the sample ones.


@pytest.mark.parametrize(("fields", "error"), [
    ({"fix-day": "31", "fix-month": "2"}, ("#fix-day", "Enter a real date as numbers, like 27 3 2026")),
    ({"fix-time": "3pm"}, ("#fix-time", "Enter the time on the 24-hour clock, like 14:30")),
    ({"confidence": ""}, ("#confidence", "Choose how sure we are about the time")),
    ({"service": "broadband"}, ("#service", "Choose the service with the problem")),
    ({"title": "x" * 121}, ("#title", "The title must be 120 characters or fewer")),
])
def test_each_rule_has_its_own_error(olwen, fields, error) -> None:
    response = publish(olwen, **fields)
    assert response.status_code == 422
    assert errors(response.text) == [error]


def test_publishing_stores_the_incident_and_returns_before_anyone_is_told(olwen, db) -> None:
    response = publish(olwen, areas="nf2 NF1 nf2")
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
    olwen_id = db.exec(select(Person.id).where(Person.name == "Olwen Price")).one()
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "incident_published",
                                               ActivityEntry.actor_person_id == olwen_id)).one()
    # Once the worker has fanned it out, the page says how many people it reached: Sam and Amina
    # (electricity in NF2 and NF1), for this version.
    assert fan_out_pending(olwen.app.state.engine, "test-worker", utcnow()) >= 1
    sam = db.exec(select(Person.id).where(Person.name == "Sam Taylor")).one()
    told = db.exec(select(Update).where(Update.incident_id == incident.id)).all()
    assert {u.person_id for u in told} >= {sam}
    assert all(u.link == f"/status#{incident.reference}" for u in told)
    page = main_text(olwen.get(response.url.path).text)
    assert f"Sent to {len(told)} people." in page


def test_publishing_wakes_the_workers(olwen) -> None:
    """After the commit, a nudge on the workers' channel, so the fan-out starts at once."""
    broker = olwen.app.state.broker
    listening, heard = threading.Event(), []

    async def listen() -> None:
        async with broker.subscribe(WORK_CHANNEL) as nudges:
            listening.set()
            heard.append(await anext(nudges))

    done = olwen.portal.start_task_soon(listen)
    assert listening.wait(5)
    assert publish(olwen).status_code == 200
    done.result(timeout=5)
    assert heard == [{}]


def test_we_do_not_know_yet_needs_no_time(olwen, db) -> None:
    response = publish(olwen, fix_unknown="yes", confidence="",
                       **{"fix-day": "", "fix-month": "", "fix-year": "", "fix-time": ""})
    assert response.status_code == 200
    (first,) = versions_of(db, incident_of(db, response))
    assert first.expected_fix_at is None
    assert "We do not know yet when it will be fixed." in main_text(response.text)


def test_sending_the_form_twice_makes_one_incident(olwen, db) -> None:
    form = {**form_on(olwen, "/ops/incidents/new"), **good_incident()}
    first = olwen.post("/ops/incidents/new", data=form)
    second = olwen.post("/ops/incidents/new", data=form)
    assert first.url.path == second.url.path
    assert len(db.exec(select(Incident).where(Incident.areas == "NF2")).all()) == 1
    # A fresh form is a new incident.
    assert publish(olwen).url.path != first.url.path


def test_odd_input_is_an_error_or_a_new_incident_never_a_crash(olwen, db) -> None:
    # A reference that is taken (or not one of ours) in the form: a new incident all the same.
    for reference in ("IN-WATER", "nonsense\x00", ""):
        response = olwen.post("/ops/incidents/new", data={
            **form_on(olwen, "/ops/incidents/new"), **good_incident(title=f"Cut {reference[:3]}"),
            "reference": reference})
        assert response.status_code == 200 and response.url.path != "/ops/incidents/IN-WATER"
        assert incident_of(db, response).reference != "IN-WATER"
    assert len(versions_of(db, db.exec(select(Incident).where(Incident.reference == "IN-WATER")).one())) == 1
    response = publish(olwen, **{"fix-year": "9999", "fix-month": "12", "fix-day": "31", "fix-time": "23:59"})
    assert response.status_code in (200, 422)
    response = change(olwen, "IN-WATER", "update", **good_incident(), from_version="x" * 50)
    assert response.status_code == 409


# Updates, corrections and the fix


def change(client: PageCheckingClient, reference: str, kind: str, **fields: str) -> httpx.Response:
    path = f"/ops/incidents/{reference}/{kind}"
    return client.post(path, data={**form_on(client, path), **fields})


def test_update_correct_and_resolve_each_make_a_version(olwen, db) -> None:
    incident = incident_of(db, publish(olwen))
    ref = incident.reference
    # The update form comes filled in with what we say now.
    form = olwen.get(f"/ops/incidents/{ref}/update").text
    assert value_of(form, "title") == "Power cut in NF2" and checked(form, "stage") == ["investigating"]
    assert value_of(form, "fix-time") == "15:00" and value_of(form, "from_version") == "1"

    updated = change(olwen, ref, "update", **good_incident(stage="fixing", confidence="high",
                                                           what_is_happening="A cable was cut."))
    assert "Your update is published" in main_text(updated.text)
    corrected = change(olwen, ref, "correct", **good_incident(stage="fixing", areas="NF1",
                                                              what_is_happening="A cable was cut in NF1."))
    assert "Your correction is published" in main_text(corrected.text)
    fixed = change(olwen, ref, "resolve", what_is_happening="We mended the cable. Power is back.")
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
    page = main_text(olwen.get(f"/ops/incidents/{ref}").text)
    assert page.index("Version 4") < page.index("Version 3") < page.index("Version 1")
    assert page.count("Sending…") == 4
    # A fixed incident can be corrected but not updated or fixed again.
    assert olwen.get(f"/ops/incidents/{ref}/update").url.path == f"/ops/incidents/{ref}"
    assert olwen.get(f"/ops/incidents/{ref}/resolve").url.path == f"/ops/incidents/{ref}"
    correcting = olwen.get(f"/ops/incidents/{ref}/correct").text
    assert value_of(correcting, "what_is_happening") == "We mended the cable. Power is back."


def test_change_forms_have_the_same_rules(olwen, db) -> None:
    ref = incident_of(db, publish(olwen)).reference
    response = change(olwen, ref, "update", **good_incident(areas="NF0", title=""))
    assert response.status_code == 422
    assert errors(response.text) == [("#areas", "We do not serve NF0. Use districts like NF1 NF2."),
                                     ("#title", "Enter a short title, like No water in parts of NF2")]
    assert text_of(parse(response.text).find(".//title")).startswith("Error: Post an update")
    response = change(olwen, ref, "resolve", what_is_happening="")
    assert response.status_code == 422
    assert errors(response.text) == [("#what_is_happening", "Say what we fixed")]


def test_the_history_says_whom_each_version_reached(olwen, db) -> None:
    """The sample power cut was fixed before any worker ran: only the fix goes out, to the two
    demo customers with electricity in NF1 and NF2."""
    assert "Sending…" in main_text(olwen.get("/ops/incidents/IN-AMPER").text)
    fan_out_pending(olwen.app.state.engine, "test-worker", utcnow())
    page = main_text(olwen.get("/ops/incidents/IN-AMPER").text)
    assert page.index("Version 2") < page.index("Sent to 2 people.") < page.index("Version 1") \
        < page.index("Not sent. A newer version came before we sent it.")
    names = db.exec(select(Person.name).join(Update, col(Update.person_id) == col(Person.id)).where(
        Update.source_key.startswith("incident:"), Update.link == "/status#IN-AMPER")).all()
    assert sorted(names) == ["Amina Haddad", "Sam Taylor"]


def test_a_change_sent_twice_is_made_once(olwen, db) -> None:
    incident = incident_of(db, publish(olwen))
    path = f"/ops/incidents/{incident.reference}/update"
    form = {**form_on(olwen, path), **good_incident(stage="fixing")}
    assert olwen.post(path, data=form).url.path == f"/ops/incidents/{incident.reference}"
    assert olwen.post(path, data=form).url.path == f"/ops/incidents/{incident.reference}"
    assert [v.version for v in versions_of(db, incident)] == [1, 2]


def test_a_change_written_against_an_old_version_is_not_lost_or_forced(olwen, db) -> None:
    incident = incident_of(db, publish(olwen))
    path = f"/ops/incidents/{incident.reference}/update"
    old_form = form_on(olwen, path)
    change(olwen, incident.reference, "update", **good_incident(stage="fixing"))
    response = olwen.post(path, data={**old_form, **good_incident(what_is_happening="Something else.")})
    assert response.status_code == 409
    assert "Someone changed this while you were writing" in main_text(response.text)
    assert value_of(response.text, "what_is_happening") == "Something else."
    assert value_of(response.text, "from_version") == "2"  # Sending it again now replaces version 2.
    assert [v.version for v in versions_of(db, incident)] == [1, 2]


# The public status page


def test_status_shows_what_is_wrong_now_and_what_was_fixed_lately(client, db) -> None:
    old = db.exec(select(Incident).where(Incident.reference == "IN-AMPER")).one()
    response = client.get("/status")
    assert response.status_code == 200
    root = parse(response.text)
    assert text_of(root.find(".//h1")) == "Service status"
    water = root.find(".//section[@id='IN-WATER']")  # So /status#IN-WATER leads to it.
    assert water is not None and root.find(".//section[@id='IN-AMPER']") is not None
    text = text_of(water)
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
    old.resolved_at = utcnow() - dt.timedelta(days=8)
    db.add(old)
    db.commit()
    assert parse(client.get("/status").text).find(".//section[@id='IN-AMPER']") is None


def test_status_says_when_nothing_is_wrong(client, db) -> None:
    db.exec(delete(IncidentVersion))
    db.exec(delete(Incident))
    db.commit()
    text = main_text(client.get("/status").text)
    assert "Nothing wrong right now. All our services are working as normal." in text
    assert "Fixed in the last 7 days" not in text


def test_status_shows_a_correction_as_one(olwen, client, db) -> None:
    incident = incident_of(db, publish(olwen))
    change(olwen, incident.reference, "correct", **good_incident(title="Power cut in NF2 and NF1",
                                                                 areas="NF2 NF1"))
    section = parse(olwen.get("/status").text).find(f".//section[@id='{incident.reference}']")
    assert "Correction" in text_of(section) and "Power cut in NF2 and NF1" in text_of(section)
    assert "NF2, NF1" in text_of(section)


def test_the_service_layer_refuses_people_who_may_not_publish(db) -> None:
    from portal.access import Actor

    sam = Actor(person_id=1, name="Sam Taylor")
    assert service.by_reference(db, sam, "IN-WATER") is None

"""Sample incidents, so testers can open /status and every /ops page straight away: one still being
fixed, and one fixed a few days ago. References are fixed so the accessibility inventory can name
them. Times are from the moment of seeding.

They are left for the worker to fan out, as a real publish would be, so the demo customers they reach
find them in their updates: the water one reaches Gareth (NF3) and Margaret (NF7), the power cut
Amina (NF1) and Sam (NF2)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from portal.accounts.models import ServiceKind
from portal.clock import utcnow
from portal.db import id_of
from portal.identity.models import Person
from portal.ops.models import Confidence, Incident, IncidentStage, IncidentVersion

OPEN_REFERENCE = "IN-WATER"
FIXED_REFERENCE = "IN-AMPER"


def _quarter_hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def seed_incidents(db: Session) -> None:
    if db.exec(select(Incident).where(Incident.reference == OPEN_REFERENCE)).first():
        return
    now = _quarter_hour(utcnow())
    olwen = db.exec(select(Person).where(Person.name == "Olwen Price").order_by(col(Person.id))).first()
    by = olwen.id if olwen else None

    water = Incident(reference=OPEN_REFERENCE, service=ServiceKind.water, areas="NF3 NF7",
                     stage=IncidentStage.fixing, version=1, created_by_person_id=by,
                     created_at=now - dt.timedelta(hours=1), updated_at=now - dt.timedelta(hours=1))
    db.add(water)
    db.flush()
    db.add(IncidentVersion(
        incident_id=id_of(water), version=1, stage=IncidentStage.fixing,
        title="Low water pressure in NF3 and NF7",
        what_is_happening="A pump at our Hill Road station has stopped. Your taps may run slowly, and "
                          "upstairs taps may stop.",
        who_is_affected="Homes and shops in NF3 and NF7.",
        what_to_do="Keep some water in a jug for drinking. Do not run a bath. If you need water "
                   "brought to you, call us.",
        expected_fix_at=now + dt.timedelta(hours=3), confidence=Confidence.medium,
        created_by_person_id=by, created_at=now - dt.timedelta(hours=1)))

    cut_at = now - dt.timedelta(days=3, hours=5)
    fixed_at = cut_at + dt.timedelta(hours=4)
    power = Incident(reference=FIXED_REFERENCE, service=ServiceKind.electricity, areas="NF1 NF2",
                     stage=IncidentStage.resolved, version=2, created_by_person_id=by,
                     created_at=cut_at, updated_at=fixed_at, resolved_at=fixed_at)
    db.add(power)
    db.flush()
    power_id = id_of(power)
    db.add(IncidentVersion(
        incident_id=power_id, version=1, stage=IncidentStage.investigating, title="Power cut in NF1 and NF2",
        what_is_happening="There is no power in parts of NF1 and NF2. We are finding out why.",
        who_is_affected="Some streets near Station Road and Mill Lane.",
        what_to_do="Turn off things that heat up, like cookers and irons. If someone at home needs "
                   "power for medical care, call us now.",
        expected_fix_at=cut_at + dt.timedelta(hours=6), confidence=Confidence.low,
        created_by_person_id=by, created_at=cut_at))
    db.add(IncidentVersion(
        incident_id=power_id, version=2, stage=IncidentStage.resolved, title="Power cut in NF1 and NF2",
        what_is_happening="A cable under Station Road was damaged. We mended it and the power is back.",
        who_is_affected="Some streets near Station Road and Mill Lane.",
        what_to_do="If your power is still off, check your trip switch, then call us.",
        confidence=Confidence.low, created_by_person_id=by, created_at=fixed_at))

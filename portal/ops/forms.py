"""The forms operations staff fill in: a new incident, an update or a correction, and "fixed"."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import ClassVar
from zoneinfo import ZoneInfo

from portal.accounts.models import ServiceKind
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.ops.models import Confidence, IncidentStage, IncidentVersion
from portal.ops.service import Draft
from portal.web.forms import Field, Form

TITLE_MAX = 120
TEXT_MAX = 1000
WHO_MAX = 500
AREAS_MAX = 500
HIDDEN = 100
OPEN_STAGES = (IncidentStage.investigating.value, IncidentStage.fixing.value)
YES = "yes"
TIME = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def split_areas(value: str) -> list[str]:
    """"nf1, NF2 nf1" -> ["NF1", "NF2"]."""
    found: list[str] = []
    for area in re.split(r"[\s,;]+", value.upper()):
        if area and area not in found:
            found.append(area)
    return found


def version_number(value: str) -> int:
    """The version a form was written against; -1 if it does not say (it will then be stale)."""
    return int(value) if value.isdigit() and len(value) < 9 else -1


def _confidence(value: str) -> Confidence | None:
    return Confidence(value) if value else None


def _text_fields() -> tuple[Field, ...]:
    return (
        Field("title", required=_l("Enter a short title, like No water in parts of NF2"),
              max_length=TITLE_MAX, too_long=_l("The title must be 120 characters or fewer")),
        Field("what_is_happening", multiline=True, required=_l("Say what is happening"), max_length=TEXT_MAX,
              too_long=_l("What is happening is too long. Use 1000 characters or fewer.")),
        Field("who_is_affected", multiline=True, required=_l("Say who is affected"), max_length=WHO_MAX,
              too_long=_l("Who is affected is too long. Use 500 characters or fewer.")),
        Field("what_to_do", multiline=True, required=_l("Say what people should do"), max_length=TEXT_MAX,
              too_long=_l("What people should do must be 1000 characters or fewer")),
    )


@dataclass(frozen=True)
class IncidentData:
    service: ServiceKind
    areas: str  # As typed: the form's `areas` are the districts in it.
    title: str
    what_is_happening: str
    who_is_affected: str
    what_to_do: str
    stage: IncidentStage
    fix_day: str  # The fix date and time: the form's `expected_fix_at`.
    fix_month: str
    fix_year: str
    fix_time: str
    fix_unknown: bool
    confidence: Confidence | None
    safety_critical: bool
    reference: str
    from_version: int


@dataclass
class IncidentForm(Form[IncidentData]):
    """A new incident, an update, or a correction: every field, filled in again each time."""

    fields: ClassVar = (
        Field("service", required=_l("Choose the service with the problem"),
              choices=lambda: [kind.value for kind in ServiceKind],
              invalid=_l("Choose the service with the problem"), parse=ServiceKind),
        Field("areas", required=_l("Enter the postcode districts, like NF1 NF2"), max_length=AREAS_MAX,
              too_long=_l("The list of districts must be 500 characters or fewer")),
        *_text_fields(),
        Field("stage", required=_l("Choose where we are with it"), choices=lambda: OPEN_STAGES,
              invalid=_l("Choose where we are with it"), parse=IncidentStage),
        Field("fix-day", max_length=2, normalise=_digits),
        Field("fix-month", max_length=2, normalise=_digits),
        Field("fix-year", max_length=4, normalise=_digits),
        Field("fix-time", max_length=10),
        Field("fix_unknown", max_length=HIDDEN, parse=bool),
        Field("confidence", choices=lambda: [c.value for c in Confidence],
              invalid=_l("Choose how sure we are about the time"), parse=_confidence),
        Field("safety_critical", max_length=HIDDEN, parse=bool),
        # Hidden: never an error anyone could act on; checked where they are used.
        Field("reference", max_length=HIDDEN),
        Field("from_version", max_length=HIDDEN, parse=version_number),
    )

    # Set by `validate_at`.
    areas: tuple[str, ...] = ()
    expected_fix_at: dt.datetime | None = None

    @classmethod
    def filled_from(cls, service: ServiceKind, areas: str, safety_critical: bool,
                     version: IncidentVersion, time_zone: str) -> IncidentForm:
        """Filled in with what we say now, for an update or a correction."""
        fix: dict[str, str] = {}
        if version.expected_fix_at is not None:
            local = version.expected_fix_at.replace(tzinfo=version.expected_fix_at.tzinfo or dt.UTC
                                                    ).astimezone(ZoneInfo(time_zone))
            fix = {"fix-day": str(local.day), "fix-month": str(local.month), "fix-year": str(local.year),
                   "fix-time": local.strftime("%H:%M")}
        return cls.blank(service=service.value, areas=areas, title=version.title,
                         what_is_happening=version.what_is_happening,
                         who_is_affected=version.who_is_affected, what_to_do=version.what_to_do,
                         stage=version.stage.value if version.stage.value in OPEN_STAGES else "",
                         confidence=version.confidence.value,
                         fix_unknown="" if fix else YES, safety_critical=YES if safety_critical else "",
                         from_version=str(version.version), **fix)

    def validate_at(self, now: dt.datetime, time_zone: str, service_areas: list[str]) -> bool:
        """The field rules, then the ones that need to know the time and the districts we serve."""
        self.validate()
        self._check_areas(service_areas)
        self._check_fix(now, time_zone)
        return not self.errors

    def _check_areas(self, service_areas: list[str]) -> None:
        if "areas" in self.errors or not self.values["areas"]:
            return
        areas = split_areas(self.values["areas"])
        served = {area.upper() for area in service_areas}
        unknown = [area for area in areas if area not in served]
        if unknown:
            self.error("areas", _("We do not serve %(areas)s. Use districts like NF1 NF2.",
                                  areas=" ".join(unknown)))
        elif not areas:
            self.error("areas", _l("Enter the postcode districts, like NF1 NF2"))
        self.areas = tuple(areas)

    def _check_fix(self, now: dt.datetime, time_zone: str) -> None:
        if self.values["fix_unknown"]:
            self.expected_fix_at = None
            return
        parts = [self.values[name] for name in ("fix-day", "fix-month", "fix-year")]
        clock = self.values["fix-time"]
        if not any(parts) and not clock:
            self.error("fix-day", _l("Enter when you expect it fixed, or tick We do not know yet"))
            return
        try:
            day = dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            self.error("fix-day", _l("Enter a real date as numbers, like 27 3 2026"))
            day = None
        match = TIME.fullmatch(clock)
        if match is None:
            self.error("fix-time", _l("Enter the time on the 24-hour clock, like 14:30"))
        if day is None or match is None:
            return
        try:
            moment = dt.datetime.combine(day, dt.time(int(match[1]), int(match[2])),
                                         ZoneInfo(time_zone)).astimezone(dt.UTC)
        except OverflowError:  # The last minutes of the year 9999, somewhere east of here.
            self.error("fix-day", _l("Enter a real date as numbers, like 27 3 2026"))
            return
        if moment <= now:
            self.error("fix-day", _l("The fix time must be in the future"))
            return
        if not self.values["confidence"]:
            self.error("confidence", _l("Choose how sure we are about the time"))
        self.expected_fix_at = moment

    def draft(self) -> Draft:
        """After `validate_at` passed."""
        data = self.data
        # With a fix time `validate_at` made sure there is a confidence.
        known = self.expected_fix_at is not None
        return Draft(title=data.title, what_is_happening=data.what_is_happening,
                     who_is_affected=data.who_is_affected, what_to_do=data.what_to_do, stage=data.stage,
                     expected_fix_at=self.expected_fix_at,
                     confidence=data.confidence if known and data.confidence else Confidence.low,
                     service=data.service, areas=self.areas, safety_critical=data.safety_critical)


@dataclass(frozen=True)
class FixedData:
    what_is_happening: str
    what_to_do: str
    from_version: int


@dataclass
class FixedForm(Form[FixedData]):
    """Mark as fixed, or correct what we said when it was fixed."""

    fields: ClassVar = (
        Field("what_is_happening", multiline=True, required=_l("Say what we fixed"), max_length=TEXT_MAX,
              too_long=_l("What we fixed must be 1000 characters or fewer")),
        Field("what_to_do", multiline=True, max_length=TEXT_MAX,
              too_long=_l("What people should do must be 1000 characters or fewer")),
        Field("from_version", max_length=HIDDEN, parse=version_number),
    )

    @classmethod
    def filled_from(cls, version: IncidentVersion, *, keep_words: bool) -> FixedForm:
        """Empty to mark as fixed; the closing words, to correct them."""
        if not keep_words:
            return cls.blank(from_version=str(version.version))
        return cls.blank(what_is_happening=version.what_is_happening, what_to_do=version.what_to_do,
                         from_version=str(version.version))

    def draft(self, current: IncidentVersion) -> Draft:
        """After `validate` passed."""
        return Draft(title=current.title, what_is_happening=self.data.what_is_happening,
                     who_is_affected=current.who_is_affected, what_to_do=self.data.what_to_do,
                     stage=IncidentStage.resolved, expected_fix_at=None, confidence=current.confidence)


def written_against(form: IncidentForm | FixedForm, version: int) -> None:
    """Shown again to compare with what it says now: sending it again replaces that version."""
    form.values["from_version"] = str(version)

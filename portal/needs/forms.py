from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.i18n import lazy_gettext as _l
from portal.needs.models import Channel, Support
from portal.needs.service import NO_PREFERENCE
from portal.web.forms import Field, Form, yes

CHANNELS = (*(c.value for c in Channel), NO_PREFERENCE)
OTHER_MAX = 500


@dataclass(frozen=True)
class NeedsData:
    channel: str  # A Channel, or NO_PREFERENCE.
    support: list[str]
    other: str
    consent: bool


@dataclass
class NeedsForm(Form[NeedsData]):
    fields: ClassVar = (
        Field("channel", required=_l("Choose how you would like us to contact you"),
              choices=lambda: CHANNELS,
              invalid=_l("Choose how you would like us to contact you")),
        Field("support", many=True, choices=lambda: [s.value for s in Support],
              invalid=_l("Choose from the list of things that help")),
        Field("other", multiline=True, max_length=OTHER_MAX,
              too_long=_l("Other needs must be 500 characters or fewer")),
        Field("consent", choices=lambda: ["yes"],
              invalid=_l("Tick the box if we can keep this and use it to help you"), parse=yes),
    )

    def check(self) -> None:
        if (self.values["support"] or self.values["other"]) and not self.values["consent"]:
            self.error("consent", _l("Tick the box if we can keep this and use it to help you"))

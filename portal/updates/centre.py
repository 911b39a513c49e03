"""What the notification centre shows: a person's updates a page at a time, one update with the
steps of its ladder still to come, and the count of new ones for the header.

Read-only: marking updates seen and stopping reminders are in service.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.lists import format_list
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from portal.clock import aware
from portal.db import id_of
from portal.i18n import FORMAT_LOCALES, format_date, get_locale, gettext
from portal.identity.models import Person
from portal.updates import messages, service
from portal.updates.messages import Rendered
from portal.updates.models import Delivery, DeliveryChannel, DeliveryStatus, Update
from portal.web.navigation import local_path

PER_PAGE = 20


@dataclass(frozen=True)
class Shown:
    """One update as a page shows it, in the current language."""

    update: Update
    words: Rendered
    link: str  # Where to see or do the thing: always a path on this site.
    help_link: str  # "Talk to a person about this", carrying what it is about.
    created_at: dt.datetime  # Aware.

    @property
    def id(self) -> int:
        return id_of(self.update)

    @property
    def new(self) -> bool:
        return self.update.seen_at is None

    @property
    def urgent(self) -> bool:
        return self.update.safety_critical

    @property
    def done(self) -> bool:
        return self.update.done_at is not None

    @property
    def needs_doing(self) -> bool:
        return self.update.needs_action and not self.done

    @property
    def done_at(self) -> dt.datetime | None:
        return aware(self.update.done_at) if self.update.done_at else None

    @property
    def reminders_stopped_at(self) -> dt.datetime | None:
        stopped = self.update.reminders_stopped_at
        return aware(stopped) if stopped else None


def shown(db: Session, update: Update, time_zone: str) -> Shown:
    words = messages.render(db, update, time_zone=time_zone)
    link = local_path(words.link or update.link, "/updates")
    return Shown(update, words, link, messages.help_link(db, update), aware(update.created_at))


def count(db: Session, person_id: int) -> int:
    return db.exec(select(func.count()).select_from(Update).where(Update.person_id == person_id)).one()


def page_of(db: Session, person_id: int, page: int, time_zone: str) -> tuple[list[Shown], int, int]:
    """The updates on page `page` (newest first), how many pages there are, and the page shown (a
    page past the end shows the last one)."""
    pages = max(1, -(-count(db, person_id) // PER_PAGE))
    page = min(max(page, 1), pages)
    found = service.updates_for(db, person_id, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return [shown(db, u, time_zone) for u in found], pages, page


@dataclass(frozen=True)
class NextStep:
    """A step of the escalation ladder still waiting: 1 a reminder, 2 an offer to call."""

    step: int
    due_at: dt.datetime  # Aware.
    channels: tuple[DeliveryChannel, ...]


def next_steps(db: Session, update: Update) -> list[NextStep]:
    waiting = db.exec(select(Delivery).where(
        Delivery.update_id == update.id, Delivery.step > 0, Delivery.status == DeliveryStatus.waiting)
        .order_by(col(Delivery.step), col(Delivery.due_at), col(Delivery.id))).all()
    steps: dict[int, NextStep] = {}
    for delivery in waiting:
        known = steps.get(delivery.step)
        due = aware(delivery.due_at)
        if known is None:
            steps[delivery.step] = NextStep(delivery.step, due, (delivery.channel,))
        elif delivery.channel not in known.channels:
            steps[delivery.step] = NextStep(known.step, min(known.due_at, due),
                                            (*known.channels, delivery.channel))
    return list(steps.values())


def _how(channel: DeliveryChannel) -> str:
    return {DeliveryChannel.portal: gettext("in your account"),
            DeliveryChannel.email: gettext("by email"),
            DeliveryChannel.text: gettext("by text message"),
            DeliveryChannel.push: gettext("on your phone")}[channel]


def step_sentence(step: NextStep, time_zone: str) -> str:
    """Like: We will remind you by email on Thursday 26 November."""
    how = format_list([_how(c) for c in step.channels], locale=FORMAT_LOCALES[get_locale()])
    day = format_date(step.due_at.astimezone(ZoneInfo(time_zone)).date(), "EEEE d MMMM")
    if step.step == 1:
        return gettext("We will remind you %(how)s on %(day)s.", how=how, day=day)
    return gettext("On %(day)s, we will offer to call you. We will ask %(how)s.", how=how, day=day)


def customer_id(db: Session, person_id: int | None) -> int | None:
    """The person's id if they are a customer (not staff), else None: only customers get updates
    in the header."""
    if not person_id:
        return None
    person = db.get(Person, person_id)
    return person_id if person is not None and not person.staff_role else None


def unseen_for(engine: Engine, person_id: int | None) -> int | None:
    """How many new updates a signed-in customer has; None for anyone else."""
    with Session(engine) as db:
        found = customer_id(db, person_id)
        return None if found is None else service.unseen_count(db, found)



"""Sharing a screen with an adviser, from the code to the summary.

1. The customer (or a carer acting for them, with "talk" in their scopes) asks for a 6-digit code.
   It works once, for 20 minutes (a setting); only a keyed hash of it is stored.
2. The adviser enters it (`join`): the share is now "asking" and the customer is asked, with the
   adviser's first name and team, whether to let them see.
3. Once the customer says yes (`allow`), their browser records each page, masks what must stay
   private, and sends the changes (`add_frames`); the adviser's page plays them back live.
4. It ends when the customer stops, the adviser stops, the customer signs out or goes quiet for a while
   (`end`, `end_idle`). The recorded changes are deleted, and the customer gets a summary in their
   messages: who looked, when, for how long and at which pages.

Each step is committed, with its activity entry, before it is announced on the broker, so any app
process can serve either side."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, func, select, update

from portal import i18n
from portal.access import Actor, Permission, Scope, can
from portal.activity.service import record
from portal.broker import Broker
from portal.carers import service as carers
from portal.clock import utcnow
from portal.cobrowse.models import EndReason, ScreenFrame, ScreenShare, ShareStatus
from portal.db import id_of
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus, Team
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.i18n import ngettext
from portal.identity import events
from portal.identity.models import Person
from portal.notify import service as notify
from portal.settings import Settings
from portal.web.ratelimit import Limit
from portal.web.sessions import hash_id

CODE_DIGITS = 6
# An adviser may enter 10 codes in 15 minutes: plenty for real calls, far too few to guess one.
CODE_TRIES = Limit("screen-share-code", 10, dt.timedelta(minutes=15))
# The customer has this long to answer once an adviser has entered the code.
ASKING_LIFETIME = dt.timedelta(minutes=10)
# A sharing page says it is still open at least this often (static/js/share-screen.js) ...
GONE_AFTER = dt.timedelta(minutes=2)
# ... and sharing ends after this long with nothing done on the customer's screen.
IDLE_AFTER = dt.timedelta(minutes=10)
ENDED_NEWS_FOR = dt.timedelta(minutes=1)
MAX_EVENTS_PER_BATCH = 2000
MAX_KEPT_BYTES = 5_000_000  # Changes kept for one share since its newest whole page.
VIEW = re.compile(r"[0-9a-f]{1,32}")
MAX_PAGES_TEXT = 4000
MAX_TITLE = 120

# rrweb event types and the sources of incremental changes that mean the customer did something.
FULL_SNAPSHOT = 2
INCREMENTAL = 3
CUSTOM = 5
ACTIVE_SOURCES = {1, 2, 3, 5, 6, 12, 14}  # Mouse move, click/focus, scroll, input, touch, drag, selection.

END_WORDS: dict[EndReason, object] = {
    EndReason.stopped: _l("You stopped sharing."),
    EndReason.adviser: _l("The adviser stopped looking."),
    EndReason.inactive: _l("Sharing stopped because nothing happened on your screen for a while."),
    EndReason.signed_out: _l("Sharing stopped when you signed out."),
    EndReason.access_ended: _l("Sharing stopped because the access of the person helping you changed."),
    EndReason.stopped_acting: _l("Sharing stopped when the person helping you stopped acting for you."),
}
# The same, for the adviser.
ADVISER_END_WORDS: dict[EndReason, object] = {
    EndReason.stopped: _l("The customer stopped sharing."),
    EndReason.adviser: _l("You stopped looking."),
    EndReason.declined: _l("The customer said no."),
    EndReason.cancelled: _l("The customer cancelled the code."),
    EndReason.inactive: _l("It stopped because nothing happened on their screen for a while."),
    EndReason.signed_out: _l("The customer signed out."),
    EndReason.expired: _l("The customer did not answer in time."),
    EndReason.access_ended: _l("The carer's access to the customer changed."),
    EndReason.stopped_acting: _l("The carer stopped acting for the customer."),
}


class NotValid(ValueError):
    """Recorded changes that are not what our page sends."""


class TooMuch(Exception):
    """More recorded changes than one page should ever need."""


# Channels: what each side's live page hears.

def customer_channel(share: ScreenShare) -> str:
    """For the sharing browser: an adviser asks, points at something, or the share ends."""
    return f"screen-share:{share.id}:customer"


def adviser_channel(share: ScreenShare) -> str:
    """For the adviser's view: new changes, the customer said yes, or the share ends."""
    return f"screen-share:{share.id}:adviser"


# Codes

def code_hash(secret_key: str, code: str) -> str:
    return hmac.new(secret_key.encode(), f"screen-share:{code}".encode(), hashlib.sha256).hexdigest()


def tidy_code(typed: str) -> str:
    """People read codes out in groups: "123 456" and "123-456" are the same code."""
    return "".join(ch for ch in typed if not ch.isspace() and ch != "-")


def show_code(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


def _new_code(db: Session, secret_key: str, now: dt.datetime) -> tuple[str, str]:
    """A code no other share is waiting with, and its hash."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        hashed = code_hash(secret_key, code)
        clash = db.exec(select(ScreenShare.id).where(
            ScreenShare.code_hash == hashed, ScreenShare.status == ShareStatus.waiting,
            col(ScreenShare.code_expires_at) > now)).first()
        if clash is None:
            return code, hashed


# The customer's side

def current(db: Session, session_id: str, time_zone: str) -> ScreenShare | None:
    """This browser session's share that has not ended, if any. A code nobody used in time ends here."""
    share = db.exec(select(ScreenShare).where(
        ScreenShare.session_hash == hash_id(session_id), ScreenShare.status != ShareStatus.ended)
        .order_by(col(ScreenShare.id).desc())).first()
    if share is None:
        return None
    reason = _why_over(share, utcnow())
    if reason is not None:
        end(db, None, share, reason, time_zone)
        return None
    return share


def start(db: Session, settings: Settings, actor: Actor, session_id: str, form_key: str,
          help_request_id: int | None = None) -> tuple[ScreenShare, str | None]:
    """A new share with a new code, which works for `settings.screen_share_code_minutes` (20):
    `(share, code)`. The same form sent twice gives the first share and no code (the page shows the
    one kept in the session)."""
    existing = db.exec(select(ScreenShare).where(ScreenShare.form_key == form_key)).first()
    if existing is not None:
        return existing, None
    now = utcnow()
    for earlier in db.exec(select(ScreenShare).where(
            ScreenShare.session_hash == hash_id(session_id), ScreenShare.status != ShareStatus.ended)):
        end(db, None, earlier, EndReason.cancelled, settings.time_zone)
    code, hashed = _new_code(db, settings.secret_key, now)
    acting = actor.acting_for
    share = ScreenShare(customer_person_id=actor.customer_id, sharer_person_id=actor.person_id,
                        authority_id=acting.authority_id if acting else None,
                        session_hash=hash_id(session_id), code_hash=hashed,
                        code_expires_at=now + dt.timedelta(minutes=settings.screen_share_code_minutes),
                        form_key=form_key,
                        help_request_id=help_request_id)
    db.add(share)
    record(db, actor_person_id=actor.person_id, action="screen_share_code_given")
    db.commit()
    return share, code


def allow(db: Session, broker: Broker, share: ScreenShare, actor: Actor) -> bool:
    """The customer said yes to the adviser who entered their code."""
    now = utcnow()
    changed = db.exec(update(ScreenShare).where(
        col(ScreenShare.id) == share.id, col(ScreenShare.status) == ShareStatus.asking).values(
        status=ShareStatus.sharing, started_at=now, last_seen_at=now, last_activity_at=now))
    if changed.rowcount != 1:
        db.rollback()
        return False
    adviser = db.get(Person, share.adviser_person_id) if share.adviser_person_id else None
    record(db, actor_person_id=actor.person_id, action="screen_share_started",
           detail=f"Adviser: {adviser.name}" if adviser else "")
    db.commit()
    db.refresh(share)
    broker.publish_sync(adviser_channel(share), {"type": "started"})
    return True


def add_frames(db: Session, broker: Broker, share: ScreenShare, batch: Batch, time_zone: str) -> bool:
    """Keep a batch of recorded changes for the adviser; an empty batch says the page is still open.
    False once the share is over, so the page stops sending. Raises TooMuch when the changes kept
    since the last whole page pass MAX_KEPT_BYTES (the page then sends a whole page again)."""
    events = batch.events
    now = utcnow()
    db.refresh(share)
    reason = _why_over(share, now)
    if reason is not None:
        end(db, broker, share, reason, time_zone)
        return False
    # Claimed in one conditional update, so a share that ends meanwhile keeps nothing more.
    still_sharing = db.exec(update(ScreenShare).where(
        col(ScreenShare.id) == share.id, col(ScreenShare.status) == ShareStatus.sharing)
        .values(last_seen_at=now))
    if still_sharing.rowcount != 1:
        db.rollback()
        return False
    if not events:
        db.commit()
        return True
    whole_page = any(event["type"] == FULL_SNAPSHOT for event in events)
    # ASCII only: a line separator in what someone typed must not split the event stream's lines.
    text = json.dumps({"view": batch.view, "events": events}, separators=(",", ":"), ensure_ascii=True)
    if whole_page:  # An adviser joining later needs only the newest whole page onwards.
        db.exec(delete(ScreenFrame).where(col(ScreenFrame.share_id) == share.id))
    elif _kept_bytes(db, share) + len(text) > MAX_KEPT_BYTES:
        db.rollback()
        raise TooMuch
    titles = [title for title in (_page_title(event) for event in events) if title]
    values: dict[str, Any] = {"pages": _add_pages(share.pages, titles)}
    if whole_page or any(_is_activity(event) for event in events):
        values["last_activity_at"] = now
    db.exec(update(ScreenShare).where(col(ScreenShare.id) == share.id).values(**values))
    frame = ScreenFrame(share_id=id_of(share), whole_page=whole_page, events=text)
    db.add(frame)
    db.commit()
    db.refresh(share)
    broker.publish_sync(adviser_channel(share), {"type": "frames", "id": frame.id,
                                                 "page": whole_page or bool(titles)})
    return True


def _kept_bytes(db: Session, share: ScreenShare) -> int:
    kept = db.exec(select(func.sum(func.length(ScreenFrame.events))).where(
        ScreenFrame.share_id == share.id)).one()
    return int(kept or 0)


@dataclass(frozen=True)
class Batch:
    """What a sharing page sends: the page's own name (`view`, new on every page) and its changes."""

    view: str
    events: list[dict[str, Any]]


def check_batch(body: object) -> Batch:
    """{"view": "9f...", "events": [rrweb events]}, or NotValid."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise NotValid("expected {\"view\": ..., \"events\": [...]}")
    view = body.get("view")
    if not isinstance(view, str) or not VIEW.fullmatch(view):
        raise NotValid("expected a view: the page's own name, as in share-screen.js")
    events = body["events"]
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise NotValid("too many events in one batch")
    for event in events:
        if (not isinstance(event, dict) or type(event.get("type")) is not int
                or not isinstance(event.get("timestamp"), int | float) or "data" not in event):
            raise NotValid("each event has a type, a timestamp and data")
    return Batch(view, events)


def _is_activity(event: dict[str, Any]) -> bool:
    """The customer did something: moved, clicked, scrolled, typed, or typed in a private field (which
    the page says with a custom "active" event, never what was typed)."""
    data = event.get("data")
    if not isinstance(data, dict):
        return False
    if event["type"] == CUSTOM:
        return data.get("tag") == "active"
    return event["type"] == INCREMENTAL and data.get("source") in ACTIVE_SOURCES


def _page_title(event: dict[str, Any]) -> str:
    """The name of a page the sharing page arrived on (a custom "page" event it adds)."""
    data = event.get("data")
    if event["type"] != CUSTOM or not isinstance(data, dict) or data.get("tag") != "page":
        return ""
    payload = data.get("payload")
    title = payload.get("title") if isinstance(payload, dict) else None
    return " ".join(str(title).split())[:MAX_TITLE] if title else ""


def _add_pages(pages: str, titles: Iterable[str]) -> str:
    lines = pages.splitlines()
    for title in titles:
        if not lines or lines[-1] != title:  # A page sent again after a reconnection is not new.
            lines.append(title)
    text = "\n".join(lines)
    while len(text) > MAX_PAGES_TEXT and len(lines) > 1:  # Keep the first and the newest.
        del lines[1]
        text = "\n".join(lines)
    return text


def may_share(db: Session, actor: Actor) -> bool:
    """Sharing is talking to us: the customer, or a carer who may talk to us for them."""
    customer = db.get(Person, actor.customer_id)
    return customer is not None and can(actor, customer, Permission.talk_to_adviser)


def end_for_session(db: Session, broker: Broker | None, session_id: str, reason: EndReason,
                    time_zone: str) -> None:
    """Signing out, or a carer stopping acting: this browser's share ends."""
    for share in db.exec(select(ScreenShare).where(
            ScreenShare.session_hash == hash_id(session_id), ScreenShare.status != ShareStatus.ended)).all():
        end(db, broker, share, reason, time_zone)


def end_elsewhere(db: Session, broker: Broker | None, person_id: int, this_session_id: str,
                  time_zone: str) -> None:
    """"Sign out everywhere else": what this person shares from any other browser ends."""
    for share in db.exec(select(ScreenShare).where(
            ScreenShare.sharer_person_id == person_id, ScreenShare.status != ShareStatus.ended,
            ScreenShare.session_hash != hash_id(this_session_id))).all():
        end(db, broker, share, EndReason.signed_out, time_zone)


def end_for_adviser(db: Session, broker: Broker | None, adviser_id: int, time_zone: str) -> None:
    """An adviser who signs out stops looking: the customer is not left sharing with nobody."""
    for share in db.exec(select(ScreenShare).where(
            ScreenShare.adviser_person_id == adviser_id,
            col(ScreenShare.status).in_([ShareStatus.asking, ShareStatus.sharing]))).all():
        end(db, broker, share, EndReason.adviser, time_zone)


# The adviser's side

def join(db: Session, broker: Broker, secret_key: str, adviser: Actor, typed: str) -> ScreenShare | None:
    """The adviser enters the customer's code. It works once, while it is fresh; the customer is then
    asked to say yes. None for a wrong, used or expired code (the caller limits the tries)."""
    code = tidy_code(typed)
    if len(code) != CODE_DIGITS or not code.isdigit():
        return None
    now = utcnow()
    hashed = code_hash(secret_key, code)
    share = db.exec(select(ScreenShare).where(
        ScreenShare.code_hash == hashed, ScreenShare.status == ShareStatus.waiting,
        col(ScreenShare.code_expires_at) > now)).first()
    if share is None:
        return None
    # Spent in one conditional update, so two advisers entering it at once cannot both have it.
    taken = db.exec(update(ScreenShare).where(
        col(ScreenShare.id) == share.id, col(ScreenShare.status) == ShareStatus.waiting,
        col(ScreenShare.code_hash) == hashed).values(
        status=ShareStatus.asking, code_hash=None, adviser_person_id=adviser.person_id, asked_at=now))
    if taken.rowcount != 1:
        db.rollback()
        return None
    record(db, actor_person_id=adviser.person_id, action="screen_share_joined",
           on_behalf_of_person_id=share.customer_person_id)
    db.commit()
    db.refresh(share)
    broker.publish_sync(customer_channel(share), {"type": "asking"})
    return share


def viewed_by(db: Session, adviser: Actor, share_id: int) -> ScreenShare | None:
    """A share this adviser joined, or None (so nobody else learns it exists)."""
    share = db.get(ScreenShare, share_id)
    if share is None or not adviser.is_adviser or share.adviser_person_id != adviser.person_id:
        return None
    return share


def still_on(db: Session, broker: Broker | None, share: ScreenShare, time_zone: str) -> bool:
    """Whether the adviser may go on watching; ends a share that has run its course."""
    db.refresh(share)
    if share.status is ShareStatus.ended:
        return False
    reason = _why_over(share, utcnow()) or _carer_reason(db, share)
    if reason is not None:
        end(db, broker, share, reason, time_zone)
        return False
    return True


def worth_streaming(share: ScreenShare) -> bool:
    """A live page goes on hearing about a share until a little after it ends, so that the event
    saying it ended gets through (it is sent after the share is marked ended)."""
    if share.status is not ShareStatus.ended:
        return True
    return share.ended_at is not None and utcnow() - share.ended_at < ENDED_NEWS_FOR


def frames_after(db: Session, share: ScreenShare, after_id: int) -> list[ScreenFrame]:
    """Changes the adviser has not had: after `after_id`, or from the newest whole page."""
    query = select(ScreenFrame).where(ScreenFrame.share_id == share.id)
    if after_id:
        query = query.where(col(ScreenFrame.id) > after_id)
    else:
        newest_whole = db.exec(select(ScreenFrame.id).where(
            ScreenFrame.share_id == share.id, ScreenFrame.whole_page == True)  # noqa: E712
            .order_by(col(ScreenFrame.id).desc())).first()
        if newest_whole is None:
            return []
        query = query.where(col(ScreenFrame.id) >= newest_whole)
    return list(db.exec(query.order_by(col(ScreenFrame.id))).all())


def point(broker: Broker, share: ScreenShare, node_id: int, view: str) -> None:
    """Show the customer what the adviser means, on the page (`view`) the adviser saw: their page
    names it and can jump to it."""
    broker.publish_sync(customer_channel(share), {"type": "point", "node": node_id, "view": view})


# Ending

def _why_over(share: ScreenShare, now: dt.datetime) -> EndReason | None:
    if share.status is ShareStatus.waiting and share.code_expires_at <= now:
        return EndReason.expired
    if share.status is ShareStatus.asking and share.asked_at and share.asked_at + ASKING_LIFETIME <= now:
        return EndReason.expired
    if share.status is ShareStatus.sharing:
        seen = share.last_seen_at or share.started_at or now
        active = share.last_activity_at or share.started_at or now
        if seen + GONE_AFTER <= now or active + IDLE_AFTER <= now:
            return EndReason.inactive
    return None


def _carer_reason(db: Session, share: ScreenShare) -> EndReason | None:
    """A carer shares only while they may still talk to us for the customer."""
    if share.authority_id is None:
        return None
    acting = carers.acting_for(db, share.authority_id, share.sharer_person_id, utcnow().date())
    if acting is None or Scope.talk not in acting.scopes:
        return EndReason.access_ended
    return None


def end(db: Session, broker: Broker | None, share: ScreenShare, reason: EndReason, time_zone: str) -> bool:
    """End it now (once): forget the recorded changes, record it in the sharer's activity (whoever
    ended it: the reason says), and if anyone looked, leave the customer a summary. Both sides' live
    pages hear at once (`broker` None: they notice within seconds, at their next check)."""
    now = utcnow()
    changed = db.exec(update(ScreenShare).where(
        col(ScreenShare.id) == share.id, col(ScreenShare.status) != ShareStatus.ended).values(
        status=ShareStatus.ended, end_reason=reason, ended_at=now, code_hash=None))
    if changed.rowcount != 1:
        db.rollback()
        return False
    db.exec(delete(ScreenFrame).where(col(ScreenFrame.share_id) == share.id))
    db.refresh(share)
    if share.started_at is not None:
        minutes = minutes_so_far(share)
        record(db, actor_person_id=share.sharer_person_id, action="screen_share_ended",
               on_behalf_of_person_id=share.customer_person_id if share.authority_id else None,
               detail=f"{reason.value}; {minutes} min; {len(share.pages.splitlines())} pages")
        leave_summary(db, share, time_zone)
    elif reason in (EndReason.declined, EndReason.cancelled):
        record(db, actor_person_id=share.sharer_person_id, action=f"screen_share_{reason.value}",
               on_behalf_of_person_id=share.customer_person_id if share.authority_id else None)
    db.commit()
    if broker is not None:
        for channel in (customer_channel(share), adviser_channel(share)):
            broker.publish_sync(channel, {"type": "ended"})
    return True


def end_idle(db: Session, time_zone: str, now: dt.datetime | None = None) -> int:
    """For the background worker: end shares whose code ran out or whose page went quiet, and forget
    any recorded changes an ended share still has."""
    now = now or utcnow()
    ended_ids = select(ScreenShare.id).where(ScreenShare.status == ShareStatus.ended)
    db.exec(delete(ScreenFrame).where(col(ScreenFrame.share_id).in_(ended_ids)))
    db.commit()
    ended = 0
    for share in db.exec(select(ScreenShare).where(ScreenShare.status != ShareStatus.ended)).all():
        reason = _why_over(share, now)
        if reason is not None and end(db, None, share, reason, time_zone):
            ended += 1
    return ended


def minutes_left(share: ScreenShare) -> int:
    """Whole minutes, rounded up, until the code runs out."""
    seconds = (share.code_expires_at - utcnow()).total_seconds()
    return max(1, int(-(-seconds // 60)))


def minutes_so_far(share: ScreenShare) -> int:
    """Whole minutes the adviser has been looking (0 before the customer said yes)."""
    if share.started_at is None:
        return 0
    finished = share.ended_at or utcnow()
    return max(0, int((finished - share.started_at).total_seconds() // 60))


def adviser_words(db: Session, share: ScreenShare) -> str:
    """How the customer is told who wants to look: first name and team."""
    adviser = db.get(Person, share.adviser_person_id) if share.adviser_person_id else None
    if adviser is None:
        return _("An adviser")
    team = Team.specialist if adviser.team == Team.specialist.value else Team.general
    team_name = {Team.general: _("General team"), Team.specialist: _("Specialist team")}[team]
    return _("%(name)s from our %(team)s", name=adviser.name.split()[0], team=team_name)


def leave_summary(db: Session, share: ScreenShare, time_zone: str) -> None:
    """A closed thread in the customer's messages saying who looked, when, for how long, at what."""
    customer = db.get(Person, share.customer_person_id)
    if customer is None or share.started_at is None:
        return
    sharer = db.get(Person, share.sharer_person_id)
    with i18n.speaking(customer.preferred_language):
        minutes = minutes_so_far(share)
        how_long = (ngettext("%(num)d minute", "%(num)d minutes", minutes, num=minutes) if minutes
                    else _("less than a minute"))
        who = adviser_words(db, share)
        lines = [_("%(who)s looked at your screen from %(start)s for %(how_long)s.", who=who,
                   start=i18n.format_datetime(share.started_at, time_zone), how_long=how_long)]
        if share.authority_id and sharer is not None:
            lines.append(_("%(name)s shared their screen while acting for you.", name=sharer.name))
        pages = share.pages.splitlines()
        if pages:
            lines.append(_("They saw these pages:"))
            lines.extend(f"- {page}" for page in pages)
        if share.end_reason in END_WORDS:
            lines.append(str(END_WORDS[share.end_reason]))
        lines.append(_("We hid passwords, codes, payment details and the words of your messages."))
        subject = _("You shared your screen")
        body = "\n".join(lines)
    summary = HelpRequest(kind=RequestKind.message, status=RequestStatus.closed, subject=subject,
                          customer_person_id=id_of(customer), acting_person_id=share.sharer_person_id
                          if share.authority_id else None, claimed_by_person_id=share.adviser_person_id,
                          closed_at=utcnow())
    db.add(summary)
    db.flush()
    db.add(HelpMessage(request_id=id_of(summary), author_person_id=share.adviser_person_id, from_adviser=True,
                       body=body[:5000]))
    if share.authority_id:  # The customer hears when someone else shared for them.
        notify.tell(db, customer, subject, body[:5000])


@events.on_sessions_ended(events.Phase.AFTER_COMMIT)
def _end_for_ended_sessions(db: Session, broker: Broker | None, ended: events.SessionsEnded) -> None:
    """A screen shared from a browser that signed out stops at once, and so does an adviser's looking."""
    if ended.others:
        end_elsewhere(db, broker, ended.person_id, ended.session_id, ended.time_zone)
    else:
        end_for_session(db, broker, ended.session_id, EndReason.signed_out, ended.time_zone)
        end_for_adviser(db, broker, ended.person_id, ended.time_zone)

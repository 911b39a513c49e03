"""Secure messages (/help/messages) and live chat with a person (/help/chat), the customer's side.

Every page and form works without JavaScript. With it, new messages arrive over server-sent events
into a polite live region, what the customer types is kept as a draft while they type, and the adviser
sees when they are typing."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from portal.access import Actor
from portal.accounts.deps import NoAccountYet, chosen_account
from portal.broker import BrokerError
from portal.carers import service as carers
from portal.clock import today_in
from portal.deps import SessionDep, SettingsDep, broker_of, web_session
from portal.help import context, conversations, live, requests, service
from portal.help.conversations import NEW, ChatAvailability
from portal.help.models import HelpMessage, HelpRequest, RequestKind
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.identity.deps import CurrentActor
from portal.web.flash import flash, take_kind
from portal.web.forms import Field, Form, new_form_key, yes
from portal.web.navigation import go_to
from portal.web.sessions import SessionState
from portal.web.sse import live_response
from portal.web.templating import is_htmx, render

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/help")

Now = Annotated[dt.datetime, Depends(service.get_now)]
SENT = "help_message_sent"
ANY = 10_000  # Hidden fields: never an error the customer could see; checked where they are used.

ENTER_MESSAGE = _l("Enter your message")
MESSAGE_TOO_LONG = _l("Your message is too long. Use 5000 characters or fewer.")


def _message_field(required: Any = ENTER_MESSAGE) -> Field:
    return Field("message", multiline=True, required=required, max_length=conversations.MESSAGE_MAX,
                 too_long=MESSAGE_TOO_LONG)


@dataclass(frozen=True)
class NewMessageData:
    subject: str
    message: str
    share: list[str]
    private: bool
    form_key: str


@dataclass
class NewMessageForm(Form[NewMessageData]):
    fields: ClassVar = (
        Field("subject", required=_l("Enter a subject, in a few words"), max_length=conversations.SUBJECT_MAX,
              too_long=_l("Your subject is too long. Use 200 characters or fewer.")),
        _message_field(),
        Field("share", many=True, max_length=ANY),
        Field("private", choices=lambda: ["yes"], parse=yes),
        Field("form_key", max_length=ANY),
    )


@dataclass(frozen=True)
class MessageData:
    message: str
    form_key: str


@dataclass
class ReplyForm(Form[MessageData]):
    fields: ClassVar = (_message_field(_l("Enter your reply")), Field("form_key", max_length=ANY))


@dataclass(frozen=True)
class ChatStartData:
    message: str
    share: list[str]
    form_key: str


@dataclass
class ChatStartForm(Form[ChatStartData]):
    fields: ClassVar = (
        _message_field(_l("Tell us what you need help with")),
        Field("share", many=True, max_length=ANY),
        Field("form_key", max_length=ANY),
    )


@dataclass
class ChatForm(Form[MessageData]):
    fields: ClassVar = (_message_field(), Field("form_key", max_length=ANY))


# Shared pieces


def _account_id(request: Request, actor: Actor, db: Session) -> int | None:
    """Someone with no account of their own may still write to us."""
    try:
        return chosen_account(request, actor, db).id
    except NoAccountYet:
        return None


def _own(db: Session, actor: Actor, reference: str, kind: RequestKind | None = None) -> HelpRequest:
    """The customer's own message thread or chat, or 404 (for anyone else's, and for callbacks)."""
    found = requests.by_reference(db, actor, reference[:20])
    if found is None or not conversations.is_conversation(found) or kind not in (None, found.kind):
        raise HTTPException(status_code=404)
    return found



PRIVACY_FLASH = {"hidden": lambda: _("People who help you can no longer see this."),
                 "shown": lambda: _("People who help you can see this again, if you let them see messages.")}


def _take_flash(request: Request) -> str:
    key = take_kind(request, "messages", SENT, *PRIVACY_FLASH)
    if key == SENT:
        return _("Your message was sent.")
    return PRIVACY_FLASH[key]() if key else ""


def _keep_draft(state: SessionState, key: str, form: NewMessageForm | ReplyForm) -> None:
    """What they typed, checked or not, kept for when they come back."""
    conversations.keep_draft(state, key, form.values["message"], subject=form.values.get("subject", ""))


def _already_sent(db: Session, form_key: str) -> bool:
    return requests.message_with_key(db, form_key) is not None



def _live(request: Request, stream: type[live.ConversationStream], actor: Actor, found: HelpRequest,
          **shown: Any) -> Response:
    """Serve one of the conversation streams (help/live.py) to this browser."""
    return live_response(request, stream(request.app.state.templates, request.app.state.settings, actor,
                                         found, web_session(request).id, **shown))


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 12 else 0


# Secure messages


@router.get("/messages", response_class=HTMLResponse)
def messages(request: Request, actor: CurrentActor, db: SessionDep) -> Response:
    return render(request, "help/messages.html", {"threads": conversations.threads(db, actor)})


def _new_page(request: Request, db: Session, actor: Actor, form: NewMessageForm,
              status: int = 200) -> Response:
    # A customer with people who help them may keep a message from them.
    today = today_in(request.app.state.settings.time_zone)
    has_carers = actor.acting_for is None and bool(carers.helped_by(db, actor.person_id, today))
    return render(request, "help/messages_new.html",
                  {"form": form, "items": context.items(request, db, actor), "has_carers": has_carers},
                  status_code=status, htmx_main=True)


@router.get("/messages/new", response_class=HTMLResponse)
def new_message(request: Request, actor: CurrentActor, db: SessionDep, about: str | None = None) -> Response:
    context.remember(request, about)
    kept = conversations.draft(web_session(request), NEW)
    form = NewMessageForm.blank(
        subject=kept.get("subject", ""), message=kept.get("message", ""),
        share=[item.value for item in context.items(request, db, actor)],
        form_key=new_form_key())
    return _new_page(request, db, actor, form)


@router.post("/messages/new", response_class=HTMLResponse)
def send_new_message(request: Request, actor: CurrentActor, db: SessionDep,
                     form: Annotated[NewMessageForm, Depends(NewMessageForm.from_request)]) -> Response:
    state = web_session(request)
    key = form.key_or_new()
    existing = requests.by_reference(db, actor, _reference_for_key(db, key))
    if existing is not None:  # Sent twice: the first one stands.
        return go_to(request, f"/help/messages/{existing.reference}")
    if not form.validate():
        _keep_draft(state, NEW, form)
        return _new_page(request, db, actor, form, status=422)
    items = context.items(request, db, actor)
    data = form.data
    try:
        thread = conversations.start_thread(
            db, broker_of(request), actor, account_id=_account_id(request, actor, db),
            subject=data.subject, body=data.message, context=context.chosen(items, data.share),
            form_key=key, private=data.private)
    except SQLAlchemyError as error:
        return _not_sent(request, db, error, lambda: _new_page(request, db, actor, form, status=503), form)
    context.forget(request)
    conversations.drop_draft(state, NEW)
    flash(request, "messages", SENT)
    return go_to(request, f"/help/messages/{thread.reference}")


def _reference_for_key(db: Session, form_key: str) -> str:
    found = requests.request_with_key(db, form_key)
    return found.reference if found else ""


def _not_sent(request: Request, db: Session, error: Exception, page: Callable[[], Response],
              form: Form) -> Response:
    """The database failed: say so, and keep every word."""
    db.rollback()
    logger.warning("A message from %s was not sent: %s", request.url.path, error)
    form.error("message", _l("Sorry, we could not send your message. Your words are still here. "
                             "Try again in a minute."))
    return page()


@router.post("/messages/new/draft")
def keep_new_draft(request: Request, actor: CurrentActor, db: SessionDep,
                   form: Annotated[NewMessageForm, Depends(NewMessageForm.from_request)]) -> Response:
    if _reference_for_key(db, form.sent_key):  # Sent already; this came late.
        conversations.drop_draft(web_session(request), NEW)
    else:
        _keep_draft(web_session(request), NEW, form)
    return Response(status_code=204)


def _thread_page(request: Request, db: Session, actor: Actor, thread: HelpRequest, form: ReplyForm,
                 status: int = 200, flash: str = "") -> Response:
    said = conversations.said(db, thread, actor.person_id)
    today = today_in(request.app.state.settings.time_zone)
    # The customer (never a carer) may hide a conversation from the people who help them.
    may_hide = actor.acting_for is None and bool(carers.helped_by(db, actor.person_id, today))
    return render(request, "help/messages_thread.html", {
        "thread": thread, "thread_title": conversations.title_of(thread), "messages": said,
        "last_id": conversations.last_message_id(said), "closed": thread.status in conversations.FINISHED,
        "form": form, "flash": flash, "may_hide": may_hide}, status_code=status, htmx_main=True)


@dataclass(frozen=True)
class PrivacyData:
    private: bool


@dataclass
class PrivacyForm(Form[PrivacyData]):
    fields: ClassVar = (
        Field("private", required=_l("Choose who can see it"), choices=lambda: ["yes", "no"], parse=yes),)


@router.post("/messages/{reference}/privacy", response_class=HTMLResponse)
def set_privacy(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
                form: Annotated[PrivacyForm, Depends(PrivacyForm.from_request)]) -> Response:
    found = _own(db, actor, reference)
    if not form.validate():
        raise HTTPException(status_code=400)
    private = form.data.private
    requests.set_private(db, actor, found, private)
    # A carer with this conversation open stops seeing it at once.
    broker_of(request).publish_sync(requests.request_channel(found), {"event": "access_changed"})
    flash(request, "messages", "hidden" if private else "shown")
    return go_to(request, f"/help/messages/{found.reference}")


@router.get("/messages/{reference}", response_class=HTMLResponse)
def thread(request: Request, reference: str, actor: CurrentActor, db: SessionDep) -> Response:
    found = _own(db, actor, reference)
    if found.kind is RequestKind.chat and found.status in conversations.OPEN:
        return RedirectResponse(f"/help/chat/{found.reference}", status_code=303)
    kept = conversations.draft(web_session(request), found.reference)
    form = ReplyForm.blank(message=kept.get("message", ""), form_key=new_form_key())
    return _thread_page(request, db, actor, found, form, flash=_take_flash(request))


@router.post("/messages/{reference}", response_class=HTMLResponse)
def send_reply(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
               form: Annotated[ReplyForm, Depends(ReplyForm.from_request)]) -> Response:
    found = _own(db, actor, reference, RequestKind.message)
    state = web_session(request)
    key = form.key_or_new()
    if _already_sent(db, key):
        return go_to(request, f"/help/messages/{found.reference}")
    if form.validate():
        try:
            conversations.reply(db, broker_of(request), actor, found, form.data.message, key)
        except requests.NotAllowed:  # Closed while they were writing: their words go to a new message.
            conversations.keep_draft(state, NEW, form.data.message, subject=found.subject)
            form.error("message", _l("This conversation is closed, so we could not send your reply. "
                                     "Send it as a new message instead. We kept your words for it."))
        except SQLAlchemyError as error:
            return _not_sent(request, db, error,
                             lambda: _thread_page(request, db, actor, found, form, status=503), form)
    if form.errors:
        _keep_draft(state, found.reference, form)
        return _thread_page(request, db, actor, found, form, status=422)
    conversations.drop_draft(state, found.reference)
    flash(request, "messages", SENT)
    return go_to(request, f"/help/messages/{found.reference}")


@router.post("/messages/{reference}/draft")
def keep_reply_draft(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
                     form: Annotated[ReplyForm, Depends(ReplyForm.from_request)]) -> Response:
    found = _own(db, actor, reference)
    if _already_sent(db, form.sent_key):
        conversations.drop_draft(web_session(request), found.reference)
    else:
        _keep_draft(web_session(request), found.reference, form)
    return Response(status_code=204)


@router.get("/messages/{reference}/events")
def thread_stream(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
                  after: str | None = None) -> Response:
    found = _own(db, actor, reference)
    return _live(request, live.ThreadStream, actor, found, after=_int(after))


# Live chat


def _open_chat(db: Session, actor: Actor) -> HelpRequest | None:
    return next((r for r in requests.requests_of(db, actor.customer_id, RequestKind.chat)
                 if r.status in conversations.OPEN), None)


def _chat_start_page(request: Request, db: Session, settings: SettingsDep, actor: Actor, now: dt.datetime,
                     form: ChatStartForm, status: int = 200, not_started: bool = False) -> Response:
    return render(request, "help/chat.html", {
        "open_chat": _open_chat(db, actor),
        "availability": conversations.chat_availability(db, settings, actor, now).value,
        "hours": service.opening_hours(settings.help.hours), "items": context.items(request, db, actor),
        "form": form, "not_started": not_started}, status_code=status, htmx_main=True)


@router.get("/chat", response_class=HTMLResponse)
def chat(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep, now: Now,
         about: str | None = None) -> Response:
    context.remember(request, about)
    form = ChatStartForm.blank(share=[item.value for item in context.items(request, db, actor)],
                               form_key=new_form_key())
    return _chat_start_page(request, db, settings, actor, now, form)


@router.post("/chat", response_class=HTMLResponse)
def start_chat(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep, now: Now,
               form: Annotated[ChatStartForm, Depends(ChatStartForm.from_request)]) -> Response:
    key = form.key_or_new()
    existing = requests.by_reference(db, actor, _reference_for_key(db, key)) or _open_chat(db, actor)
    if existing is not None:  # Sent twice, or a chat is already going: that one stands.
        return go_to(request, f"/help/chat/{existing.reference}")
    if not form.validate():
        return _chat_start_page(request, db, settings, actor, now, form, status=422)
    if conversations.chat_availability(db, settings, actor, now) is not ChatAvailability.open:
        # Closed or busy since the page was shown: keep their words for a message instead.
        conversations.keep_draft(web_session(request), NEW, form.data.message)
        return _chat_start_page(request, db, settings, actor, now, form, not_started=True)
    items = context.items(request, db, actor)
    try:
        started = conversations.start_chat(
            db, broker_of(request), actor, account_id=_account_id(request, actor, db),
            body=form.data.message, context=context.chosen(items, form.data.share), form_key=key)
    except SQLAlchemyError as error:
        return _not_sent(request, db, error,
                         lambda: _chat_start_page(request, db, settings, actor, now, form, status=503), form)
    context.forget(request)
    return go_to(request, f"/help/chat/{started.reference}")


def _chat_page(request: Request, db: Session, settings: SettingsDep, actor: Actor, found: HelpRequest,
               form: ChatForm, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    said = conversations.said(db, found, actor.person_id)
    return render(request, "help/chat_room.html", {
        "chat": found, "view": conversations.chat_view(db, settings, found), "messages": said,
        "last_id": conversations.last_message_id(said), "form": form},
        status_code=status, htmx_main=True, headers=headers)


@router.get("/chat/{reference}", response_class=HTMLResponse)
def chat_room(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
              settings: SettingsDep) -> Response:
    found = _own(db, actor, reference, RequestKind.chat)
    form = ChatForm.blank(form_key=new_form_key())
    return _chat_page(request, db, settings, actor, found, form)


@router.post("/chat/{reference}", response_class=HTMLResponse)
def send_chat_message(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
                      settings: SettingsDep,
                      form: Annotated[ChatForm, Depends(ChatForm.from_request)]) -> Response:
    found = _own(db, actor, reference, RequestKind.chat)
    key = form.key_or_new()
    if _already_sent(db, key):
        return go_to(request, f"/help/chat/{found.reference}")
    if found.status in conversations.FINISHED:
        # The chat ended while they typed: their words wait for them in a new message.
        if form.values["message"]:
            conversations.keep_draft(web_session(request), NEW, form.values["message"],
                                     subject=found.subject)
        return go_to(request, f"/help/chat/{found.reference}")
    if form.validate():
        try:
            message = conversations.reply(db, broker_of(request), actor, found, form.data.message, key)
        except requests.NotAllowed:
            form.error("message", _l("The chat has ended, so we could not send this. Copy your words "
                                     "and send them as a message."))
        except SQLAlchemyError as error:
            db.rollback()
            logger.warning("A chat message was not sent: %s", error)
            form.error("message", _l("Sorry, we could not send your message. Your words are still here. "
                                     "Try again in a minute."))
        else:
            if is_htmx(request):
                return _sent_in_place(request, db, actor, found, message)
            return go_to(request, f"/help/chat/{found.reference}")
    # The error summary sits at the top of main, so htmx swaps the whole of main for errors.
    headers = {"HX-Retarget": "#main-content", "HX-Reswap": "outerHTML"} if is_htmx(request) else None
    return _chat_page(request, db, settings, actor, found, form, status=422, headers=headers)


def _sent_in_place(request: Request, db: Session, actor: Actor, found: HelpRequest,
                   message: HelpMessage) -> Response:
    """A fresh, empty form, and the sent message added to the list (the page drops it if the live
    stream brought it first)."""
    said = [m for m in conversations.said(db, found, actor.person_id, after_id=(message.id or 1) - 1)
            if m.id == message.id]
    form = ChatForm.blank(form_key=new_form_key())
    templates = request.app.state.templates
    html = (live.fragment(templates, "chat_form", request, found.reference, form)
            + '<ol hx-swap-oob="beforeend:#conversation-messages">'
            + live.fragment(templates, "message_items", said) + "</ol>")
    return HTMLResponse(html)


@router.post("/chat/{reference}/typing")
def customer_typing(request: Request, reference: str, actor: CurrentActor, db: SessionDep) -> Response:
    found = _own(db, actor, reference, RequestKind.chat)
    with contextlib.suppress(BrokerError):  # Only a hint for the adviser; nothing is lost.
        conversations.customer_typing(broker_of(request), found)
    return Response(status_code=204)


@router.post("/chat/{reference}/leave")
def leave_chat(request: Request, reference: str, actor: CurrentActor, db: SessionDep) -> Response:
    found = _own(db, actor, reference, RequestKind.chat)
    conversations.leave_chat(db, broker_of(request), actor, found)
    return go_to(request, f"/help/chat/{found.reference}")


@router.get("/chat/{reference}/events")
def chat_stream(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
                after: str | None = None, shown: str = "") -> Response:
    found = _own(db, actor, reference, RequestKind.chat)
    return _live(request, live.ChatStream, actor, found, after=_int(after), shown_state=shown[:10])


@router.get("/chat/{reference}/queue")
def queue_stream(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
                 shown: str | None = None) -> Response:
    found = _own(db, actor, reference, RequestKind.chat)
    return _live(request, live.QueueStream, actor, found, shown_position=_int(shown))

"""Every page and state a tester should check, in every language.

A state is a path plus, where needed, what to do first: sign in, or submit a form empty to see its
errors. The meta-test in tests/ fails when a page exists that is not listed here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOCALES = ("en", "cy", "ar")
EXAMPLES = Path(__file__).resolve().parent.parent / "templates" / "components" / "examples"


@dataclass(frozen=True)
class PageState:
    name: str
    path: str
    signed_in: bool = False
    submit_empty: bool = False  # Press the form's button without filling anything in.
    clear_field: str | None = None  # Empty this field first (for forms that come filled in).
    status: int = 200
    demo_only: bool = False
    persona: str = "sam"  # Who to sign in as (see portal/demo/personas.py).
    # Fill in and send the form at `path` first; the state is the page it leads to, at `lands_on`.
    send_first: tuple[tuple[str, str], ...] = ()
    lands_on: str | None = None
    # Where that form goes, if not back to `path` (a button among several, like "Act for ...").
    form_action: str | None = None


PAGES: tuple[PageState, ...] = (
    PageState("start", "/"),
    PageState("help", "/help"),
    PageState("accessibility statement", "/accessibility-statement"),
    PageState("privacy", "/privacy"),
    PageState("cookies", "/cookies"),
    PageState("glossary", "/glossary"),
    PageState("sign in", "/sign-in"),
    PageState("sign in with an error", "/sign-in", submit_empty=True, status=422),
    PageState("sign in: enter code", "/sign-in/code"),
    PageState("sign in: code with an error", "/sign-in/code", submit_empty=True, status=422),
    PageState("set up", "/set-up"),
    PageState("set up with errors", "/set-up", submit_empty=True, status=422),
    PageState("set up: enter code", "/set-up/code"),
    PageState("set up: code with an error", "/set-up/code", submit_empty=True, status=422),
    PageState("set up: create a passkey", "/set-up/passkey", signed_in=True),
    PageState("sign-in and security", "/account/security", signed_in=True),
    PageState("rename a passkey", "/account/security/passkeys/1/rename", signed_in=True),
    PageState("rename a passkey with an error", "/account/security/passkeys/1/rename",
              signed_in=True, clear_field="name", submit_empty=True, status=422),
    PageState("remove a passkey", "/account/security/passkeys/1/remove", signed_in=True),
    PageState("signed out", "/signed-out"),
    # What the service worker shows when the device is offline (the same page for everyone).
    PageState("offline", "/offline"),
    PageState("page not found", "/no-such-page", status=404),
    PageState("account", "/account", signed_in=True),
    PageState("account: two accounts, in credit, reading needed", "/account", signed_in=True,
              persona="gareth"),
    PageState("account: payment plan, payment failed", "/account", signed_in=True, persona="olu"),
    PageState("account: visit booked, bill due", "/account", signed_in=True, persona="amina"),
    PageState("account: no account of their own", "/account", signed_in=True, persona="ceri"),
    PageState("bills: one late", "/account/bills", signed_in=True),
    PageState("bills: two accounts, several pages", "/account/bills", signed_in=True, persona="gareth"),
    PageState("a late bill", "/account/bills/B101502-14", signed_in=True),
    PageState("a paid bill", "/account/bills/B100871-13", signed_in=True, persona="gareth"),
    PageState("a bill to print", "/account/bills/B101502-14/print", signed_in=True),
    PageState("payments with a plan", "/account/payments", signed_in=True, persona="olu"),
    PageState("payments by card", "/account/payments", signed_in=True),
    PageState("use: two meters", "/account/usage", signed_in=True, persona="gareth"),
    PageState("use: one meter", "/account/usage", signed_in=True),
    PageState("give a reading: two meters", "/account/usage/reading", signed_in=True,
              persona="gareth"),
    PageState("give a reading with an error", "/account/usage/reading", signed_in=True,
              submit_empty=True, status=422),
    PageState("services", "/account/services", signed_in=True),
    PageState("a service with a fault", "/account/services/6", signed_in=True),
    PageState("cases: open", "/account/cases", signed_in=True),
    PageState("cases: closed", "/account/cases?show=closed", signed_in=True, persona="gareth"),
    PageState("a case waiting for you", "/account/cases/CS-101502-1", signed_in=True),
    PageState("an order with a visit booked", "/account/cases/OR-100234-1", signed_in=True,
              persona="amina"),
    PageState("a closed case", "/account/cases/CS-100871-1", signed_in=True, persona="gareth"),
    PageState("your details", "/account/details", signed_in=True),
    PageState("your details: two accounts", "/account/details", signed_in=True, persona="gareth"),
    PageState("change email", "/account/details/email", signed_in=True),
    PageState("change email with an error", "/account/details/email", signed_in=True,
              clear_field="email", submit_empty=True, status=422),
    PageState("change phone", "/account/details/phone", signed_in=True),
    PageState("change phone with an error", "/account/details/phone", signed_in=True,
              clear_field="phone", submit_empty=True, status=422),
    PageState("confirm a new email with a code", "/account/details/email", signed_in=True,
              persona="olu", send_first=(("email", "olu.new@example.org"),),
              lands_on="/account/details/confirm"),
    # Margaret, not Olu: each visit sends a code, and one person may ask for 5 in 15 minutes.
    PageState("confirm a new email: no code typed", "/account/details/email", signed_in=True,
              persona="margaret", send_first=(("email", "margaret.new@example.org"),),
              lands_on="/account/details/confirm", submit_empty=True, status=422),
    PageState("needs: nothing yet", "/account/needs", signed_in=True),
    PageState("needs with an error", "/account/needs", signed_in=True, submit_empty=True, status=422),
    PageState("needs recorded", "/account/needs", signed_in=True, persona="margaret"),
    PageState("your data", "/account/privacy", signed_in=True),
    PageState("your data: consent given", "/account/privacy", signed_in=True, persona="margaret"),
    PageState("all your data", "/account/privacy/data", signed_in=True),
    PageState("all your data: two accounts", "/account/privacy/data", signed_in=True,
              persona="gareth"),
    PageState("all your data: no account", "/account/privacy/data", signed_in=True, persona="ceri"),
    PageState("help: what you were looking at", "/help?about=bill:B101502-14", signed_in=True),
    PageState("help: the specialist team", "/help", signed_in=True, persona="amina"),
    PageState("ask us to call", "/help/callback", signed_in=True),
    PageState("ask us to call with errors", "/help/callback", signed_in=True, clear_field="phone",
              submit_empty=True, status=422),
    PageState("ask us to call: no account", "/help/callback", signed_in=True, persona="ceri"),
    PageState("a call we will make", "/help/callback/HR-ACE347", signed_in=True, persona="gareth"),
    PageState("change the time of a call", "/help/callback/HR-ACE347/change", signed_in=True,
              persona="gareth"),
    PageState("change the time of a call with an error", "/help/callback/HR-ACE347/change",
              signed_in=True, persona="gareth", submit_empty=True, status=422),
    PageState("cancel a call", "/help/callback/HR-ACE347/cancel", signed_in=True, persona="gareth"),
    PageState("a call we made", "/help/callback/HR-DEF479", signed_in=True, persona="olu"),
    PageState("a call you cancelled", "/help/callback/HR-FEN479", signed_in=True, persona="margaret"),
    PageState("messages: none yet", "/help/messages", signed_in=True, persona="gareth"),
    PageState("messages: a reply and a chat", "/help/messages", signed_in=True),
    PageState("send a message", "/help/messages/new", signed_in=True),
    PageState("send a message with errors", "/help/messages/new", signed_in=True, submit_empty=True,
              status=422),
    PageState("a message with a reply", "/help/messages/HR-DEMOM1", signed_in=True),
    PageState("a reply with an error", "/help/messages/HR-DEMOM1", signed_in=True, submit_empty=True,
              status=422),
    PageState("a chat, written down", "/help/messages/HR-DEMOC1", signed_in=True),
    # The e2e server is open every day and hour (e2e/conftest.py), so the chat form is there.
    PageState("start a chat", "/help/chat", signed_in=True),
    PageState("start a chat with an error", "/help/chat", signed_in=True, submit_empty=True, status=422),
    PageState("chat: nobody free", "/help/chat", signed_in=True, persona="amina"),
    PageState("chat: waiting in the queue", "/help/chat/HR-DEMOC2", signed_in=True, persona="olu"),
    PageState("chat: ended", "/help/chat/HR-DEMOC1", signed_in=True),
    PageState("adviser: the queue", "/adviser", signed_in=True, persona="dewi"),
    PageState("adviser: the specialist queue", "/adviser", signed_in=True, persona="hana"),
    PageState("adviser: a waiting call", "/adviser/requests/HR-DEMC47", signed_in=True, persona="hana"),
    PageState("adviser: a message they hold", "/adviser/requests/HR-DEMM47", signed_in=True,
              persona="hana"),
    PageState("adviser: a reply with an error", "/adviser/requests/HR-DEMM47", signed_in=True,
              persona="hana", submit_empty=True, status=422),
    PageState("adviser: a call they made", "/adviser/requests/HR-DEF479", signed_in=True,
              persona="dewi"),
    PageState("adviser: another team's request", "/adviser/requests/HR-DEMC47", signed_in=True,
              persona="dewi", status=404),
    # Updates (issue #6): the notification centre, one update, and how we tell you.
    PageState("updates", "/updates", signed_in=True),
    PageState("updates: none yet", "/updates", signed_in=True, persona="ceri"),
    PageState("updates: one told before", "/updates", signed_in=True, persona="margaret"),
    # The demo's first update, Margaret's (portal/demo/update_stories.py).
    PageState("an update", "/updates/1", signed_in=True, persona="margaret"),
    PageState("an update that is not yours", "/updates/999999", signed_in=True, status=404),
    PageState("someone else's update", "/updates/1", signed_in=True, status=404),
    PageState("how we tell you", "/updates/settings", signed_in=True),
    PageState("how we tell you: two accounts", "/updates/settings", signed_in=True, persona="gareth"),
    PageState("how we tell you: no meters", "/updates/settings", signed_in=True, persona="ceri"),
    PageState("how we tell you with an error", "/updates/settings", signed_in=True,
              clear_field="daily_cap", submit_empty=True, status=422),
    PageState("demo personas", "/demo", demo_only=True),
    PageState("demo personas with an error", "/demo", submit_empty=True, status=422,
              demo_only=True),
    PageState("components", "/demo/components", demo_only=True),
    PageState("demo outbox", "/demo/outbox", demo_only=True),
    # Incidents: the public status page, and /ops for operations staff (the sample incidents are in
    # portal/demo/incident_stories.py: IN-WATER is open, IN-AMPER fixed).
    PageState("service status", "/status"),
    PageState("ops: incidents", "/ops", signed_in=True, persona="olwen"),
    PageState("ops: not for customers", "/ops", signed_in=True, status=404),
    PageState("ops: publish an incident", "/ops/incidents/new", signed_in=True, persona="olwen"),
    PageState("ops: publish an incident with errors", "/ops/incidents/new", signed_in=True,
              persona="olwen", submit_empty=True, status=422),
    PageState("ops: an open incident", "/ops/incidents/IN-WATER", signed_in=True, persona="olwen"),
    PageState("ops: a fixed incident", "/ops/incidents/IN-AMPER", signed_in=True, persona="olwen"),
    PageState("ops: post an update", "/ops/incidents/IN-WATER/update", signed_in=True, persona="olwen"),
    PageState("ops: an update with an error", "/ops/incidents/IN-WATER/update", signed_in=True,
              persona="olwen", clear_field="what_is_happening", submit_empty=True, status=422),
    PageState("ops: correct what we said", "/ops/incidents/IN-WATER/correct", signed_in=True,
              persona="olwen"),
    PageState("ops: a correction with an error", "/ops/incidents/IN-WATER/correct", signed_in=True,
              persona="olwen", clear_field="title", submit_empty=True, status=422),
    PageState("ops: mark as fixed", "/ops/incidents/IN-WATER/resolve", signed_in=True, persona="olwen"),
    PageState("ops: mark as fixed with an error", "/ops/incidents/IN-WATER/resolve", signed_in=True,
              persona="olwen", submit_empty=True, status=422),
    PageState("ops: correct a fixed incident", "/ops/incidents/IN-AMPER/correct", signed_in=True,
              persona="olwen"),
    # Carers (issue #7; the sample authorities are in portal/demo/carer_stories.py: 1 is Ceri helping
    # Margaret, 2 Siân's power of attorney for Idris, waiting, 3 Gareth's invitation to Rhys).
    PageState("people who help you: nobody yet", "/carers", signed_in=True),
    PageState("people who help you", "/carers", signed_in=True, persona="margaret"),
    PageState("people you help", "/carers", signed_in=True, persona="ceri"),
    PageState("invite someone to help", "/carers/invite", signed_in=True, persona="margaret"),
    PageState("invite someone to help with errors", "/carers/invite", signed_in=True, persona="margaret",
              submit_empty=True, status=422),
    PageState("a code sent to a helper", "/carers/invited/3", signed_in=True, persona="gareth"),
    PageState("someone who helps you", "/carers/1", signed_in=True, persona="margaret"),
    PageState("what a helper did for you", "/carers/1/activity", signed_in=True, persona="margaret"),
    PageState("change what a helper can do", "/carers/1/change", signed_in=True, persona="margaret"),
    PageState("stop a helper's access", "/carers/1/stop", signed_in=True, persona="margaret"),
    PageState("enter a code to help someone", "/carers/accept"),
    PageState("a code to help someone, with an error", "/carers/accept", submit_empty=True, status=422),
    PageState("say yes to helping someone", "/carers/accept", send_first=(("code", "ACDE-FHJK-MNPR"),),
              lands_on="/carers/accept/confirm"),
    PageState("said no to helping", "/carers/declined"),
    PageState("acting for someone: their account", "/carers", signed_in=True, persona="ceri",
              send_first=(("authority", "1"),), form_action="/carers/act", lands_on="/account"),
    PageState("adviser: who acts for a customer", "/adviser/carers?account=NF-200300", signed_in=True,
              persona="dewi"),
    PageState("adviser: no customer has that reference", "/adviser/carers?account=NF-999999", signed_in=True,
              persona="dewi"),
    PageState("adviser: add a power of attorney", "/adviser/carers/new?account=NF-200300", signed_in=True,
              persona="dewi"),
    PageState("adviser: add a power of attorney with errors", "/adviser/carers/new?account=NF-200300",
              signed_in=True, persona="dewi", submit_empty=True, status=422),
    PageState("adviser: a power of attorney", "/adviser/carers/2", signed_in=True, persona="dewi"),
    # Locking someone's sign-in: Ceri (person 6) can sign in; Idris Hughes (person 10) is locked in the demo.
    PageState("adviser: lock someone's sign-in", "/adviser/people/6/sign-in", signed_in=True, persona="dewi"),
    PageState("adviser: lock someone's sign-in with an error", "/adviser/people/6/sign-in", signed_in=True,
              persona="dewi", submit_empty=True, status=422),
    PageState("adviser: a locked sign-in", "/adviser/people/10/sign-in", signed_in=True, persona="dewi"),
    PageState("adviser: unlock a sign-in with an error", "/adviser/people/10/sign-in", signed_in=True,
              persona="dewi", submit_empty=True, status=422),
    PageState("sign-in locked", "/sign-in/locked"),
    # Sharing a screen (portal/cobrowse/). Asking and sharing need an adviser in another browser: the
    # co-browse journeys in e2e/ check those pages, on both sides.
    PageState("share your screen", "/help/share-screen", signed_in=True),
    PageState("share your screen: a code to read out", "/help/share-screen", signed_in=True,
              send_first=(("request", ""),), lands_on="/help/share-screen"),
    PageState("adviser: enter a customer's code", "/adviser/share-screen", signed_in=True, persona="dewi"),
    PageState("adviser: a customer's code with an error", "/adviser/share-screen", signed_in=True,
              persona="dewi", submit_empty=True, status=422),
    PageState("adviser: a screen share that ended", "/adviser/share-screen/1", signed_in=True,
              persona="dewi"),
)


def component_pages() -> tuple[PageState, ...]:
    return tuple(PageState(f"component: {path.stem}", f"/demo/components/{path.stem}",
                           demo_only=True)
                 for path in sorted(EXAMPLES.glob("*.json")))


def all_states() -> tuple[PageState, ...]:
    return PAGES + component_pages()


def covered_paths() -> set[str]:
    """Route paths the inventory visits (for the meta-test)."""
    paths = {state.lands_on or state.path for state in all_states()} | {
        state.path for state in all_states()}
    paths |= {"/account/security/passkeys/{passkey_id}/rename",
              "/account/security/passkeys/{passkey_id}/remove",
              "/account/bills/{reference}", "/account/bills/{reference}/print",
              "/account/services/{service_id}", "/account/cases/{reference}",
              "/help/callback/{reference}", "/help/callback/{reference}/change",
              "/help/callback/{reference}/cancel", "/help/messages/{reference}", "/help/chat/{reference}",
              "/adviser/requests/{reference}", "/updates/{update_id}",
              "/ops/incidents/{reference}", "/ops/incidents/{reference}/update",
              "/ops/incidents/{reference}/correct", "/ops/incidents/{reference}/resolve",
              "/carers/invited/{authority_id:int}", "/carers/{authority_id:int}",
              "/carers/{authority_id:int}/activity",
              "/carers/{authority_id:int}/change", "/carers/{authority_id:int}/stop", "/adviser/carers/new",
              "/adviser/carers", "/adviser/carers/{authority_id:int}",
              "/adviser/share-screen/{share_id:int}", "/adviser/people/{person_id:int}/sign-in"}
    return paths | ({"/demo/components/{name}"} if component_pages() else set())

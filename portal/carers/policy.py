"""What a carer may use while acting for someone, route by route.

This is a list of what is allowed: any route not named here is refused while acting, so a new route
is closed to carers until someone decides otherwise (tests/test_authorisation_matrix.py checks every
route against this table). A rule with a permission is asked of `can()` for the customer; a rule
without one is a page with nobody's personal data on it (public pages, signing out)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import compile_path

from portal.access import Permission
from portal.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Rule:
    permission: Permission | None = None
    # What looking at it means, for the customer's record of what the carer did (GET pages only).
    page: object | None = None


OPEN = Rule()
P = Permission

# Pages with nothing personal on them, and ways to switch or end who is signed in.
_OPEN_PATHS = ("/", "/help", "/accessibility-statement", "/cookies", "/glossary", "/privacy", "/status",
               "/offline", "/healthz", "/theme.css", "/language/{code}", "/manifest.webmanifest",
               "/icons/{name}", "/sw.js", "/signed-out", "/sign-in", "/sign-in/code", "/sign-in/locked",
               "/demo", "/demo/components", "/demo/components/{name}")

CARER_RULES: dict[tuple[str, str], Rule] = {
    **{("GET", path): OPEN for path in _OPEN_PATHS},
    ("POST", "/sign-out"): OPEN,
    ("POST", "/session/extend"): OPEN,
    ("POST", "/sign-in"): OPEN,
    ("POST", "/sign-in/code"): OPEN,
    ("POST", "/demo"): OPEN,
    ("POST", "/help/do-not-share"): OPEN,
    # The carer's own list of people they help, and choosing who to act for.
    ("GET", "/carers"): OPEN,
    ("POST", "/carers/act"): OPEN,
    ("POST", "/carers/stop-acting"): OPEN,
    # See the account (and give meter readings).
    ("GET", "/account"): Rule(P.view_account, _l("The account summary")),
    ("POST", "/account/choose"): Rule(P.view_account),
    ("GET", "/account/bills"): Rule(P.view_account, _l("Bills")),
    ("GET", "/account/bills/{reference}"): Rule(P.view_account, _l("A bill")),
    ("GET", "/account/bills/{reference}/print"): Rule(P.view_account, _l("A bill to print")),
    ("GET", "/account/usage"): Rule(P.view_account, _l("Energy and water use")),
    ("GET", "/account/usage/reading"): Rule(P.give_reading, _l("Give a meter reading")),
    ("POST", "/account/usage/reading"): Rule(P.give_reading),
    ("GET", "/account/services"): Rule(P.view_account, _l("Services")),
    ("GET", "/account/services/{service_id}"): Rule(P.view_account, _l("A service")),
    ("GET", "/account/cases"): Rule(P.view_account, _l("Cases and orders")),
    ("GET", "/account/cases/{reference}"): Rule(P.view_account, _l("A case or order")),
    # Payments and payment plans.
    ("GET", "/account/payments"): Rule(P.view_payments, _l("Payments and payment plans")),
    # Contact details, and how we contact them.
    ("GET", "/account/details"): Rule(P.change_details, _l("Contact details")),
    ("GET", "/account/details/email"): Rule(P.change_details, _l("Change the email address")),
    ("POST", "/account/details/email"): Rule(P.change_details),
    ("GET", "/account/details/phone"): Rule(P.change_details, _l("Change the phone number")),
    ("POST", "/account/details/phone"): Rule(P.change_details),
    ("GET", "/account/details/confirm"): Rule(P.change_details, _l("Confirm a change of details")),
    ("POST", "/account/details/confirm"): Rule(P.change_details),
    ("POST", "/account/details/confirm/new-code"): Rule(P.change_details),
    ("GET", "/account/needs"): Rule(P.manage_needs, _l("How we contact and help them")),
    ("POST", "/account/needs"): Rule(P.manage_needs),
    # Messages.
    ("GET", "/help/messages"): Rule(P.send_messages, _l("Messages")),
    ("GET", "/help/messages/new"): Rule(P.send_messages, _l("Send a message")),
    ("POST", "/help/messages/new"): Rule(P.send_messages),
    ("POST", "/help/messages/new/draft"): Rule(P.send_messages),
    ("GET", "/help/messages/{reference}"): Rule(P.send_messages, _l("A message")),
    ("POST", "/help/messages/{reference}"): Rule(P.send_messages),
    ("POST", "/help/messages/{reference}/draft"): Rule(P.send_messages),
    ("GET", "/help/messages/{reference}/events"): Rule(P.send_messages),
    # Talking to an adviser: calls and chats.
    ("GET", "/help/callback"): Rule(P.talk_to_adviser, _l("Ask us to call")),
    ("POST", "/help/callback"): Rule(P.talk_to_adviser),
    ("GET", "/help/callback/{reference}"): Rule(P.talk_to_adviser, _l("A call we will make")),
    ("GET", "/help/callback/{reference}/change"): Rule(P.talk_to_adviser, _l("Change a call")),
    ("POST", "/help/callback/{reference}/change"): Rule(P.talk_to_adviser),
    ("GET", "/help/callback/{reference}/cancel"): Rule(P.talk_to_adviser, _l("Cancel a call")),
    ("POST", "/help/callback/{reference}/cancel"): Rule(P.talk_to_adviser),
    ("GET", "/help/chat"): Rule(P.talk_to_adviser, _l("Start a chat")),
    ("POST", "/help/chat"): Rule(P.talk_to_adviser),
    ("GET", "/help/chat/{reference}"): Rule(P.talk_to_adviser, _l("A chat")),
    ("POST", "/help/chat/{reference}"): Rule(P.talk_to_adviser),
    ("POST", "/help/chat/{reference}/leave"): Rule(P.talk_to_adviser),
    ("POST", "/help/chat/{reference}/typing"): Rule(P.talk_to_adviser),
    ("GET", "/help/chat/{reference}/events"): Rule(P.talk_to_adviser),
    ("GET", "/help/chat/{reference}/queue"): Rule(P.talk_to_adviser),
    # Sharing the carer's own screen with an adviser, about the customer (portal/cobrowse/).
    ("GET", "/help/share-screen"): Rule(P.talk_to_adviser, _l("Share the screen with an adviser")),
    ("POST", "/help/share-screen"): Rule(P.talk_to_adviser),
    ("POST", "/help/share-screen/cancel"): Rule(P.talk_to_adviser),
    ("POST", "/help/share-screen/allow"): Rule(P.talk_to_adviser),
    ("POST", "/help/share-screen/decline"): Rule(P.talk_to_adviser),
    ("POST", "/help/share-screen/stop"): Rule(P.talk_to_adviser),
    ("POST", "/help/share-screen/frames"): Rule(P.talk_to_adviser),
    ("GET", "/help/share-screen/events"): Rule(P.talk_to_adviser),
}

# What the pages closed to carers are, in words, for the customer's record of a refusal: the first
# whose route starts like this. A route in none of them is "a page only you can use".
CLOSED_PAGES: tuple[tuple[str, object], ...] = (
    ("/account/security", _l("Passkeys and where you are signed in")),
    ("/webauthn", _l("Passkeys and where you are signed in")),
    ("/sessions", _l("Passkeys and where you are signed in")),
    ("/account/privacy", _l("Your data")),
    ("/carers", _l("People who help you")),
    ("/updates", _l("Your updates and how we send them")),
    ("/account/payments", _l("Payments and payment plans")),
    ("/account/details", _l("Contact details")),
    ("/account/needs", _l("How we contact and help them")),
    ("/help/messages", _l("Messages")),
    ("/help", _l("Talking to us")),
    ("/account", _l("The account")),
    ("/adviser", _l("A page for our staff")),
    ("/ops", _l("A page for our staff")),
)
ONLY_YOU = _l("A page only you can use")

# Matching a real path back to its rule, for the customer's record of pages looked at.
_COMPILED = [(compile_path(path)[0], rule) for (method, path), rule in CARER_RULES.items()
             if method == "GET" and rule.page is not None]


def rule_for(method: str, route_path: str) -> Rule | None:
    """The rule for a route, or None: refused while acting. HEAD is treated as GET."""
    return CARER_RULES.get(("GET" if method == "HEAD" else method, route_path))


def page_name(path: str) -> object | None:
    """What a logged path was, in words: "Bills", "A bill"."""
    return next((rule.page for pattern, rule in _COMPILED if pattern.fullmatch(path)), None)


def refused_page_name(route: str) -> object:
    """What a refused route was, in words: its page's name when carers may sometimes use it, else
    the part of the site it belongs to."""
    page = CARER_RULES.get(("GET", route), OPEN).page
    if page is not None:
        return page
    return next((name for prefix, name in CLOSED_PAGES if route == prefix or route.startswith(prefix + "/")),
                ONLY_YOU)

"""Meta-tests that keep the route list honest: every page is in the accessibility inventory, so the
browser tests check it with axe; and every inventory page passes the page checks in each language."""

from __future__ import annotations

import pytest

from accessibility.inventory import LOCALES, all_states, covered_paths
from tests.conftest import PageCheckingClient, demo_sign_in
from tests.route_table import api_routes

# The accessibility inventory is the demo's: each state names a demo person and the demo's references.
pytestmark = pytest.mark.demo

# Routes that are not pages: they redirect, or answer with data rather than HTML.
NOT_PAGES = {"/healthz", "/theme.css", "/language/{code}", "/sign-out", "/account/privacy/download",
             # Live updates (server-sent events), not pages.
             "/adviser/events", "/adviser/requests/{reference}/events", "/help/messages/{reference}/events",
             "/help/chat/{reference}/events", "/help/chat/{reference}/queue", "/updates/events",
             "/help/share-screen/events", "/adviser/share-screen/{share_id:int}/events",
             # The installable app: its manifest, icons and service worker (portal/pwa/).
             "/manifest.webmanifest", "/icons/{name}", "/sw.js"}


def page_routes(app) -> set[str]:
    return {route.path for route in api_routes(app) if "GET" in route.methods and route.path not in NOT_PAGES}


def test_every_page_is_in_the_accessibility_inventory(app) -> None:
    missing = page_routes(app) - covered_paths()
    assert not missing, f"add these pages to accessibility/inventory.py: {sorted(missing)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_inventory_page_passes_page_checks(client: PageCheckingClient, locale: str) -> None:
    client.cookies.set("portal_lang", locale)
    signed_in_as = ""
    for state in sorted(all_states(), key=lambda s: s.persona):
        if state.persona != signed_in_as:
            demo_sign_in(client, state.persona)
            signed_in_as = state.persona
        response = client.get(state.path)  # The client checks each page as it arrives.
        if state.send_first:
            form = {"csrf_token": client.csrf_token(state.path), **dict(state.send_first)}
            response = client.post(state.form_action or state.path, data=form)
            signed_in_as = ""  # What it changed (acting for someone) must not carry on to the next state.
            assert response.url.path == state.lands_on, state.name
        assert response.status_code == (200 if state.submit_empty else state.status), state.path
        assert f'lang="{locale}"' in response.text

"""The installable app: the manifest in each language, its icons, the service worker, the offline page,
and what signing out tells the browser to clear."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from accessibility.inventory import LOCALES
from portal import i18n
from portal.help.service import opening_hours
from portal.pwa import service
from portal.settings import Settings
from tests import factories
from tests.conftest import PageCheckingClient, make_app, make_settings
from tests.page_checks import parse, text_of

# Nothing under these may ever be stored by the service worker. (It does name /sign-out: it empties its
# caches when it sees someone sign out.)
PERSONAL = ("/account", "/updates", "/help", "/carers", "/adviser", "/ops", "/demo", "/sign-in",
            "/set-up", "/session", "/status")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def worker_config(client: PageCheckingClient) -> dict:
    body = client.get("/sw.js").text
    match = re.match(r"const CONFIG = (\{.*?\});\n", body, re.DOTALL)
    assert match, "the worker starts with its CONFIG"
    return json.loads(match.group(1))


# The manifest


@pytest.mark.parametrize("locale", LOCALES)
def test_manifest_in_each_language(client: PageCheckingClient, settings: Settings, locale: str) -> None:
    response = client.get(f"/manifest.webmanifest?lang={locale}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["lang"] == locale
    assert manifest["dir"] == ("rtl" if locale == "ar" else "ltr")
    with i18n.speaking(locale):
        service_name = i18n.gettext("Manage your account")
        description = i18n.gettext("See your bills and updates, and talk to a person when you need to.")
    assert manifest["name"] == f"{settings.organisation.name} – {service_name}"
    assert manifest["description"] == description
    assert manifest["short_name"] == "Northfield"
    assert len(manifest["short_name"]) <= 12
    assert manifest["start_url"] == "/account"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == settings.organisation.brand_colour
    assert manifest["background_color"] == "#ffffff"
    assert {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]} == {
        ("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")}


def test_manifest_without_lang_is_in_the_readers_language(client: PageCheckingClient) -> None:
    client.cookies.set("portal_lang", "cy")
    assert client.get("/manifest.webmanifest").json()["lang"] == "cy"
    client.cookies.clear()
    manifest = client.get("/manifest.webmanifest", headers={"Accept-Language": "ar"}).json()
    assert (manifest["lang"], manifest["dir"]) == ("ar", "rtl")


def test_short_name_fits_under_an_icon() -> None:
    assert service.short_name("Tŷ Dŵr") == "Tŷ Dŵr"
    assert service.short_name("Northfield Utilities") == "Northfield"


def test_manifest_icons_are_pngs_of_their_size(client: PageCheckingClient) -> None:
    for icon in client.get("/manifest.webmanifest").json()["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response.headers["content-type"] == "image/png"
        assert "immutable" in response.headers["cache-control"]  # The URL has the icon's version.
        width, height = png_size(response.content)
        assert f"{width}x{height}" == icon["sizes"]
        colour_type = response.content[25]
        if icon["purpose"] == "maskable":
            assert colour_type == 2, "a maskable icon fills its whole square (no transparency)"


def test_icons_follow_the_brand_colour(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    blue = make_app(make_settings(tmp_path / "a", organisation={"brand_colour": "#1d4f91"}))
    green = make_app(make_settings(tmp_path / "b", organisation={"brand_colour": "#00703c"}))
    with PageCheckingClient(blue) as one, PageCheckingClient(green) as other:
        first = one.get("/manifest.webmanifest").json()["icons"][0]["src"]
        second = other.get("/manifest.webmanifest").json()["icons"][0]["src"]
        assert first != second  # A new colour is a new URL, so nobody keeps the old icon.
        assert one.get(first).content != other.get(second).content


def test_an_unknown_icon_is_not_found(client: PageCheckingClient) -> None:
    assert client.get("/icons/secret.png").status_code == 404


def test_every_page_links_the_manifest_in_its_language(client: PageCheckingClient, settings: Settings
                                                       ) -> None:
    client.cookies.set("portal_lang", "ar")
    root = parse(client.get("/").text)
    head = root.find(".//head")
    manifest = head.find(".//link[@rel='manifest']")
    assert manifest.get("href") == "/manifest.webmanifest?lang=ar"
    assert head.find(".//meta[@name='theme-color']").get("content") == settings.organisation.brand_colour
    touch_icon = head.find(".//link[@rel='apple-touch-icon']").get("href")
    assert png_size(client.get(touch_icon).content) == (180, 180)
    scripts = [script.get("src") for script in head.findall(".//script")]
    assert any(src.startswith("/static/js/pwa.js?v=") for src in scripts)


# The service worker


def test_service_worker_headers(client: PageCheckingClient) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["service-worker-allowed"] == "/"
    # The worker's own policy lets it import our push handlers and nothing from elsewhere.
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_service_worker_names_its_cache_after_the_release(client: PageCheckingClient) -> None:
    body = client.get("/sw.js").text
    version = worker_config(client)["version"]
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    assert 'var CACHE = "portal-" + CONFIG.version;' in body
    assert 'importScripts("/static/js/sw-push.js");' in body
    assert client.get("/static/js/sw-push.js").status_code == 200


def test_service_worker_stores_only_public_files(client: PageCheckingClient) -> None:
    config = worker_config(client)
    paths = [urlsplit(url).path for url in config["precache"]]
    assert all(path.startswith("/static/") or path in ("/theme.css", "/offline") for path in paths), paths
    for language in LOCALES:
        assert config["offline"][language] == f"/offline?lang={language}"
        assert config["offline"][language] in config["precache"]
    # What the pages load is stored under the very same versioned URLs.
    page = client.get("/").text
    for asset in ("css/portal.css", "js/portal.js", "js/pwa.js", "vendor/htmx.min.js"):
        url = next(url for url in config["precache"] if url.startswith(f"/static/{asset}?v="))
        assert url in page
        assert client.get(url).status_code == 200
    body = client.get("/sw.js").text
    for prefix in PERSONAL:
        assert f'"{prefix}' not in body, f"the worker mentions {prefix}"


def test_a_new_release_is_a_new_version(settings: Settings) -> None:
    urls = ["/static/css/portal.css?v=aaaa"]
    same = service.release_version(settings, urls)
    assert service.release_version(settings, urls) == same
    assert service.release_version(settings, ["/static/css/portal.css?v=bbbb"]) != same
    new_phone = settings.help.model_copy(update={"phone": "0300 999 9999"})
    changed = settings.model_copy(update={"help": new_phone})
    assert service.release_version(changed, urls) != same  # The offline page shows the number.


# The offline page


@pytest.mark.parametrize("locale", LOCALES)
def test_offline_page_in_each_language(client: PageCheckingClient, settings: Settings, locale: str
                                       ) -> None:
    response = client.get(f"/offline?lang={locale}")
    assert response.status_code == 200
    root = parse(response.text)
    assert root.get("lang") == locale
    assert root.get("dir") == ("rtl" if locale == "ar" else "ltr")
    with i18n.speaking(locale):
        heading = i18n.gettext("You are offline")
        hours = opening_hours(settings.help.hours)
    assert text_of(root.find(".//h1")) == heading
    page = response.text
    assert settings.help.phone in page
    assert settings.help.phone_international in page
    assert 'href="tel:+443001234567"' in page
    assert f"18001 {settings.help.phone}" in page
    for group in hours:
        assert group.days in page and group.times in page


def test_offline_page_without_relay_uk(tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, help={"relay_uk": False}))
    with PageCheckingClient(app) as client:
        page = client.get("/offline").text
    assert "18001" not in page


def without_nonce(html: str) -> str:
    return re.sub(r'nonce="[^"]+"', 'nonce=""', html)


def test_offline_page_is_the_same_for_everyone(app, client: PageCheckingClient, db) -> None:
    anonymous = client.get("/offline?lang=en").text
    someone = factories.customer(db, "Bea Khan")
    with PageCheckingClient(app) as signed_in:
        factories.sign_in(signed_in, someone)
        assert "/updates" in signed_in.get("/account").text  # She has the updates link elsewhere...
        personal = signed_in.get("/offline?lang=en").text
    assert without_nonce(personal) == without_nonce(anonymous)
    for absent in ("Sign out", "/sign-out", "/updates", "csrf_token", "Bea", "session-warning"):
        assert absent not in personal  # ...but not here.


def test_offline_page_follows_the_readers_language_without_lang(client: PageCheckingClient) -> None:
    client.cookies.set("portal_lang", "cy")
    assert parse(client.get("/offline").text).get("lang") == "cy"


# Signing out, and what we tell people


def test_sign_out_tells_the_browser_to_clear_its_caches(signed_in_client: PageCheckingClient) -> None:
    token = signed_in_client.csrf_token("/account")
    response = signed_in_client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert '"cache"' in response.headers["clear-site-data"]
    assert '"storage"' in response.headers["clear-site-data"]  # Cache storage and the worker too.


def test_language_cookie_can_be_read_by_the_worker(client: PageCheckingClient) -> None:
    response = client.get("/language/cy?next=/", follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("portal_lang=cy;")
    assert "httponly" not in cookie.lower()


@pytest.mark.parametrize("path", ["/privacy", "/cookies"])
def test_privacy_and_cookies_pages_explain_the_offline_copies(client: PageCheckingClient, path: str
                                                              ) -> None:
    page = client.get(path).text
    assert "a page to show when you are offline" in page
    assert "It never keeps your account pages or anything about you." in page
    assert "When you sign out, we clear these copies." in page

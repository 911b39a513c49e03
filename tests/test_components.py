"""Every component has examples, and every example renders as sound, labelled HTML.

The browser tests also open /demo/components/<name> and check each with axe."""

from __future__ import annotations

import json

import pytest
from jinja2 import Environment

from portal.web.templating import TEMPLATES_DIR
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of

COMPONENTS = TEMPLATES_DIR / "components"
NAMES = sorted(p.stem for p in COMPONENTS.glob("*.html") if not p.stem.startswith("_"))


def examples(name: str) -> list[dict]:
    return json.loads((COMPONENTS / "examples" / f"{name}.json").read_text())


def render(env: Environment, name: str, params: dict) -> str:
    template = env.from_string(
        f'{{% from "components/{name}.html" import {name} %}}{{{{ {name}(params) }}}}')
    return template.render(params=params)


@pytest.fixture
def env(app) -> Environment:
    return app.state.templates


@pytest.mark.parametrize("name", NAMES)
def test_component_has_examples(name: str) -> None:
    assert (COMPONENTS / "examples" / f"{name}.json").exists(), f"add examples for {name}"
    assert examples(name)


@pytest.mark.demo  # The gallery is part of the demo, and browsed with its people in it.
@pytest.mark.parametrize("name", NAMES)
def test_component_gallery_page_passes_page_checks(client: PageCheckingClient, name: str) -> None:
    response = client.get(f"/demo/components/{name}")
    assert response.status_code == 200
    assert len(parse(response.text).findall(".//div[@class='example']")) == len(examples(name))


def fragment(html: str):
    return parse(f"<!DOCTYPE html><html><head><title>t</title></head><body>{html}</body></html>")


def test_input_with_error_ties_hint_and_error_to_the_field(env: Environment) -> None:
    root = fragment(render(env, "input", {"name": "reference", "label": {"text": "Reference"},
                                          "hint": "On your bill", "error_message": "Enter it",
                                          "value": "typed <text>"}))
    field = root.find(".//input")
    assert field.get("aria-describedby") == "reference-hint reference-error"
    assert field.get("aria-invalid") == "true"
    assert field.get("value") == "typed <text>"  # What the person typed comes back, escaped.
    assert text_of(root.find(".//p[@id='reference-error']")) == "Error: Enter it"
    assert root.find(".//label").get("for") == "reference"


def test_input_without_hint_or_error_has_no_describedby(env: Environment) -> None:
    field = fragment(render(env, "input", {"name": "x", "label": {"text": "X"}})).find(".//input")
    assert field.get("aria-describedby") is None and field.get("aria-invalid") is None


def test_radios_keep_the_choice_and_first_id_is_the_field_name(env: Environment) -> None:
    root = fragment(render(env, "radios", {"name": "when", "legend": {"text": "When?"},
                                           "value": "pm", "items": [
                                               {"value": "am", "text": "Morning"},
                                               {"value": "pm", "text": "Afternoon"}]}))
    radios = root.findall(".//input")
    assert [r.get("id") for r in radios] == ["when", "when-2"]
    assert [r.get("checked") is not None for r in radios] == [False, True]
    assert text_of(root.find(".//legend")) == "When?"


def test_checkboxes_keep_several_choices(env: Environment) -> None:
    root = fragment(render(env, "checkboxes", {"name": "u", "legend": {"text": "Which?"},
                                               "value": ["a", "c"], "items": [
                                                   {"value": "a", "text": "A"},
                                                   {"value": "b", "text": "B"},
                                                   {"value": "c", "text": "C"}]}))
    assert [c.get("checked") is not None for c in root.findall(".//input")] == [True, False, True]


def test_success_banner_is_announced_and_important_banner_is_a_region(env: Environment) -> None:
    success = fragment(render(env, "notification_banner", {"type": "success", "text": "Done"}))
    assert success.find(".//div").get("role") == "alert"
    important = fragment(render(env, "notification_banner", {"text": "Note"}))
    assert important.find(".//div").get("role") == "region"


def test_table_scrolls_in_a_labelled_focusable_region(env: Environment) -> None:
    root = fragment(render(env, "table", examples("table")[0]["params"]))
    wrapper = root.find(".//div")
    assert wrapper.get("tabindex") == "0" and wrapper.get("role") == "region"
    assert wrapper.get("aria-labelledby") == "payments-caption"
    assert [th.get("scope") for th in root.findall(".//tbody//th")] == ["row", "row"]


def test_summary_list_actions_say_what_they_change(env: Environment) -> None:
    root = fragment(render(env, "summary_list", examples("summary_list")[0]["params"]))
    assert [text_of(a) for a in root.findall(".//a")] == ["Change name", "Change phone"]


def test_pagination_marks_the_current_page(env: Environment) -> None:
    root = fragment(render(env, "pagination", examples("pagination")[0]["params"]))
    current = root.findall(".//a[@aria-current='page']")
    assert [text_of(a) for a in current] == ["2"]


def test_button_link_and_double_click_guard(env: Environment) -> None:
    link = fragment(render(env, "button", {"text": "Start", "href": "/sign-in"})).find(".//a")
    assert link.get("href") == "/sign-in" and "button" in link.get("class")
    button = fragment(render(env, "button", {"text": "Send", "prevent_double_click": True}))
    assert button.find(".//button").get("data-prevent-double-click") == "true"

"""Typed form values: every form's data class agrees with its fields, in names and in types, and
`form.data` is there only once the form is valid."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, TypeVar, get_type_hints

import pytest

import portal
from portal.access import Scope
from portal.accounts.routes import ChooseForm
from portal.carers.forms import ChoiceForm, InviteForm
from portal.needs.forms import NeedsForm
from portal.ops.forms import FixedForm
from portal.updates.forms import SettingsForm
from portal.web.forms import Field, Form, FormNotValid


def portal_modules() -> list[ModuleType]:
    return [importlib.import_module(info.name)
            for info in pkgutil.walk_packages(portal.__path__, "portal.")
            if ".migrations" not in info.name]


MODULES = portal_modules()


def subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *subclasses(sub)]
    return found


# Each form that names its data class: not a generic base (carers' _TermsRules), nor a class made
# per person from SettingsForm.
FORMS = sorted({cls for cls in subclasses(Form) if cls.__module__.startswith("portal.")
                and "data_class" in vars(cls) and not isinstance(cls.data_class, TypeVar)},
               key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def expected_type(f: Field) -> Any:
    """What `Form.clean` puts in the data class for this field."""
    if f.parse is None:
        one: Any = str
    elif isinstance(f.parse, type):
        one = f.parse
    else:
        one = get_type_hints(f.parse)["return"]
    return list[one] if f.many else one


def test_every_form_is_found() -> None:
    assert len(FORMS) > 35


@pytest.mark.parametrize("form", [cls for cls in FORMS if cls.clean is Form.clean],
                         ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_each_attribute_has_the_type_its_field_gives(form: type[Form[Any]]) -> None:
    hints = get_type_hints(form.data_class)
    assert {f.attribute: hints[f.attribute] for f in form.fields} == {
        f.attribute: expected_type(f) for f in form.fields}


def test_only_the_settings_form_builds_its_own_data() -> None:
    """Its fields are made per person (one per metered service), so no fixed data class fits them."""
    assert [cls for cls in FORMS if "clean" in vars(cls)] == [SettingsForm]


def test_a_form_whose_fields_and_data_differ_is_refused_when_it_is_made() -> None:
    @dataclass(frozen=True)
    class Said:
        email: str

    with pytest.raises(TypeError, match=r"\['emial'\] do not match the attributes of Said \['email'\]"):
        class Misspelt(Form[Said]):
            fields: ClassVar = (Field("emial"),)

    @dataclass
    class Unfrozen:
        email: str

    with pytest.raises(TypeError, match="frozen dataclass"):
        class Changeable(Form[Unfrozen]):
            fields: ClassVar = (Field("email"),)


def test_data_is_there_only_once_the_form_is_valid() -> None:
    form = ChoiceForm.from_data({"authority": "12"})
    with pytest.raises(FormNotValid):
        form.data  # noqa: B018
    assert form.validate()
    assert form.data.authority == 12
    form.error("authority", "Gone")
    with pytest.raises(FormNotValid):
        form.data  # noqa: B018
    wrong = ChoiceForm.from_data({"authority": "twelve"})
    assert not wrong.validate()
    with pytest.raises(FormNotValid):
        wrong.data  # noqa: B018


def test_data_holds_lists_booleans_numbers_and_what_is_built_from_them() -> None:
    needs = NeedsForm.from_data({"channel": "email", "support": ["large_print"], "other": " Ring twice ",
                                 "consent": "yes"})
    assert needs.validate(), needs.errors
    assert (needs.data.support, needs.data.other, needs.data.consent) == (["large_print"], "Ring twice", True)

    invite = InviteForm.from_data({"carer_name": "Ann", "carer_phone": "07700 900123",
                                   "scopes": [Scope.messages.value], "until": "date",
                                   "ends-day": "31", "ends-month": "12", "ends-year": "2027"})
    invite.today = dt.date(2026, 1, 1)
    assert invite.validate(), invite.errors
    assert invite.data.invitation.terms.scopes == {Scope.messages}
    assert invite.data.invitation.terms.ends_on == dt.date(2027, 12, 31)
    assert invite.data.form_key  # A new key when none was sent.

    fixed = FixedForm.from_data({"what_is_happening": "Fixed", "from_version": "x"})
    assert fixed.validate()
    assert fixed.data.from_version == -1  # Not a version: it will be stale.


def test_a_form_that_is_never_wrong_keeps_what_was_sent() -> None:
    """Only checked where used: a long `next` is still followed if it is a page of ours."""
    far = "/account/" + "x" * 600
    form = ChooseForm.from_data({"account": "NF-100234", "next": far})
    assert form.validate()
    assert form.data.next == far


def test_raw_values_are_read_by_the_names_of_fields() -> None:
    """`form.values` is what was typed; checks, drafts and pages shown again still read it by name.
    Each name read must be a field of a form the module knows."""
    read, unknown = 0, []
    for module in MODULES:
        source = Path(module.__file__ or "").read_text() if module.__file__ else ""
        if ".values" not in source:
            continue
        names = {f.name for thing in vars(module).values()
                 if isinstance(thing, type) and issubclass(thing, Form) for f in thing.fields}
        for node in ast.walk(ast.parse(source)):
            key = None
            if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "values" and isinstance(node.slice, ast.Constant)):
                key = node.slice.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "get" and isinstance(node.func.value, ast.Attribute)
                  and node.func.value.attr == "values"
                  and node.args and isinstance(node.args[0], ast.Constant)):
                key = node.args[0].value
            if isinstance(key, str):
                read += 1
                if key not in names:
                    unknown.append(f"{module.__name__}:{node.lineno} {key!r}")
    assert read > 20
    assert not unknown, "values read by a name no field has:\n" + "\n".join(unknown)

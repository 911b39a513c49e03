"""Server-side form validation in the GOV.UK error pattern.

A form keeps every value the person typed, collects one plain-language error per field in field order,
and gives the error summary its links. Templates pass `form.values[...]` and `form.errors[...]` to
the components: `values` is the raw input, there to show again what was typed.

Each form names a frozen dataclass of its checked values, `class EmailForm(Form[EmailData])`, with one
attribute per field (a field "dob-day" is the attribute `dob_day`): `str`, `list[str]` for `many`, or
what the field's `parse` returns. After `validate()` passes, handlers and services use
`form.data.email`, which mypy checks; a misspelt name fails `make lint`. Field names and attributes
are compared when the class is made, so they cannot drift; tests/test_form_data.py compares the types.

A form with a `FORM_KEY` field is one thing however often it is sent: a blank form gets a fresh key,
and the service stores the key with what it makes, so the second submission finds the first. A key
that is missing or malformed is replaced (that form sent twice is then not recognised, but nothing
is lost), never shown as an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Self, TypeVar, get_args, get_origin

from fastapi import HTTPException, Request
from starlette.datastructures import FormData

from portal.web.csrf import MAX_FIELDS

Message = Any  # A string or a lazy gettext proxy, translated when shown.

# Control characters (C0, DEL, C1, and the Unicode line and paragraph separators). The ones that
# break a line become a space; the rest go. A line break in a name would otherwise reach an email
# header, a log line or a text message.
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_CONTROLS_BUT_NEWLINE_AND_TAB = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def one_line(value: str) -> str:
    """What a single-line field keeps: no control characters, line breaks turned into spaces."""
    return _BREAKS.sub(" ", _CONTROLS.sub("", value))


def several_lines(value: str) -> str:
    """What a text box keeps: line breaks (as \\n) and tabs, and no other control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROLS_BUT_NEWLINE_AND_TAB.sub("", value)


@dataclass(frozen=True)
class Field:
    name: str
    required: Message | None = None  # The error when it is left empty; None means optional.
    max_length: int = 500
    too_long: Message | None = None
    choices: Callable[[], Sequence[str]] | None = None  # Allowed values, for radios and checkboxes.
    pattern: str | None = None
    invalid: Message | None = None  # The error for a value outside `choices` or `pattern`.
    many: bool = False  # Checkboxes: several values.
    multiline: bool = False  # A text box: keeps its line breaks. Every other field is one line.
    # Runs after control characters are gone (see `one_line` and `several_lines`).
    normalise: Callable[[str], str] = lambda value: value.strip()
    # Turns a checked value into its type in `form.data` (each one, for `many`). It also gets the
    # empty value of an optional field, so it must take "" then (`bool` does).
    parse: Callable[[str], Any] | None = None

    @property
    def attribute(self) -> str:
        """Its name in the form's data class: "dob-day" is `dob_day`."""
        return self.name.replace("-", "_")

    def accepts(self, item: str) -> bool:
        if self.choices is not None and item not in self.choices():
            return False
        return self.pattern is None or re.fullmatch(self.pattern, item) is not None

    def typed(self, value: Any) -> Any:
        """A checked value as the form's data holds it."""
        if self.many:
            items = list(value or [])
            return [self.parse(item) for item in items] if self.parse else items
        return self.parse(value or "") if self.parse else value or ""


def date_from_parts(day: str, month: str, year: str) -> dt.date | None:
    """A date typed in three boxes, or None if it is not a real one."""
    try:
        return dt.date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        return None


def yes(value: str) -> bool:
    """A "yes" radio button or tick box."""
    return value == "yes"


FORM_KEY_CHARACTERS = r"[A-Za-z0-9_-]"


def new_form_key() -> str:
    return secrets.token_urlsafe(16)


def form_key_or_new(value: str) -> str:
    """The key the form carried, if it looks like one we made (16 to 64 characters); otherwise a
    fresh one."""
    return value if re.fullmatch(FORM_KEY_CHARACTERS + "{16,64}", value) else new_form_key()


FORM_KEY = Field("form_key", max_length=64, pattern=FORM_KEY_CHARACTERS + "+")


D = TypeVar("D")


class FormNotValid(RuntimeError):
    """`form.data` was asked for before `validate()` passed, or after an error was added."""


@dataclass
class Form(Generic[D]):
    fields: ClassVar[tuple[Field, ...]] = ()
    data_class: ClassVar[type] = type(None)  # The D of Form[D], set when a subclass is made.
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Message] = field(default_factory=dict)
    _data: D | None = field(default=None, init=False, repr=False, compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cls.__dict__.get("__orig_bases__", ()):
            origin = get_origin(base)
            if isinstance(origin, type) and issubclass(origin, Form):
                (cls.data_class,) = get_args(base)
        if not isinstance(cls.data_class, TypeVar) and cls.clean is Form.clean:
            cls._check_data_class()

    @classmethod
    def _check_data_class(cls) -> None:
        """One attribute of a frozen dataclass for each field, and nothing else."""
        data_class = cls.data_class
        params = getattr(data_class, "__dataclass_params__", None)
        if params is None or not params.frozen:
            raise TypeError(f"{cls.__name__}: Form[...] needs a frozen dataclass, not {data_class!r}")
        attributes = sorted(f.attribute for f in cls.fields)
        declared = sorted(f.name for f in dataclasses.fields(data_class))
        if attributes != declared:
            raise TypeError(f"{cls.__name__}'s fields {attributes} do not match the attributes of "
                            f"{data_class.__name__} {declared}")

    @property
    def data(self) -> D:
        """The typed values, once `validate()` has passed (and while no error has been added)."""
        if self._data is None or self.errors:
            raise FormNotValid(f"{type(self).__name__}.data is there only after validate() passed")
        return self._data

    def clean(self) -> D:
        """The checked values as the data class; `validate()` calls it when there is no error. A form
        whose fields are made per person (the update settings) builds its data itself."""
        data: D = self.data_class(**{f.attribute: f.typed(self.values.get(f.name)) for f in self.fields})
        return data

    @classmethod
    def blank(cls, **initial: Any) -> Self:
        values: dict[str, Any] = {f.name: ([] if f.many else "") for f in cls.fields}
        if any(f.name == FORM_KEY.name for f in cls.fields):
            values[FORM_KEY.name] = new_form_key()
        values.update({name: value for name, value in initial.items()
                       if not (name == FORM_KEY.name and not value)})
        return cls(values=values)

    @classmethod
    async def from_request(cls, request: Request) -> Self:
        """Also a dependency: `form: Annotated[MyForm, Depends(MyForm.from_request)]` lets the
        handler itself be a plain function, run off the event loop."""
        try:
            data = await request.form(max_files=0, max_fields=MAX_FIELDS)
        except Exception as exc:  # Malformed bodies are the sender's problem, not a 500.
            raise HTTPException(status_code=400) from exc
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: FormData | Mapping[str, Any]) -> Self:
        values: dict[str, Any] = {}
        for f in cls.fields:
            if isinstance(data, FormData):
                raw = [v for v in data.getlist(f.name) if isinstance(v, str)]
            else:
                item: Any = data.get(f.name, [])
                raw = item if isinstance(item, list) else [item]
            tidy = several_lines if f.multiline else one_line
            cleaned = [value for value in (f.normalise(tidy(v)) for v in raw) if value]
            values[f.name] = cleaned if f.many else (cleaned[0] if cleaned else "")
        return cls(values=values)

    def validate(self) -> bool:
        for f in self.fields:
            value = self.values.get(f.name)
            if not value:
                if f.required is not None:
                    self.errors[f.name] = f.required
                continue
            items = value if f.many else [value]
            if any(len(item) > f.max_length for item in items):
                self.errors[f.name] = f.too_long or f.invalid or f.required
            elif not all(f.accepts(item) for item in items):
                self.errors[f.name] = f.invalid or f.required
        if any(f.name == FORM_KEY.name for f in self.fields):
            self.errors.pop(FORM_KEY.name, None)
            key = self.values.get(FORM_KEY.name) or ""
            if not (key and len(key) <= FORM_KEY.max_length and FORM_KEY.accepts(key)):
                self.values[FORM_KEY.name] = new_form_key()
        self.check()
        self._data = None if self.errors else self.clean()
        return not self.errors

    def check(self) -> None:
        """Rules across fields; subclasses call `self.error(name, message)`."""

    def error(self, name: str, message: Message) -> None:
        self.errors.setdefault(name, message)

    @property
    def sent_key(self) -> str:
        """The form key as sent, before any check: to find what an earlier sending already made."""
        return self.values.get(FORM_KEY.name) or ""

    def key_or_new(self) -> str:
        """The form key, replaced now if it is not one we made (`form_key_or_new`), so a page that
        shows the form again carries the new one."""
        self.values[FORM_KEY.name] = key = form_key_or_new(self.sent_key)
        return key

    @property
    def error_list(self) -> list[dict[str, Any]]:
        """For the error summary: each error links to its field, in the order the fields appear."""
        order = [f.name for f in self.fields]
        names = sorted(self.errors, key=lambda n: order.index(n) if n in order else len(order))
        return [{"href": f"#{name}", "text": self.errors[name]} for name in names]

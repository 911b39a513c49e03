"""Server-side form validation in the GOV.UK error pattern.

A form keeps every value the person typed, collects one plain-language error per field in field order,
and gives the error summary its links. Templates pass `form.values[...]` and `form.errors[...]` to
the components.

A form with a `FORM_KEY` field is one thing however often it is sent: a blank form gets a fresh key,
and the service stores the key with what it makes, so the second submission finds the first. A key
that is missing or malformed is replaced (that form sent twice is then not recognised, but nothing
is lost), never shown as an error.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from fastapi import HTTPException, Request
from starlette.datastructures import FormData

from portal.web.csrf import MAX_FIELDS

Message = Any  # A string or a lazy gettext proxy, translated when shown.


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
    normalise: Callable[[str], str] = lambda value: value.replace("\x00", "").strip()

    def accepts(self, item: str) -> bool:
        if self.choices is not None and item not in self.choices():
            return False
        return self.pattern is None or re.fullmatch(self.pattern, item) is not None


FORM_KEY_CHARACTERS = r"[A-Za-z0-9_-]"


def new_form_key() -> str:
    return secrets.token_urlsafe(16)


def form_key_or_new(value: str) -> str:
    """The key the form carried, if it looks like one we made (16 to 64 characters); otherwise a
    fresh one."""
    return value if re.fullmatch(FORM_KEY_CHARACTERS + "{16,64}", value) else new_form_key()


FORM_KEY = Field("form_key", max_length=64, pattern=FORM_KEY_CHARACTERS + "+")


@dataclass
class Form:
    fields: ClassVar[tuple[Field, ...]] = ()
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Message] = field(default_factory=dict)

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
            cleaned = [f.normalise(v) for v in raw if f.normalise(v)]
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
        return not self.errors

    def check(self) -> None:
        """Rules across fields; subclasses call `self.error(name, message)`."""

    def error(self, name: str, message: Message) -> None:
        self.errors.setdefault(name, message)

    @property
    def error_list(self) -> list[dict[str, Any]]:
        """For the error summary: each error links to its field, in the order the fields appear."""
        order = [f.name for f in self.fields]
        names = sorted(self.errors, key=lambda n: order.index(n) if n in order else len(order))
        return [{"href": f"#{name}", "text": self.errors[name]} for name in names]

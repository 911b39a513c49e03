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
    status: int = 200
    demo_only: bool = False


PAGES: tuple[PageState, ...] = (
    PageState("start", "/"),
    PageState("help", "/help"),
    PageState("accessibility statement", "/accessibility-statement"),
    PageState("privacy", "/privacy"),
    PageState("cookies", "/cookies"),
    PageState("sign in", "/sign-in"),
    PageState("signed out", "/signed-out"),
    PageState("page not found", "/no-such-page", status=404),
    PageState("account", "/account", signed_in=True),
    PageState("demo personas", "/demo", demo_only=True),
    PageState("demo personas with an error", "/demo", submit_empty=True, status=422,
              demo_only=True),
    PageState("components", "/demo/components", demo_only=True),
)


def component_pages() -> tuple[PageState, ...]:
    return tuple(PageState(f"component: {path.stem}", f"/demo/components/{path.stem}",
                           demo_only=True)
                 for path in sorted(EXAMPLES.glob("*.json")))


def all_states() -> tuple[PageState, ...]:
    return PAGES + component_pages()


def covered_paths() -> set[str]:
    """Route paths the inventory visits (for the meta-test)."""
    paths = {state.path for state in all_states()}
    return paths | ({"/demo/components/{name}"} if component_pages() else set())

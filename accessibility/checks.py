"""Checks axe does not make: reflow at 320 px, the skip link, and where the help link sits."""

from __future__ import annotations

from playwright.sync_api import Page


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 means it reflows)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def focused_description(page: Page) -> str:
    return page.evaluate(r"""() => {
      const el = document.activeElement;
      if (!el || el === document.body) return "body";
      return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " +
             (el.innerText || (el.labels && el.labels.length ? el.labels[0].innerText : "") || el.value || "")
               .replace(/\s+/g, " ").trim().slice(0, 60);
    }""")


def talk_link_box(page: Page) -> dict | None:
    """Where "Talk to a person" sits, so tests can say it is in the same place on every page."""
    return page.locator("header a[href='/help']").bounding_box()

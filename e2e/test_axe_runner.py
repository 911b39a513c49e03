"""The checker itself: it must catch real problems, or every other test here proves nothing."""

from __future__ import annotations

from playwright.sync_api import Page

from accessibility.axe import violations
from accessibility.checks import horizontal_overflow

BAD_PAGE = """<!DOCTYPE html><html><head><title>Bad</title></head><body>
<main><h1>Bad</h1><img src="x.png"><input type="text"><a href="/"></a>
<p style="color:#aaa;background:#fff">Faint text</p>
<div style="width:900px">Too wide</div></main></body></html>"""


def test_axe_finds_known_violations(page: Page) -> None:
    page.set_content(BAD_PAGE)
    found = {v["id"] for v in violations(page)}
    assert {"image-alt", "label", "link-name", "color-contrast", "html-has-lang"} <= found


def test_reflow_check_sees_sideways_scrolling(page: Page) -> None:
    page.set_content(BAD_PAGE)
    assert horizontal_overflow(page) > 0

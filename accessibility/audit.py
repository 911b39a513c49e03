"""Audit a running portal: every inventory state, in every language, narrow and wide.

    python -m accessibility.audit --base-url http://localhost:8000

Writes accessibility/reports/report.json and report.md, and exits non-zero when anything fails."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from accessibility.axe import describe, violations
from accessibility.browser import NARROW, WIDE, launch_options
from accessibility.checks import horizontal_overflow
from accessibility.inventory import LOCALES, all_states
from accessibility.journeys import open_state, set_language

REPORTS = Path(__file__).resolve().parent / "reports"


def audit(base_url: str) -> list[dict]:
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        for state in all_states():
            for locale in LOCALES:
                for name, viewport in (("narrow", NARROW), ("wide", WIDE)):
                    context = browser.new_context(base_url=base_url, viewport=viewport)
                    page = context.new_page()
                    set_language(page, base_url, locale)
                    entry = {"state": state.name, "path": state.path, "locale": locale,
                             "viewport": name}
                    try:
                        open_state(page, state)
                        entry["violations"] = violations(page)
                        entry["overflow_px"] = horizontal_overflow(page)
                    except Exception as exc:  # Report and carry on with the other pages.
                        entry["error"] = str(exc)
                    results.append(entry)
                    context.close()
        browser.close()
    return results


def write_report(results: list[dict]) -> int:
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "report.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    failures = [r for r in results
                if r.get("error") or r.get("violations") or r.get("overflow_px", 0) > 0]
    lines = ["# Accessibility audit", "",
             f"{len(results)} page states checked, {len(failures)} with problems.", ""]
    for r in failures:
        lines.append(f"## {r['state']} ({r['locale']}, {r['viewport']}) {r['path']}")
        if r.get("error"):
            lines.append(f"Could not open: {r['error']}")
        if r.get("overflow_px"):
            lines.append(f"Scrolls sideways by {r['overflow_px']} px")
        if r.get("violations"):
            lines.append(describe(r["violations"]))
        lines.append("")
    (REPORTS / "report.md").write_text("\n".join(lines))
    print("\n".join(lines[:3]))
    print(f"Report: {REPORTS / 'report.md'}")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://localhost:8000")
    args = parser.parse_args()
    sys.exit(write_report(audit(args.base_url)))


if __name__ == "__main__":
    main()

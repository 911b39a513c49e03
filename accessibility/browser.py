"""How we start Debian's Chromium here: Playwright cannot download its own browsers."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
NARROW = {"width": 320, "height": 640}  # WCAG 1.4.10 reflow: 1280 px at 400% zoom.
WIDE = {"width": 1280, "height": 900}


def launch_options() -> dict:
    return {"executable_path": CHROMIUM, "args": LAUNCH_ARGS, "headless": True}

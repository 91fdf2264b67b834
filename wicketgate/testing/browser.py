"""Debian's Chromium, headless, driven by Playwright: how every browser test starts it.

Never ``playwright install``: the browser is the one ``make install`` put at
/usr/bin/chromium. A machine without it fails the browser tests rather than skipping
them, so a missing install step cannot pass unnoticed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("WICKETGATE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in CI
    "--disable-gpu",
    "--disable-background-networking",  # the machine has no network beyond loopback
    "--disable-component-update",
]


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )

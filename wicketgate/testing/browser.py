"""Debian's Chromium, headless, driven by Playwright: how every browser test starts it.

Never ``playwright install``: the browser is the one ``make install`` put at
/usr/bin/chromium. A machine without it fails the browser tests rather than skipping
them, so a missing install step cannot pass unnoticed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("WICKETGATE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in CI
    "--disable-gpu",
    "--disable-background-networking",  # the machine has no network beyond loopback
    "--disable-component-update",
]


def launch_chromium(playwright: Any, *, args: Sequence[str] = (), **options: Any) -> Any:
    """Chromium with the project's flags, plus ``args``; ``options`` go to ``launch``."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, *args],
        env=chromium_environment(),
        **options,
    )


def chromium_environment() -> dict[str, str]:
    """The environment Chromium starts with: this process's, but under a shifted clock
    (``wicketgate.testing.shifted_clock``) with its monotonic clock shifted too. Debian 12's
    libfaketime keeps Chromium's timed waits right only then; without it every page
    takes seconds."""
    env = dict(os.environ)
    if env.get("WICKETGATE_SHIFTED_CLOCK"):
        env.pop("FAKETIME_DONT_FAKE_MONOTONIC", None)
    return env

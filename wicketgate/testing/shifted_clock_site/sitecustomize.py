"""Loaded at start-up by every Python process that ``shifted_clock`` runs (PYTHONPATH).

Python 3.11's ``time.sleep`` sleeps until an absolute time on the monotonic clock
(``clock_nanosleep`` with ``TIMER_ABSTIME``). The libfaketime in Debian 12 (0.9.10)
shifts that time as if the monotonic clock were faked even when it is told not to
fake it, so every sleep fails with EINVAL (fixed upstream after 0.9.12, in d17bb11).
A timed wait on a lock uses the real monotonic clock, which is left alone, so
``time.sleep`` waits on one instead. Outside ``shifted_clock`` this does nothing.
"""

from __future__ import annotations

import os
import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    if seconds:
        threading.Event().wait(seconds)


if os.environ.get("WICKETGATE_SHIFTED_CLOCK") and "libfaketime" in os.environ.get("LD_PRELOAD", ""):
    time.sleep = _sleep

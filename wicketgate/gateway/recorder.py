"""The recorder: Squid's access log into the audit log, as a process of its own.

``wicketgate gateway run`` starts it beside Squid at the lowest priority. The access log is a
durable spool, so while the gateway is busy (Squid writing more than ``BUSY_BYTES`` a
second) the recorder holds back, letting the questions Squid waits on have the CPU, until
the oldest unrecorded request is ``WICKETGATE_GATEWAY_RECORD_MAX_LAG_SECONDS`` old; when
the gateway is quiet it records at once. Nothing is lost either way.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection

from wicketgate.gateway import accesslog

log = logging.getLogger(__name__)

BUSY_BYTES = 64 * 1024  # a second: a few hundred requests
RATE_WINDOW = 1.0  # seconds over which that rate is judged
BATCH = 1000  # lines a transaction: short holds of the database's write lock


def record_forever(
    access_log: Path,
    stopping: threading.Event,
    *,
    reopen_log: Callable[[], None] | None = None,
    rotate_bytes: int | None = None,
    every: float = 0.2,
) -> None:
    limit = rotate_bytes or settings.WICKETGATE_GATEWAY_LOG_ROTATE_MB * 1024 * 1024
    max_lag = settings.WICKETGATE_GATEWAY_RECORD_MAX_LAG_SECONDS
    with contextlib.suppress(Exception):
        accesslog.finish_rotated(access_log)
    # (when, size) of the log over the last second or so: the rate Squid is writing at.
    recent: collections.deque[tuple[float, int]] = collections.deque()
    while not stopping.wait(every):
        try:
            size, now = _size(access_log), time.monotonic()
            recent.append((now, size))
            while len(recent) > 1 and now - recent[1][0] >= RATE_WINDOW:
                recent.popleft()
            then, before = recent[0]
            busy = size - before > BUSY_BYTES * max(now - then, RATE_WINDOW)
            close_old_connections()
            if busy and accesslog.lag_seconds(access_log) < max_lag:
                continue
            accesslog.tail(access_log)
            if (
                reopen_log is not None
                and access_log.exists()
                and access_log.stat().st_size >= limit
            ):
                accesslog.rotate(access_log, reopen_log)
        except Exception:
            with contextlib.suppress(Exception):
                connection.close()
            log.exception("gateway: could not move the access log into the audit log; will retry")
    with contextlib.suppress(Exception):
        accesslog.tail(access_log)
    with contextlib.suppress(Exception):
        connection.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0

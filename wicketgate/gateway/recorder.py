"""The recorder: Squid's access log into the audit log, as a process of its own.

``wicketgate gateway run`` starts it beside Squid, at a lower priority: the access log
is a durable spool, so under peak load the audit log may lag by some seconds while the
questions Squid asks are answered first; nothing is lost, and it catches up.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection

from wicketgate.gateway import accesslog

log = logging.getLogger(__name__)


def record_forever(
    access_log: Path,
    stopping: threading.Event,
    *,
    reopen_log: Callable[[], None] | None = None,
    rotate_bytes: int | None = None,
    every: float = 0.2,
) -> None:
    limit = rotate_bytes or settings.WICKETGATE_GATEWAY_LOG_ROTATE_MB * 1024 * 1024
    with contextlib.suppress(Exception):
        accesslog.finish_rotated(access_log)
    while not stopping.wait(every):
        try:
            close_old_connections()
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

"""Background work for the gateway, run by the Huey consumer that `wicketgate up` starts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wicketgate.gateway.actions import do_close_expired_sessions


@db_periodic_task(crontab(minute="*"))
def close_expired_sessions() -> None:
    """Every minute: record the end of sessions past their length or idle time.

    The gateway already refuses them from the clock; this closes them in the database,
    so that staff pages and the audit log say so, whether or not a gateway saw them end.
    """
    do_close_expired_sessions()

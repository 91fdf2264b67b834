"""Background work for conduct, run by the Huey consumer that `wicketgate up` starts.

Sanctions need no job: the policy engine decides from the clock when they start and end.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wicketgate.conduct.alerts import do_scan_for_alerts


@db_periodic_task(crontab(minute="*"))
def scan_for_alerts() -> None:
    """Every minute: raise alerts for staff from what the audit log shows."""
    do_scan_for_alerts()

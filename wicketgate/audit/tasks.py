"""Background work for the audit log, run by the Huey consumer that `wicketgate up` starts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wicketgate.audit.log import checkpoint_due, sign_checkpoint


@db_periodic_task(crontab(minute="*"))
def sign_checkpoint_when_due() -> None:
    """Every minute: sign the head if it has moved and the last checkpoint is T seconds old."""
    if checkpoint_due():
        sign_checkpoint()

"""Background work for contacts, run by the Huey consumer that `wicketgate up` starts."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wicketgate.contacts.documents import do_purge_identity_images


@db_periodic_task(crontab(minute="*"))
def purge_identity_images() -> None:
    """Every minute: delete copies of identity documents whose time has come."""
    do_purge_identity_images()

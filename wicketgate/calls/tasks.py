"""Background work for calls, run by the Huey consumer that `wicketgate up` starts.

Rooms open and calls end by the call watcher (`wicketgate calls run`), every half
second; what can wait a minute is here.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wicketgate.calls.janus import configured
from wicketgate.calls.models import Booking
from wicketgate.calls.recordings import (
    do_collect_recordings,
    do_delete_expired_recordings,
    raw_tracks,
    recordings_folder,
)


@db_periodic_task(crontab(minute="*"))
def collect_and_expire_recordings() -> None:
    """Convert the tracks of calls that have ended; delete recordings past retention."""
    folder = recordings_folder(configured().setup.folder)
    if folder.exists():
        for call in Booking.objects.filter(ended_at__isnull=False, recorded=True).select_related(
            "prisoner__establishment"
        ):
            if any(raw_tracks(folder, room) for room in call.rooms):
                do_collect_recordings(call, folder)
    do_delete_expired_recordings()

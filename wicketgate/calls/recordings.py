"""Recordings of calls: converted when the call ends, kept for the retention period, seen
only by staff with the permission, every viewing on the record.

Janus writes one ``.mjr`` file per track of each publisher into its ``rec_dir``
(``videoroom-<room>-user-<id>-<µs>-<audio|video>-<mid>.mjr``); ``janus-pp-rec`` turns them
into ``.opus`` and ``.webm``. Calls with legal contacts are never recorded: their rooms are
made without recording (``actions.do_open_call``).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.calls.models import Booking, Recording

PP_REC = "/usr/bin/janus-pp-rec"
NAME = re.compile(
    r"^videoroom-(?P<room>\d+)-user-(?P<who>\d+)-(?P<at>\d+)-(?P<kind>audio|video)-\d+\.mjr$"
)
EXTENSION = {"audio": ".opus", "video": ".webm"}
CLOCK = Actor.system("calls")


def recordings_folder(janus_folder: Path) -> Path:
    return janus_folder / "recordings"


def raw_tracks(folder: Path, room: int) -> list[Path]:
    """Janus's unconverted tracks of ``room`` (a one-way call has two rooms)."""
    return list(folder.glob(f"videoroom-{room}-user-*.mjr"))


def do_collect_recordings(booking: Booking, folder: Path) -> list[Recording]:
    """Convert the ended call's tracks and note them with their deletion date."""
    made = []
    keep = dt.timedelta(days=settings.WICKETGATE_CALL_RECORDING_DAYS)
    for raw in sorted(raw for room in booking.rooms for raw in raw_tracks(folder, room)):
        match = NAME.match(raw.name)
        if match is None:
            continue
        target = raw.with_suffix(EXTENSION[match["kind"]])
        subprocess.run(  # noqa: S603 - our own fixed command on our own files
            [PP_REC, str(raw), str(target)], check=True, capture_output=True, timeout=600
        )
        raw.unlink()
        with transaction.atomic():
            recording = Recording.objects.create(
                booking=booking,
                kind=match["kind"],
                who=match["who"],
                path=str(target),
                size=target.stat().st_size,
                delete_after=timezone.now() + keep,
            )
            record_event(
                "calls.recording.make",
                actor=CLOCK,
                subject=booking.prisoner,
                establishment=booking.prisoner.establishment,
                details={
                    "booking": booking.pk,
                    "recording": recording.pk,
                    "kind": recording.kind,
                    "size": recording.size,
                },
            )
        made.append(recording)
    return made


def do_delete_expired_recordings(now: dt.datetime | None = None) -> int:
    """Delete recordings past their retention period (files first, then the record)."""
    moment = now or timezone.now()
    count = 0
    for recording in Recording.objects.filter(
        deleted_at__isnull=True, delete_after__lte=moment
    ).select_related("booking__prisoner__establishment"):
        Path(recording.path).unlink(missing_ok=True)
        with transaction.atomic():
            recording.deleted_at = moment
            recording.save(update_fields=["deleted_at"])
            record_event(
                "calls.recording.delete",
                actor=CLOCK,
                subject=recording.booking.prisoner,
                establishment=recording.booking.prisoner.establishment,
                details={"booking": recording.booking_id, "recording": recording.pk},
            )
        count += 1
    return count


def do_view_recording(recording: Recording, *, actor: Actor) -> None:
    """A member of staff plays a recording: audited, as every viewing of one is."""
    record_event(
        "calls.recording.view",
        actor=actor,
        subject=recording.booking.prisoner,
        establishment=recording.booking.prisoner.establishment,
        details={
            "booking": recording.booking_id,
            "recording": recording.pk,
            "kind": recording.kind,
        },
    )

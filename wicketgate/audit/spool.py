"""Batched appends for high-volume writers, with a durable local spool.

A writer such as the web gateway records an event on every request; it must not wait
for the database each time, yet must lose nothing it has acknowledged. So
:meth:`SpoolWriter.append` returns once the event is on local disk (written and
fsync'd to the spool file), and a background thread moves spooled events into the
chain in batches. The position reached in each spool file is kept in the database
(:class:`SpoolCursor`), updated in the same transaction as the events it covers, so a
restart after a crash replays exactly what had not yet reached the database.

Spool files are JSON Lines, one per writer and segment:
``<spool dir>/<writer name>.<segment>.spool``. A line without its newline is a write
that was cut short by the crash and was never acknowledged; it is dropped.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from wicketgate.audit.log import Actor, PendingEvent, append_events
from wicketgate.audit.models import SpoolCursor

log = logging.getLogger(__name__)

SEGMENT_BYTES = 64 * 1024 * 1024


class SpoolWriter:
    """Acknowledge events once durable on disk; write them to the log in batches.

    One writer per ``name`` at a time (an exclusive lock on the spool file says so).
    """

    def __init__(
        self,
        name: str,
        *,
        spool_dir: Path | None = None,
        batch_size: int = 2000,
        flush_interval: float = 0.2,
    ) -> None:
        if not name or "/" in name or "." in name:
            raise ValueError(f"a spool writer's name is one word without dots or slashes: {name!r}")
        self.name = name
        self.dir = Path(spool_dir or settings.WICKETGATE_AUDIT_SPOOL_DIR)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._write_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._unflushed = 0
        self._error: BaseException | None = None
        # Whatever an earlier run of this writer left behind goes into the log first.
        for path in _segments(self.dir, name):
            replay_file(path)
        self._segment = _next_segment(self.dir, name)
        self._file = self._open(self._segment)
        self._thread = threading.Thread(target=self._run, name=f"audit-spool-{name}", daemon=True)
        self._thread.start()

    # --- for the writer ------------------------------------------------------------

    def append(self, event: PendingEvent) -> None:
        """Return once ``event`` is durable on local disk."""
        self.append_many([event])

    def append_many(self, events: Iterable[PendingEvent]) -> None:
        """Return once every event is durable on local disk (one fsync for them all)."""
        if self._error is not None:
            raise RuntimeError("the audit spool's database writer has failed") from self._error
        data = "".join(_encode(event) for event in events).encode()
        if not data:
            return
        with self._write_lock:
            self._file.write(data)
            self._file.flush()
            os.fsync(self._file.fileno())
            if self._file.tell() >= SEGMENT_BYTES:
                self._roll()
            self._unflushed += data.count(b"\n")
            if self._unflushed >= self.batch_size:
                self._wake.set()

    def flush(self) -> None:
        """Write everything spooled so far into the log, now."""
        with self._write_lock:
            paths = list(_segments(self.dir, self.name))
            self._unflushed = 0
        with self._flush_lock:
            for path in paths:
                replay_file(path, keep_open=path.name == self._segment)

    def close(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=30)
        self.flush()
        with self._write_lock:
            self._file.close()
        replay_file(self.dir / self._segment)

    # --- internals ---------------------------------------------------------------

    def _open(self, segment: str) -> IO[bytes]:
        handle = open(self.dir / segment, "ab")  # noqa: SIM115 - held for the writer's life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise RuntimeError(f"another process is writing the audit spool {self.name}") from exc
        return handle

    def _roll(self) -> None:
        old = self._file
        self._segment = _next_segment(self.dir, self.name)
        self._file = self._open(self._segment)
        old.close()

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._wake.wait(self.flush_interval)
                self._wake.clear()
                self.flush()
        except BaseException as exc:  # surfaced to the writer on its next append
            log.exception("audit spool %s: writing to the database failed", self.name)
            self._error = exc
        finally:
            connection.close()


def replay_all(spool_dir: Path | None = None) -> int:
    """Write every spool file that no live writer holds into the log; returns events written."""
    folder = Path(spool_dir or settings.WICKETGATE_AUDIT_SPOOL_DIR)
    if not folder.exists():
        return 0
    total = 0
    for path in sorted(folder.glob("*.spool")):
        try:
            with open(path, "rb+") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                total += replay_file(path)
        except BlockingIOError:
            continue  # a live writer owns it and will write it itself
    return total


def replay_file(path: Path, *, keep_open: bool = False, batch: int = 5000) -> int:
    """Append the complete lines of ``path`` past its cursor; delete it once all written."""
    close_old_connections()
    written = 0
    if not path.exists():
        SpoolCursor.objects.filter(spool=path.name).delete()
        return 0
    with open(path, "rb") as handle:
        while True:
            cursor = (
                SpoolCursor.objects.filter(spool=path.name).values_list("offset", flat=True).first()
                or 0
            )
            handle.seek(cursor)
            events, end = _read_complete_lines(handle, batch)
            if not events:
                break
            with transaction.atomic():
                # The cursor row is locked with the chain head, so two replayers of one
                # file cannot both write the same lines.
                locked, _ = SpoolCursor.objects.select_for_update().get_or_create(spool=path.name)
                if locked.offset != cursor:
                    continue
                append_events(events)
                locked.offset = end
                locked.save(update_fields=["offset", "updated_at"])
            written += len(events)
        complete = handle.tell() == os.fstat(handle.fileno()).st_size
    if not keep_open and complete:
        _truncate_torn_tail(path)
        if path.stat().st_size == (
            SpoolCursor.objects.filter(spool=path.name).values_list("offset", flat=True).first()
            or 0
        ):
            path.unlink()
            SpoolCursor.objects.filter(spool=path.name).delete()
    return written


def _read_complete_lines(handle: IO[bytes], limit: int) -> tuple[list[PendingEvent], int]:
    events: list[PendingEvent] = []
    position = handle.tell()
    for line in _lines(handle):
        if not line.endswith(b"\n"):
            break  # cut short by a crash: never acknowledged
        events.append(_decode(line))
        position += len(line)
        if len(events) >= limit:
            break
    handle.seek(position)
    return events, position


def _lines(handle: IO[bytes]) -> Iterator[bytes]:
    while True:
        line = handle.readline()
        if not line:
            return
        yield line


def _truncate_torn_tail(path: Path) -> None:
    data_end = path.stat().st_size
    if data_end == 0:
        return
    with open(path, "rb+") as handle:
        handle.seek(max(0, data_end - 65536))
        tail = handle.read()
        cut = tail.rfind(b"\n")
        keep = data_end - len(tail) + cut + 1 if cut >= 0 else data_end - len(tail)
        if keep != data_end:
            handle.truncate(keep)


def _segments(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f"{name}.*.spool"))


def _next_segment(folder: Path, name: str) -> str:
    existing = [
        int(p.name.split(".")[1]) for p in _segments(folder, name) if p.name.split(".")[1].isdigit()
    ]
    return f"{name}.{max(existing, default=0) + 1:08d}.spool"


def _encode(event: PendingEvent) -> str:
    return (
        json.dumps(
            {
                "action": event.action,
                "actor": [event.actor.kind, event.actor.id, event.actor.label],
                "at": event.occurred_at.isoformat(),
                "subject": [event.subject_kind, event.subject_id, event.subject_label],
                "establishment": event.establishment_id,
                "outcome": event.outcome,
                "details": event.details,
            },
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        + "\n"
    )


def _decode(line: bytes) -> PendingEvent:
    data: dict[str, Any] = json.loads(line)
    kind, actor_id, label = data["actor"]
    subject_kind, subject_id, subject_label = data["subject"]
    return PendingEvent(
        action=data["action"],
        actor=Actor(kind=kind, id=actor_id, label=label),
        occurred_at=dt.datetime.fromisoformat(data["at"]),
        subject_kind=subject_kind,
        subject_id=subject_id,
        subject_label=subject_label,
        establishment_id=data["establishment"],
        outcome=data["outcome"],
        details=data["details"],
    )

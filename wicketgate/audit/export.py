"""Exporting a selection of events for an investigation, as JSON Lines or CSV.

Each exported event carries its chain position and hashes, so a recipient can check
that each one is as it was written; the export also carries a checkpoint, signed when
the export was made, that the chain verifies against. Making an export is itself an
audited action, recorded before the first event is written out.

In CSV, a cell a spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) carries a leading ``'`` (:mod:`wicketgate.lib.csvsafe`):
drop it (``csvsafe.original_cell``) before checking an event's hash. JSON Lines are
written as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone

from wicketgate.audit.chain import canonical_time
from wicketgate.audit.log import Actor, record_event, sign_checkpoint
from wicketgate.audit.models import AuditCheckpoint, AuditEvent
from wicketgate.audit.queries import EventFilter
from wicketgate.lib import csvsafe

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = [
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_label",
    "action",
    "subject_kind",
    "subject_id",
    "subject_label",
    "establishment_id",
    "outcome",
    "details",
    "prev_hash",
    "hash",
]


def do_export_audit_events(
    events: QuerySet[AuditEvent], *, chosen: EventFilter, fmt: str, actor: Actor
) -> tuple[dict[str, Any], Iterator[str]]:
    """Record the export, sign a checkpoint covering it; returns (manifest, lines to write)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    # Only what was logged before the export was asked for: the count, the rows streamed
    # later and the checkpoint must agree, and the export's own event is not part of it.
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    events = events.filter(seq__lte=last)
    count = events.count()
    record_event(
        "audit.export",
        actor=actor,
        details={"filters": chosen.describe(), "format": fmt, "events": count},
    )
    checkpoint = sign_checkpoint(force=True)
    manifest = {
        "type": "export",
        "exported_at": canonical_time(timezone.now()),
        "exported_by": actor.label,
        "filters": chosen.describe(),
        "events": count,
        "checkpoint": _checkpoint_dict(checkpoint),
    }
    selected = events.order_by("seq")
    return manifest, (_jsonl(manifest, selected) if fmt == "jsonl" else _csv(selected))


def event_dict(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": canonical_time(event.occurred_at),
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "subject_kind": event.subject_kind,
        "subject_id": event.subject_id,
        "subject_label": event.subject_label,
        "establishment_id": event.establishment_id,
        "outcome": event.outcome,
        "details": event.details,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _checkpoint_dict(checkpoint: AuditCheckpoint | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    return {
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "signed_at": canonical_time(checkpoint.signed_at),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def _jsonl(manifest: dict[str, Any], events: QuerySet[AuditEvent]) -> Iterator[str]:
    yield json.dumps(manifest, ensure_ascii=False) + "\n"
    for event in events.iterator(chunk_size=2000):
        yield json.dumps({"type": "event", **event_dict(event)}, ensure_ascii=False) + "\n"


class _Line:
    """A file-like object that hands back what csv.writer writes to it."""

    def write(self, text: str) -> str:
        return text


def _csv(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csvsafe.writer(_Line())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        row = event_dict(event)
        row["details"] = event.details_json
        yield writer.writerow([row[column] for column in CSV_COLUMNS])


def write_all(lines: Iterator[str], out: IO[str]) -> None:
    for line in lines:
        out.write(line)

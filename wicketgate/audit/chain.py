"""How an audit event is turned into bytes and chained to the one before it.

An event's hash is ``SHA-256(previous hash ‖ canonical JSON of the event)``, where the
previous hash is the 32 raw bytes of the event before it (32 zero bytes for the first)
and the canonical JSON is a compact UTF-8 array of the event's fields in this fixed
order, its last element the details object (keys sorted)::

    [seq, occurred_at, actor_kind, actor_id, actor_label, action,
     subject_kind, subject_id, subject_label, establishment_id, outcome, details]

``occurred_at`` is UTC with microseconds, e.g. ``2026-11-26T15:09:12.123456Z``. The
details are stored as the exact canonical text that was hashed, so verification never
depends on how a database normalises JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

GENESIS = "0" * 64

FIELDS = [
    "seq", "occurred_at", "actor_kind", "actor_id", "actor_label", "action",
    "subject_kind", "subject_id", "subject_label", "establishment_id", "outcome", "details",
]  # fmt: skip

compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical_details(details: dict[str, Any]) -> str:
    """The one text form of a details object: sorted keys, compact, UTF-8."""
    return json.dumps(
        details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def canonical_time(moment: dt.datetime) -> str:
    # isoformat is several times quicker than strftime, and this runs for every event.
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


def canonical_bytes(head: Sequence[Any], details_json: str) -> bytes:
    """``head`` is every field but the details, in FIELDS order."""
    text = compact_json(head)
    return (text[:-1] + "," + details_json + "]").encode()


def chain_hash(prev_hash: str, head: Sequence[Any], details_json: str) -> str:
    return hashlib.sha256(
        bytes.fromhex(prev_hash) + canonical_bytes(head, details_json)
    ).hexdigest()

"""Recompute the chain and check every checkpoint: is the log exactly as it was written?

Reads the events in sequence order straight from a database cursor (no ORM objects), so
a log of millions of events verifies in seconds, and reports the first place where it
is broken, with what is wrong there:

- ``modified``: an event's content no longer matches its hash, or its hash was
  recomputed so that the next event no longer links to it;
- ``missing``: sequence numbers are absent;
- ``inserted``: an event that the chain does not link through;
- ``reordered``: an event that links to one that comes after it;
- ``truncated``: a signed checkpoint vouches for events the log no longer has;
- ``checkpoint``: a checkpoint whose signature or head does not match.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection

from wicketgate.audit.chain import GENESIS, canonical_time, chain_hash
from wicketgate.audit.models import AuditCheckpoint
from wicketgate.audit.signing import checkpoint_message, key_id, signature_is_valid

COLUMNS = (
    "seq, prev_hash, hash, occurred_at, actor_kind, actor_id, actor_label, action, "
    "subject_kind, subject_id, subject_label, establishment_id, outcome, details_json"
)
CHUNK = 20_000
RECENT = 1024


@dataclass(frozen=True)
class Break:
    seq: int
    kind: str
    explanation: str

    def __str__(self) -> str:
        return f"event {self.seq}: {self.kind}: {self.explanation}"


@dataclass(frozen=True)
class Report:
    events: int
    head_seq: int
    head_hash: str
    checkpoints: int
    problem: Break | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify(public_key: Ed25519PublicKey, progress: Callable[[int], None] | None = None) -> Report:
    """Check the whole log against ``public_key``; stops at the first break."""
    checkpoints = list(
        AuditCheckpoint.objects.order_by("seq").values_list(
            "seq", "head_hash", "signed_at", "key_id", "signature"
        )
    )
    expected_key = key_id(public_key)
    for seq, head_hash, signed_at, kid, signature in checkpoints:
        if kid != expected_key or not signature_is_valid(
            public_key, checkpoint_message(seq, head_hash, signed_at), signature
        ):
            return Report(
                0,
                0,
                GENESIS,
                len(checkpoints),
                Break(
                    seq,
                    "checkpoint",
                    f"the checkpoint at event {seq} is not signed by key {expected_key}",
                ),
            )
    vouched = {seq: head_hash for seq, head_hash, *_ in checkpoints}
    count, last_seq, last_hash, problem = _walk(_rows(), vouched, progress)
    if problem is None and checkpoints and checkpoints[-1][0] > last_seq:
        k = checkpoints[-1][0]
        problem = Break(
            last_seq + 1,
            "truncated",
            f"truncated after event {last_seq}: the checkpoint at event {k} vouches for events up to {k}",
        )
    return Report(count, last_seq, last_hash, len(checkpoints), problem)


def _rows() -> Iterator[tuple[Any, ...]]:
    """Every event as a tuple, in sequence order, streamed in chunks."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM audit_auditevent ORDER BY seq")  # noqa: S608 - constant
        while True:
            chunk = cursor.fetchmany(CHUNK)
            if not chunk:
                return
            yield from chunk


def _time_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return canonical_time(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    # SQLite keeps Django's "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
    text = str(value).replace(" ", "T", 1)
    if "." not in text:
        text += ".000000"
    return text.removesuffix("+00:00") + "Z"


def _walk(
    rows: Iterator[tuple[Any, ...]], vouched: dict[int, str], progress: Callable[[int], None] | None
) -> tuple[int, int, str, Break | None]:
    count = 0
    expected = 1
    running = GENESIS
    # Recent hashes only: an insertion is found where it links back, a few events at most.
    seen: dict[str, int] = {GENESIS: 0}
    window: deque[str] = deque([GENESIS])
    previous_self_consistent = True
    current = next(rows, None)
    while current is not None:
        following = next(rows, None)
        seq, prev_hash, digest = current[0], current[1], current[2]
        head = [seq, _time_text(current[3]), *current[4:13]]
        consistent = chain_hash(prev_hash, head, current[13]) == digest
        if seq != expected:
            return (
                count,
                expected - 1,
                running,
                Break(expected, "missing", f"events {expected} to {seq - 1} are not in the log"),
            )
        if prev_hash == running:
            if following is not None and following[1] == prev_hash and following[0] == seq + 1:
                return (
                    count,
                    seq - 1,
                    running,
                    Break(seq, "inserted", "the next event links past it to the one before"),
                )
            if not consistent:
                return (
                    count,
                    seq - 1,
                    running,
                    Break(seq, "modified", "its content no longer matches its hash"),
                )
        elif following is not None and prev_hash == following[2]:
            return (
                count,
                seq - 1,
                running,
                Break(seq, "reordered", f"it links to event {following[0]}, which comes after it"),
            )
        elif prev_hash in seen:
            return (
                count,
                seq - 1,
                running,
                Break(
                    seen[prev_hash] + 1,
                    "inserted",
                    f"event {seq} links back to event {seen[prev_hash]}, past the events between",
                ),
            )
        elif previous_self_consistent and seq > 1:
            return (
                count,
                seq - 1,
                running,
                Break(
                    seq - 1,
                    "modified",
                    f"its hash was recomputed: event {seq} no longer links to it",
                ),
            )
        else:
            return (
                count,
                seq - 1,
                running,
                Break(seq, "modified", "it does not link to the event before it"),
            )
        if seq in vouched and vouched[seq] != digest:
            return (
                count,
                seq - 1,
                running,
                Break(
                    seq,
                    "modified",
                    f"a signed checkpoint vouches for a different hash at event {seq}",
                ),
            )
        count += 1
        running = digest
        seen[digest] = seq
        window.append(digest)
        if len(window) > RECENT:
            del seen[window.popleft()]
        previous_self_consistent = consistent
        expected = seq + 1
        if progress is not None and count % 10_000 == 0:
            progress(10_000)
        current = following
    if progress is not None:
        progress(count % 10_000)
    return count, expected - 1, running, None

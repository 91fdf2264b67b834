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

import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection, connections
from django.db.models import Count, Max, Min

from wicketgate.audit.chain import GENESIS, compact_json
from wicketgate.audit.models import AuditCheckpoint, AuditEvent
from wicketgate.audit.signing import checkpoint_message, key_id, signature_is_valid

COLUMNS = (
    "seq, prev_hash, hash, occurred_at, actor_kind, actor_id, actor_label, action, "
    "subject_kind, subject_id, subject_label, establishment_id, outcome, details_json"
)
CHUNK = 20_000
RECENT = 1024
PARALLEL_FROM = 100_000  # below this, one process is quicker than starting several
RANGE = 50_000


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


def verify(
    public_key: Ed25519PublicKey,
    progress: Callable[[int], None] | None = None,
    *,
    workers: int | None = None,
    parallel_from: int = PARALLEL_FROM,
    range_size: int = RANGE,
) -> Report:
    """Check the whole log against ``public_key``; stops at the first break.

    A large log is checked in ranges by several processes (one per core unless
    ``workers`` says otherwise); if any range is not sound, a single sequential pass
    finds and explains the first break.
    """
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
    sound = _sound_in_parallel(vouched, workers, progress, parallel_from, range_size)
    if sound is not None:
        count, last_seq, last_hash, problem = sound, sound, _hash_at(sound), None
    else:  # small, or something is wrong: one careful pass says exactly what
        count, last_seq, last_hash, problem = _walk(_rows(), vouched, progress)
    if problem is None and checkpoints and checkpoints[-1][0] > last_seq:
        k = checkpoints[-1][0]
        problem = Break(
            last_seq + 1,
            "truncated",
            f"truncated after event {last_seq}: the checkpoint at event {k} vouches for events up to {k}",
        )
    return Report(count, last_seq, last_hash, len(checkpoints), problem)


def _sound_in_parallel(
    vouched: dict[int, str],
    workers: int | None,
    progress: Callable[[int], None] | None,
    parallel_from: int = PARALLEL_FROM,
    range_size: int = RANGE,
) -> int | None:
    """The number of events if every range checks out and the ranges join up; else None."""
    stats = AuditEvent.objects.aggregate(low=Min("seq"), high=Max("seq"), count=Count("seq"))
    count, high = stats["count"] or 0, stats["high"] or 0
    processes = workers if workers is not None else (os.cpu_count() or 1)
    if processes < 2 or count < parallel_from or stats["low"] != 1 or high != count:
        return None
    ranges = [(low, min(low + range_size - 1, high)) for low in range(1, high + 1, range_size)]
    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")
    expected_prev = GENESIS
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        for (low, high_of_range), result in zip(
            ranges, pool.map(_check_range, ranges, [vouched] * len(ranges)), strict=True
        ):
            if result is None or result[0] != expected_prev:
                return None
            expected_prev = result[1]
            if progress is not None:
                progress(high_of_range - low + 1)
    return count


def _check_range(bounds: tuple[int, int], vouched: dict[int, str]) -> tuple[str, str] | None:
    """In a worker: (first event's previous hash, last event's hash) if sound, else None."""
    low, high = bounds
    sha256, unhex = hashlib.sha256, bytes.fromhex
    try:
        expected, running, first_prev = low, "", ""
        for chunk in _rows(low, high):
            for row in chunk:
                seq, prev_hash, digest = row[0], row[1], row[2]
                if seq == low:
                    running = first_prev = prev_hash
                if seq != expected or prev_hash != running or vouched.get(seq, digest) != digest:
                    return None
                if sha256(unhex(prev_hash) + _canonical(row)).hexdigest() != digest:
                    return None
                running, expected = digest, seq + 1
        return (first_prev, running) if expected == high + 1 else None
    finally:
        connections.close_all()


def _hash_at(seq: int) -> str:
    return str(AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).get())


def _rows(low: int | None = None, high: int | None = None) -> Iterator[list[tuple[Any, ...]]]:
    """Events as tuples, in sequence order, in chunks; the time already canonical."""
    if connection.vendor == "postgresql":
        when = "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    else:
        # Django keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) in SQLite.
        when = (
            "replace(CASE WHEN length(occurred_at) = 19 THEN occurred_at || '.000000' "
            "ELSE occurred_at END, ' ', 'T') || 'Z'"
        )
    columns = COLUMNS.replace("occurred_at", when, 1)
    with connection.chunked_cursor() as cursor:
        where, params = (
            ("WHERE seq BETWEEN %s AND %s", [low, high]) if low is not None else ("", [])
        )
        cursor.execute(f"SELECT {columns} FROM audit_auditevent {where} ORDER BY seq", params)  # noqa: S608 - column names and conditions are constants; values are parameters
        while chunk := cursor.fetchmany(CHUNK):
            yield chunk


def _walk(
    chunks: Iterator[list[tuple[Any, ...]]],
    vouched: dict[int, str],
    progress: Callable[[int], None] | None,
) -> tuple[int, int, str, Break | None]:
    """The chain in order: a fast path for a sound event, a slow one to say what broke."""
    sha256, unhex = hashlib.sha256, bytes.fromhex
    count = 0
    running = GENESIS
    recent: deque[str] = deque([GENESIS], maxlen=RECENT)
    pending: list[tuple[Any, ...]] = []
    for chunk in chunks:
        rows = pending + chunk if pending else chunk
        pending = []
        last = len(rows) - 1
        for index, row in enumerate(rows):
            seq, prev_hash, digest = row[0], row[1], row[2]
            consistent = sha256(unhex(prev_hash) + _canonical(row)).hexdigest() == digest
            if (
                seq == count + 1
                and prev_hash == running
                and consistent
                and vouched.get(seq, digest) == digest
            ):
                count = seq
                running = digest
                recent.append(digest)
                continue
            if index == last:
                pending = [row]  # classify it with the next event in view
                break
            return (
                count,
                count,
                running,
                _classify(row, rows[index + 1], count + 1, running, recent, consistent, vouched),
            )
        if progress is not None:
            progress(len(chunk))
    if pending:
        row = pending[0]
        consistent = sha256(unhex(row[1]) + _canonical(row)).hexdigest() == row[2]
        return (
            count,
            count,
            running,
            _classify(row, None, count + 1, running, recent, consistent, vouched),
        )
    return count, count, running, None


def _canonical(row: tuple[Any, ...]) -> bytes:
    """chain.canonical_bytes for a row as selected above (time already canonical text)."""
    text: str = compact_json((row[0], *row[3:13]))[:-1] + "," + row[13] + "]"
    return text.encode()


def _classify(
    row: tuple[Any, ...],
    following: tuple[Any, ...] | None,
    expected: int,
    running: str,
    recent: deque[str],
    consistent: bool,
    vouched: dict[int, str],
) -> Break:
    seq, prev_hash = row[0], row[1]
    if seq != expected:
        return Break(expected, "missing", f"events {expected} to {seq - 1} are not in the log")
    if prev_hash == running:
        if following is not None and following[1] == prev_hash and following[0] == seq + 1:
            return Break(seq, "inserted", "the next event links past it to the one before")
        if not consistent:
            return Break(seq, "modified", "its content no longer matches its hash")
        return Break(
            seq, "modified", f"a signed checkpoint vouches for a different hash at event {seq}"
        )
    if following is not None and prev_hash == following[2]:
        return Break(seq, "reordered", f"it links to event {following[0]}, which comes after it")
    if prev_hash in recent:
        back = expected - (len(recent) - list(recent).index(prev_hash))
        return Break(
            back + 1, "inserted", f"event {seq} links back to event {back}, past the events between"
        )
    if seq > 1:
        return Break(
            seq - 1, "modified", f"its hash was recomputed: event {seq} no longer links to it"
        )
    return Break(seq, "modified", "it does not link to the start of the chain")

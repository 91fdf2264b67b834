"""Is one event as it was written? The check behind the staff event page.

It recomputes the event's hash from its content and previous hash, checks that the event
before it carries that previous hash, and follows the chain from the event to the nearest
signed checkpoint after it, so that "verified" means a signature vouches for this event
exactly as it is now. Checking the whole log is the job of ``wicketgate audit verify``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wicketgate.audit.chain import GENESIS, canonical_time, chain_hash
from wicketgate.audit.models import AuditCheckpoint, AuditEvent
from wicketgate.audit.signing import checkpoint_message, key_id, signature_is_valid

VERIFIED = "verified"
UNCOVERED = "uncovered"  # sound so far, but no checkpoint has been signed since
TOO_FAR = "too_far"  # its checkpoint is further on than a page should walk
BROKEN = "broken"

# Checkpoints are signed every thousand events or few minutes, so the walk is usually
# short; a batch written all at once can leave a longer one, and beyond this the CLI
# is the better tool.
WALK_LIMIT = 20_000

_CONTENT = (
    "seq", "prev_hash", "hash", "occurred_at", "actor_kind", "actor_id", "actor_label", "action",
    "subject_kind", "subject_id", "subject_label", "establishment_id", "outcome", "details_json",
)  # fmt: skip


@dataclass(frozen=True)
class EventCheck:
    content_matches: bool  # its hash is the hash of its content and previous hash
    links_back: bool  # the event before it (or the start of the chain) has that previous hash
    previous_missing: bool
    checkpoint: AuditCheckpoint | None  # the nearest one at or after it
    signature_valid: bool  # the checkpoint is signed by this installation's key
    walked: bool  # the chain was followed from the event to the checkpoint
    broken_at: int | None  # where that chain does not hold, if it does not

    @property
    def status(self) -> str:
        checkpoint_bad = self.checkpoint is not None and not self.signature_valid
        if not (self.content_matches and self.links_back) or checkpoint_bad or self.broken_at:
            return BROKEN
        if self.checkpoint is None:
            return UNCOVERED
        return VERIFIED if self.walked else TOO_FAR


def check_event(event: AuditEvent, public_key: Ed25519PublicKey) -> EventCheck:
    """Check ``event`` against its neighbours and its checkpoint.

    The neighbours and the events up to the checkpoint may belong to establishments the
    viewer cannot see; only their hashes are read here, and none of them is shown.
    """
    content_matches = _digest(_row_of(event)) == event.hash
    if event.seq == 1:
        previous_missing, links_back = False, event.prev_hash == GENESIS
    else:
        previous = (
            AuditEvent.objects.filter(seq=event.seq - 1).values_list("hash", flat=True).first()
        )
        previous_missing, links_back = previous is None, previous == event.prev_hash
    checkpoint = AuditCheckpoint.objects.filter(seq__gte=event.seq).order_by("seq").first()
    if checkpoint is None:
        return EventCheck(content_matches, links_back, previous_missing, None, False, False, None)
    signature_valid = checkpoint.key_id == key_id(public_key) and signature_is_valid(
        public_key,
        checkpoint_message(checkpoint.seq, checkpoint.head_hash, checkpoint.signed_at),
        checkpoint.signature,
    )
    if checkpoint.seq - event.seq > WALK_LIMIT:
        return EventCheck(
            content_matches, links_back, previous_missing, checkpoint, signature_valid, False, None
        )
    return EventCheck(
        content_matches,
        links_back,
        previous_missing,
        checkpoint,
        signature_valid,
        True,
        _break_before(event, checkpoint),
    )


def _break_before(event: AuditEvent, checkpoint: AuditCheckpoint) -> int | None:
    """The first event from ``event`` on to the checkpoint where the chain does not hold."""
    running, expected = event.hash, event.seq + 1
    rows = (
        AuditEvent.objects.filter(seq__gt=event.seq, seq__lte=checkpoint.seq)
        .order_by("seq")
        .values_list(*_CONTENT)
    )
    for row in rows.iterator(chunk_size=2000):
        seq, prev_hash, digest = row[0], row[1], row[2]
        if seq != expected:
            return expected  # missing
        if prev_hash != running or _digest(row) != digest:
            return int(seq)
        running, expected = digest, seq + 1
    if expected != checkpoint.seq + 1:
        return expected  # the log ends before the checkpoint it was signed for
    return None if running == checkpoint.head_hash else checkpoint.seq


def _row_of(event: AuditEvent) -> tuple[Any, ...]:
    return tuple(getattr(event, name) for name in _CONTENT)


def _digest(row: tuple[Any, ...]) -> str:
    """chain_hash over a row in _CONTENT order: the inputs log.append_events hashes."""
    seq, prev_hash, _hash, occurred_at, *rest, details_json = row
    return chain_hash(prev_hash, (seq, canonical_time(occurred_at), *rest), details_json)

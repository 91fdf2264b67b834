"""The one function every state change calls to put itself on the record.

Call it inside the same transaction as the change it records, so a change that rolls
back leaves no audit event and an event never describes a change that did not happen.
Appends take the chain head's lock, so concurrent writers on SQLite and PostgreSQL
alike leave one unbroken chain.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from wicketgate.audit.chain import GENESIS, canonical_details, canonical_time, chain_hash
from wicketgate.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from wicketgate.audit.signing import checkpoint_message, sign

USER_KINDS = frozenset({"staff", "prisoner", "family"})  # accounts.UserKind's values


@dataclass(frozen=True)
class Actor:
    """Who did something: a person signed in, a command-line operator, or a component."""

    kind: str  # staff | prisoner | family | operator | system
    id: str
    label: str

    @classmethod
    def of_user(cls, user: Any) -> Actor:
        return cls(kind=str(user.kind), id=str(user.pk), label=str(user.username))

    @property
    def user_id(self) -> int | None:
        """The account behind a person signed in (None for an operator or a component)."""
        return int(self.id) if self.kind in USER_KINDS and self.id.isdigit() else None

    @classmethod
    def operator(cls, username: str | None = None) -> Actor:
        """Whoever ran a command at the console (the OS user unless named)."""
        name = username or getpass.getuser()
        return cls(kind="operator", id=name, label=name)

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls(kind="system", id=component, label=component)


@dataclass(frozen=True)
class PendingEvent:
    """An event not yet on the chain: what high-volume writers spool and batch."""

    action: str
    actor: Actor
    occurred_at: dt.datetime
    subject_kind: str = ""
    subject_id: str = ""
    subject_label: str = ""
    establishment_id: int | None = None
    outcome: str = AuditEvent.Outcome.SUCCESS
    details: dict[str, Any] = field(default_factory=dict)


def record_event(
    action: str,
    *,
    actor: Actor,
    subject: models.Model | None = None,
    establishment: Any = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. ``action`` is a dotted verb such as ``people.prisoner.transfer``."""
    pending = PendingEvent(
        action=action,
        actor=actor,
        occurred_at=timezone.now(),
        subject_kind=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        subject_label=str(subject)[:200] if subject is not None else "",
        establishment_id=establishment.pk if establishment is not None else None,
        outcome=outcome,
        details=details or {},
    )
    return append_events([pending], keep=True)[0]


_COLUMNS = [
    "seq",
    "prev_hash",
    "hash",
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
    "details_json",
]
COPY_FROM = 50  # batches at least this big go to PostgreSQL with COPY
_COPY = f"COPY audit_auditevent ({', '.join(_COLUMNS)}) FROM STDIN"
_INSERT = (
    f"INSERT INTO audit_auditevent ({', '.join(_COLUMNS)}) "  # noqa: S608 - constant
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})"
)


def append_events(pending: Sequence[PendingEvent], *, keep: bool = False) -> list[AuditEvent]:
    """Chain and insert ``pending`` in order, in one transaction (joining the caller's).

    Returns the events written when ``keep`` is set (else an empty list, which is faster).
    """
    with transaction.atomic():
        head = _lock_head()
        seq, prev = head.seq, head.hash
        rows = chain_rows(pending, first_seq=seq + 1, prev=prev)
        if rows:
            seq, prev = rows[-1][0], rows[-1][2]
        # Straight to the database driver: a gateway appends thousands a second, and model
        # instances would cost more than the hashing.
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
                # COPY streams the batch in one statement: about 3x the rows/s of INSERTs.
                with cursor.cursor.copy(_COPY) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(_INSERT, rows)
        head.seq, head.hash = seq, prev
        head_fields = ["seq", "hash"]
        if seq - head.checkpoint_seq >= settings.WICKETGATE_AUDIT_CHECKPOINT_EVERY:
            _write_checkpoint(head)
            head_fields += ["checkpoint_seq", "checkpoint_at"]
        head.save(update_fields=head_fields)
    if not keep:
        return []
    return [
        AuditEvent(**{**dict(zip(_COLUMNS, row, strict=True)), "occurred_at": event.occurred_at})
        for row, event in zip(rows, pending, strict=True)
    ]


def chain_rows(
    pending: Sequence[PendingEvent], *, first_seq: int, prev: str
) -> list[tuple[Any, ...]]:
    """The rows (in _COLUMNS order) that chain ``pending`` on after the event ``prev``."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = []
    for seq, event in enumerate(pending, start=first_seq):
        fields = (
            seq,
            canonical_time(event.occurred_at),
            event.actor.kind,
            event.actor.id,
            event.actor.label[:150],
            event.action,
            event.subject_kind,
            event.subject_id,
            event.subject_label[:200],
            event.establishment_id,
            event.outcome,
        )
        details_json = canonical_details(event.details)
        digest = chain_hash(prev, fields, details_json)
        rows.append((seq, prev, digest, adapt(event.occurred_at), *fields[2:], details_json))
        prev = digest
    return rows


def sign_checkpoint(*, force: bool = False) -> AuditCheckpoint | None:
    """Sign the current head if it has moved since the last checkpoint (or if forced)."""
    with transaction.atomic():
        head = _lock_head()
        if head.seq == 0 or (head.seq == head.checkpoint_seq and not force):
            return None
        if head.seq == head.checkpoint_seq:
            return AuditCheckpoint.objects.filter(seq=head.seq).first()
        checkpoint = _write_checkpoint(head)
        head.save(update_fields=["checkpoint_seq", "checkpoint_at"])
        return checkpoint


def checkpoint_due(now: dt.datetime | None = None) -> bool:
    head = AuditHead.objects.filter(pk=1).first()
    if head is None or head.seq == head.checkpoint_seq:
        return False
    if head.checkpoint_at is None:
        return True
    moment = now or timezone.now()
    return (
        moment - head.checkpoint_at
    ).total_seconds() >= settings.WICKETGATE_AUDIT_CHECKPOINT_SECONDS


def _write_checkpoint(head: AuditHead) -> AuditCheckpoint:
    signed_at = timezone.now()
    key, signature = sign(checkpoint_message(head.seq, head.hash, signed_at))
    checkpoint = AuditCheckpoint.objects.create(
        seq=head.seq, head_hash=head.hash, signed_at=signed_at, key_id=key, signature=signature
    )
    head.checkpoint_seq, head.checkpoint_at = head.seq, signed_at
    return checkpoint


def _lock_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    # The head is only a cache of the newest event; rebuild it if it is missing (a fresh
    # database, or one emptied by a test).
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    last_checkpoint = AuditCheckpoint.objects.order_by("-seq").first()
    AuditHead.objects.get_or_create(
        pk=1,
        defaults={
            "seq": last[0] if last else 0,
            "hash": last[1] if last else GENESIS,
            "checkpoint_seq": last_checkpoint.seq if last_checkpoint else 0,
            "checkpoint_at": last_checkpoint.signed_at if last_checkpoint else None,
        },
    )
    return AuditHead.objects.select_for_update().get(pk=1)

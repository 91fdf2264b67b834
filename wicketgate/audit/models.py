"""The audit record: an append-only, hash-chained log of every decision and staff action.

The database refuses UPDATE and DELETE on the events and checkpoints (triggers installed
by migration; see ``guards.py``), and the chain plus signed checkpoints let anyone with
the public key prove nothing was altered, removed, inserted or reordered.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from wicketgate.accounts.scoping import ScopedQuerySet


class AuditEventQuerySet(ScopedQuerySet["AuditEvent"]):
    pass


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        DENIED = "denied", "Denied"
        FAILED = "failed", "Failed"

    seq = models.BigIntegerField(primary_key=True, help_text="Position in the chain, from 1")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=12)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=150, db_index=True)
    action = models.CharField(max_length=80, db_index=True)
    subject_kind = models.CharField(max_length=40, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    subject_label = models.CharField(max_length=200, blank=True)
    establishment = models.ForeignKey(
        "estate.Establishment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    details_json = models.TextField(default="{}", help_text="Canonical JSON, exactly as hashed")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["subject_kind", "subject_id", "seq"]),
            models.Index(fields=["establishment", "seq"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    @property
    def details(self) -> dict[str, Any]:
        value = json.loads(self.details_json)
        return value if isinstance(value, dict) else {}


class AuditHead(models.Model):
    """The newest event's position and hash: one row, locked by every append.

    It is only a cache of the last event (the verifier never trusts it); its lock is what
    serialises appenders on PostgreSQL, as BEGIN IMMEDIATE does on SQLite.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    checkpoint_seq = models.BigIntegerField(default=0)
    checkpoint_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"head at #{self.seq}"


class AuditCheckpoint(models.Model):
    """A signature over the head of the chain: the log had at least this much, then."""

    seq = models.BigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    key_id = models.CharField(
        max_length=16, help_text="First 16 hex digits of SHA-256 of the public key"
    )
    signature = models.CharField(max_length=128, help_text="Ed25519 signature, hex")

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"checkpoint at #{self.seq}"


class SpoolCursor(models.Model):
    """How far a high-volume writer's local spool file has been written to the log.

    Updated in the same transaction as the events it covers, so a replay after a crash
    starts exactly where the database left off: nothing lost, nothing twice.
    """

    spool = models.CharField(max_length=200, unique=True)
    offset = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.spool} at byte {self.offset}"

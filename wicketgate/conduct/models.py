"""Incidents, their adjudication, the sanctions given for them, and alerts for staff.

An incident moves through the adjudication state machine in ``codes.TRANSITIONS``; a
proved incident may carry sanctions. A sanction applies from ``starts_at`` to
``ends_at``, decided from the clock by the policy engine (no job ends it), unless it is
quashed; a suspended sanction has no dates until another proved charge activates it.
Alerts are raised from the audit log for a person to look at, never to punish by
themselves.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils import timezone

from wicketgate.accounts.scoping import ScopedQuerySet
from wicketgate.conduct.codes import (
    REPORT_WITHIN,
    AlertKind,
    AlertStatus,
    IncidentService,
    Service,
    Status,
)

# Conduct records follow the person, as the people app's records do: after a transfer
# the new establishment's staff see (and enforce, hear appeals on) what came with them.


class IncidentQuerySet(ScopedQuerySet["Incident"]):
    establishment_field = "prisoner__establishment"

    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=[Status.REPORTED, Status.REFERRED, Status.HEARING_SCHEDULED])


class Incident(models.Model):
    """A report of misconduct against one prisoner, and its adjudication."""

    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="incidents"
    )
    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.PROTECT, related_name="incidents"
    )
    occurred_at = models.DateTimeField()
    reported_at = models.DateTimeField(default=timezone.now)
    location = models.ForeignKey(
        "estate.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.CharField(max_length=10, choices=IncidentService.choices)
    summary = models.CharField(max_length=200)
    description = models.TextField()
    late_reason = models.TextField(
        blank=True, help_text="Why it was reported more than 2 days after it happened"
    )
    # Audit events (by seq) and call records that show what happened.
    evidence = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REPORTED)
    reported_by = models.CharField(max_length=150)
    hearing_at = models.DateTimeField(null=True, blank=True)
    finding_notes = models.TextField(blank=True)
    appeal_reason = models.TextField(blank=True)
    appeal_lodged_at = models.DateTimeField(null=True, blank=True)
    appeal_notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["establishment", "status"]),
            models.Index(fields=["prisoner", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.summary}"

    @property
    def reference(self) -> str:
        return f"INC-{self.pk}"

    @property
    def is_late(self) -> bool:
        return self.reported_at - self.occurred_at > REPORT_WITHIN

    @property
    def is_open(self) -> bool:
        return self.status in (Status.REPORTED, Status.REFERRED, Status.HEARING_SCHEDULED)


class SanctionQuerySet(ScopedQuerySet["Sanction"]):
    establishment_field = "prisoner__establishment"

    def in_force(self, at: dt.datetime | None = None) -> SanctionQuerySet:
        moment = at or timezone.now()
        return self.filter(quashed_at__isnull=True, starts_at__lte=moment, ends_at__gt=moment)

    def current_or_coming(self, at: dt.datetime | None = None) -> SanctionQuerySet:
        """Not quashed and not over: in force now, later, or suspended and still activatable."""
        moment = at or timezone.now()
        return self.filter(quashed_at__isnull=True).filter(
            Q(ends_at__gt=moment) | Q(starts_at__isnull=True, suspended_until__gt=moment)
        )


class Sanction(models.Model):
    """A punishment that takes away one service (or, for web, some categories) for a time."""

    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="sanctions"
    )
    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.PROTECT, related_name="sanctions"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="sanctions"
    )
    service = models.CharField(max_length=10, choices=Service.choices)
    # Web only: the categories taken away; empty means all web access.
    categories = models.JSONField(default=list, blank=True)
    # Web only: whether it stops the learner's courses' sites and books too (by default a
    # sanction on web use leaves education open).
    includes_education = models.BooleanField(default=False)
    privilege = models.CharField(
        max_length=100, blank=True, help_text="For other privileges: which one (e.g. in-cell TV)"
    )
    days = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    given_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    # In force from starts_at to ends_at; both empty while suspended and not activated.
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    suspended_until = models.DateTimeField(
        null=True, blank=True, help_text="Suspended: another proved charge may activate it until"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="activations"
    )
    quashed_at = models.DateTimeField(null=True, blank=True)
    quash_reason = models.CharField(max_length=300, blank=True)
    quashed_by = models.CharField(max_length=150, blank=True)

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["prisoner", "ends_at"]),
            models.Index(fields=["establishment", "ends_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True)
                | Q(starts_at__isnull=False, ends_at__gt=models.F("starts_at")),
                name="sanction_dates_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=False) | Q(suspended_until__isnull=False),
                name="sanction_dated_or_suspended",
            ),
        ]

    def __str__(self) -> str:
        return f"SAN-{self.pk}: {self.restricts} for {self.days} days ({self.prisoner_id})"

    @property
    def reference(self) -> str:
        return f"SAN-{self.pk}"

    @property
    def restricts(self) -> str:
        """What it takes away, in plain words."""
        if self.service == Service.WEB and self.categories:
            return "Web access to " + ", ".join(self.categories)
        if self.service == Service.PRIVILEGES:
            return self.privilege or Service.PRIVILEGES.label
        return str(Service(self.service).label)

    def state(self, at: dt.datetime | None = None) -> str:
        """quashed | suspended | lapsed | pending | in_force | served, at ``at``."""
        moment = at or timezone.now()
        if self.quashed_at is not None:
            return "quashed"
        if self.starts_at is None or self.ends_at is None:
            if self.suspended_until is not None and moment >= self.suspended_until:
                return "lapsed"
            return "suspended"
        if moment < self.starts_at:
            return "pending"
        if moment < self.ends_at:
            return "in_force"
        return "served"


class AlertTrigger(models.Model):
    """When to raise an alert. Estate-wide (no establishment) unless an establishment's own
    trigger of the same kind replaces it."""

    establishment = models.ForeignKey(
        "estate.Establishment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    enabled = models.BooleanField(default=True)
    threshold = models.PositiveSmallIntegerField(
        default=5, help_text="Repeated blocked attempts: how many within the window"
    )
    window_minutes = models.PositiveIntegerField(default=10)
    quiet_from = models.TimeField(
        default=dt.time(23, 0), help_text="Unusual hours: sessions from this time …"
    )
    quiet_until = models.TimeField(default=dt.time(6, 0), help_text="… to this time")

    class Meta:
        ordering = ["kind", "establishment_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "kind"], name="one_trigger_per_kind_and_place"
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(establishment__isnull=True),
                name="one_estate_trigger_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.establishment or 'estate'})"


class ConductAlertQuerySet(ScopedQuerySet["ConductAlert"]):
    establishment_field = "prisoner__establishment"


class ConductAlert(models.Model):
    """Something a person should look at; dismissed with a reason, or made an incident."""

    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="conduct_alerts"
    )
    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.PROTECT, related_name="conduct_alerts"
    )
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    # What the alert is about within its kind (a category, a sanction), so that one open
    # alert gathers repeats rather than a new alert each minute.
    key = models.CharField(max_length=100, blank=True)
    summary = models.CharField(max_length=300)
    raised_at = models.DateTimeField(default=timezone.now)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    evidence = models.JSONField(default=list, blank=True)  # audit seqs
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    closed_by = models.CharField(max_length=150, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(max_length=300, blank=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )

    objects = ConductAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        indexes = [
            models.Index(fields=["establishment", "status"]),
            models.Index(fields=["prisoner", "kind", "key", "status"]),
        ]

    def __str__(self) -> str:
        return f"ALT-{self.pk}: {self.summary}"

    @property
    def reference(self) -> str:
        return f"ALT-{self.pk}"

"""Scoped reads for the conduct pages: incidents, sanctions and alerts as staff list them.

Each takes querysets the caller has already scoped with ``for_user``, so nothing here
decides who may see what.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Value, When

from wicketgate.audit.models import AuditEvent, AuditEventQuerySet
from wicketgate.conduct.codes import PUNISHABLE, Status
from wicketgate.conduct.models import (
    ConductAlert,
    Incident,
    IncidentQuerySet,
    Sanction,
)

PRISONER = "people.prisoner"  # how audit events name a prisoner as their subject
INCIDENT_EVENTS = "conduct.incident."
OPEN = (Status.REPORTED, Status.REFERRED, Status.HEARING_SCHEDULED)


def open_first(incidents: IncidentQuerySet) -> IncidentQuerySet:
    """Open incidents first (the work still to do), each part newest first."""
    return incidents.annotate(
        closed=Case(
            When(status__in=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("closed", "-occurred_at", "-pk")


def incident_history(events: AuditEventQuerySet, incident: Incident) -> list[AuditEvent]:
    """The incident's report and every move since, oldest first, from the audit log.

    A move is filed under the prisoner's establishment at the time, so after a transfer
    the history spans two; the caller has checked that the reader may see the incident.
    """
    rows = events.filter(
        action__startswith=INCIDENT_EVENTS,
        subject_kind=PRISONER,
        subject_id=str(incident.prisoner_id),
    ).order_by("seq")
    return [event for event in rows if event.details.get("incident") == incident.pk]


def activating_charges(incidents: IncidentQuerySet, sanction: Sanction) -> IncidentQuerySet:
    """The prisoner's other proved charges, any of which may activate a suspended sanction."""
    return (
        incidents.filter(prisoner_id=sanction.prisoner_id, status__in=PUNISHABLE)
        .exclude(pk=sanction.incident_id or 0)
        .order_by("-occurred_at", "-pk")
    )


@dataclass(frozen=True)
class Entry:
    """One thing on a prisoner's conduct timeline."""

    at: dt.datetime
    kind: str  # incident | sanction | alert
    item: Any


def conduct_timeline(
    incidents: list[Incident], sanctions: list[Sanction], alerts: list[ConductAlert]
) -> list[Entry]:
    """Incidents when they happened, sanctions when given, alerts when first seen: newest first."""
    entries = [
        *(Entry(incident.occurred_at, "incident", incident) for incident in incidents),
        *(Entry(sanction.created_at, "sanction", sanction) for sanction in sanctions),
        *(Entry(alert.first_seen_at, "alert", alert) for alert in alerts),
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)

"""Finding audit events: the one search that the staff pages, the API and the CLI share."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import QuerySet

from wicketgate.audit.models import AuditEvent
from wicketgate.people.models import Prisoner


@dataclass(frozen=True)
class EventFilter:
    prisoner: str = ""  # prison number
    actor: str = ""  # username or component label
    action: str = ""  # exact action, or a prefix ending in "." (e.g. "people.")
    establishment: str = ""  # establishment code
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def describe(self) -> dict[str, Any]:
        return {
            key: (value.isoformat() if isinstance(value, dt.datetime) else value)
            for key, value in asdict(self).items()
            if value
        }


def search(events: QuerySet[AuditEvent], chosen: EventFilter) -> QuerySet[AuditEvent]:
    """Narrow ``events`` (already scoped to the user) to those matching ``chosen``."""
    if chosen.prisoner:
        ids = list(
            Prisoner.objects.filter(prison_number=chosen.prisoner.upper()).values_list(
                "pk", flat=True
            )
        )
        events = events.filter(
            subject_kind="people.prisoner", subject_id__in=[str(pk) for pk in ids]
        )
    if chosen.actor:
        events = events.filter(actor_label=chosen.actor)
    if chosen.action:
        events = (
            events.filter(action__startswith=chosen.action)
            if chosen.action.endswith(".")
            else events.filter(action=chosen.action)
        )
    if chosen.establishment:
        events = events.filter(establishment__code=chosen.establishment.upper())
    if chosen.since:
        events = events.filter(occurred_at__gte=chosen.since)
    if chosen.until:
        events = events.filter(occurred_at__lt=chosen.until)
    return events

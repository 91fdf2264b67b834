"""Reads for the gateway's pages: which wing each place is on, and the requests it refused.

Every proxied request is one ``gateway.request`` event in the audit log (see
``accesslog``), so the history of what someone opened, and what they were refused, is
read from there. Callers pass querysets already scoped with ``for_user``; nothing here
widens them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet

from wicketgate.audit.models import AuditEvent
from wicketgate.estate.codes import LocationKind
from wicketgate.estate.models import Location
from wicketgate.gateway.accesslog import ACTION

PRISONER = "people.prisoner"  # how a request's event names the prisoner it was made for
DENIED = AuditEvent.Outcome.DENIED


def requests_of(events: QuerySet[AuditEvent], prisoner_id: int) -> QuerySet[AuditEvent]:
    """The prisoner's web requests among ``events`` (by the subject index), allowed and refused."""
    return events.filter(subject_kind=PRISONER, subject_id=str(prisoner_id), action=ACTION)


def refusals_of(prisoner_id: int, *, limit: int = 50) -> list[AuditEvent]:
    """The prisoner's own most recent refused web requests, newest first.

    Read for the prisoner themself, so from every establishment they have been held at.
    """
    return list(
        requests_of(AuditEvent.objects.all(), prisoner_id)
        .filter(outcome=DENIED)
        .order_by("-seq")[:limit]
    )


def wings_by_location(locations: Iterable[Location]) -> dict[int, Location | None]:
    """The wing each of ``locations`` is on (None if it is on none), without further queries.

    ``locations`` must include every ancestor of each one, as all of an establishment's do.
    """
    by_pk = {location.pk: location for location in locations}
    wings: dict[int, Location | None] = {}

    def wing_of(pk: int | None) -> Location | None:
        if pk is None or pk not in by_pk:
            return None
        if pk not in wings:
            location = by_pk[pk]
            wings[pk] = (
                location if location.kind == LocationKind.WING else wing_of(location.parent_id)
            )
        return wings[pk]

    for pk in by_pk:
        wing_of(pk)
    return wings


def codes_on_wing(wing: Location, locations: Iterable[Location]) -> set[str]:
    """The codes of the wing and of every place within it, from the establishment's tree."""
    locations = list(locations)
    wings = wings_by_location(locations)
    return {location.code for location in locations if wings.get(location.pk) == wing}


def recent_refusals(
    events: QuerySet[AuditEvent],
    *,
    since: dt.datetime,
    location_codes: set[str] | None = None,
    limit: int = 100,
    chunk: int = 500,
    most: int = 20_000,
) -> list[AuditEvent]:
    """Refused web requests among ``events`` since ``since``, newest first.

    ``location_codes`` keeps those made from one of these places. The place is only in the
    event's details, so events are read newest first in chunks (by the establishment
    index) and sifted here; reading stops after ``most`` events, so that a busy
    establishment's quiet wing costs a bounded read rather than a scan of the day.
    """
    refused = events.filter(action=ACTION, outcome=DENIED, occurred_at__gte=since).order_by("-seq")
    found: list[AuditEvent] = []
    before: int | None = None
    read = 0
    while read < most:
        batch = list((refused if before is None else refused.filter(seq__lt=before))[:chunk])
        read += len(batch)
        for event in batch:
            if location_codes is None or event.details.get("location") in location_codes:
                found.append(event)
                if len(found) == limit:
                    return found
        if len(batch) < chunk:
            break
        before = batch[-1].seq
    return found

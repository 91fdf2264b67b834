"""Conduct records for the web tests, each the same one however often it is asked for."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wicketgate.audit.log import record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.actions import do_add_sanction, do_move_incident, do_report_incident
from wicketgate.conduct.codes import AlertKind, Status
from wicketgate.conduct.models import ConductAlert, Incident, Sanction
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import SETUP, Estate

# The moves that bring a new incident to each status.
PATHS: dict[str, tuple[str, ...]] = {
    Status.REPORTED: (),
    Status.REFERRED: (Status.REFERRED,),
    Status.HEARING_SCHEDULED: (Status.HEARING_SCHEDULED,),
    Status.PROVED: (Status.HEARING_SCHEDULED, Status.PROVED),
    Status.NOT_PROVED: (Status.HEARING_SCHEDULED, Status.NOT_PROVED),
    Status.DISMISSED: (Status.HEARING_SCHEDULED, Status.DISMISSED),
    Status.APPEALED: (Status.HEARING_SCHEDULED, Status.PROVED, Status.APPEALED),
    Status.UPHELD: (Status.HEARING_SCHEDULED, Status.PROVED, Status.APPEALED, Status.UPHELD),
    Status.QUASHED: (Status.HEARING_SCHEDULED, Status.PROVED, Status.APPEALED, Status.QUASHED),
}


def incident(
    estate: Estate,
    status: str = Status.REPORTED,
    *,
    prisoner: Prisoner | None = None,
    summary: str | None = None,
) -> Incident:
    """An incident about ``prisoner`` (the one at A) that has reached ``status``."""
    prisoner = prisoner or estate.prisoner_a
    summary = summary or f"Tried news sites again ({status})"
    found = Incident.objects.filter(prisoner=prisoner, summary=summary).first()
    if found is not None:
        return found
    made = do_report_incident(
        prisoner=prisoner,
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        service="web",
        summary=summary,
        description="Tried to open news sites eleven times in ten minutes.",
        actor=SETUP,
    )
    for step in PATHS[status]:
        do_move_incident(
            made,
            step,
            actor=SETUP,
            notes=f"Notes for {step}",
            hearing_at=timezone.now() + dt.timedelta(days=1)
            if step == Status.HEARING_SCHEDULED
            else None,
        )
    return Incident.objects.get(pk=made.pk)


def sanction(estate: Estate, *, suspended: bool = False) -> Sanction:
    """A sanction on a proved charge against the prisoner at A: web access to news, 14 days."""
    reason = "Suspended: misuse of news sites" if suspended else "Misuse of news sites"
    found = Sanction.objects.filter(prisoner=estate.prisoner_a, reason=reason).first()
    if found is not None:
        return found
    return do_add_sanction(
        prisoner=estate.prisoner_a,
        incident=incident(estate, Status.PROVED),
        service="web",
        categories=["NEWS"],
        days=14,
        reason=reason,
        suspend_months=3 if suspended else None,
        actor=SETUP,
    )


def second_charge(estate: Estate) -> Incident:
    """Another proved charge against the prisoner at A, which may activate a suspended sanction."""
    return incident(estate, Status.PROVED, summary="Used another person's device account")


def refused_request(estate: Estate, prisoner: Prisoner | None = None) -> AuditEvent:
    """A request the gateway refused the prisoner at A, as the audit log records it."""
    prisoner = prisoner or estate.prisoner_a
    return record_event(
        "gateway.request",
        actor=SETUP,
        subject=prisoner,
        establishment=prisoner.establishment,
        outcome=AuditEvent.Outcome.DENIED,
        details={"host": "www.bbc.co.uk", "category": "NEWS", "rules": ["sanction:web-category"]},
    )


def alert(estate: Estate, prisoner: Prisoner | None = None) -> ConductAlert:
    """An open alert of repeated blocked attempts at news sites, with its evidence."""
    prisoner = prisoner or estate.prisoner_a
    found = ConductAlert.objects.filter(prisoner=prisoner, key="NEWS").first()
    if found is not None:
        return found
    seen = [refused_request(estate, prisoner) for _ in range(2)]
    first = timezone.now() - dt.timedelta(hours=2)
    return ConductAlert.objects.create(
        establishment=prisoner.establishment,
        prisoner=prisoner,
        kind=AlertKind.REPEATED_BLOCKED,
        key="NEWS",
        summary="5 or more blocked attempts at News sites within 10 minutes",
        first_seen_at=first,
        last_seen_at=first + dt.timedelta(minutes=6),
        count=6,
        evidence=[event.seq for event in seen],
    )

"""The adjudication state machine: every legal move works and is audited, every other
move is an error that changes nothing."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import TypedDict

import pytest
from django.utils import timezone

from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.actions import (
    ConductError,
    IllegalTransition,
    do_add_sanction,
    do_move_incident,
    do_report_incident,
)
from wicketgate.conduct.codes import TRANSITIONS, Status
from wicketgate.conduct.models import Incident
from wicketgate.conduct.tests.conftest import incident_in
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import Estate

pytestmark = pytest.mark.django_db

ADJUDICATOR = Actor("staff", "99", "governor.grey")
PAIRS = list(itertools.product(Status.values, Status.values))
LEGAL = [(a, b) for a, b in PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in PAIRS if b not in TRANSITIONS[a]]


class ReportBase(TypedDict):
    """The arguments of do_report_incident a test holds fixed while it varies the rest."""

    prisoner: Prisoner
    service: str
    summary: str
    description: str
    actor: Actor


class Report(ReportBase):
    occurred_at: dt.datetime


def test_the_machine_is_the_one_the_domain_describes() -> None:
    assert TRANSITIONS[Status.REPORTED] >= {Status.REFERRED, Status.HEARING_SCHEDULED}
    assert TRANSITIONS[Status.HEARING_SCHEDULED] >= {
        Status.PROVED,
        Status.NOT_PROVED,
        Status.DISMISSED,
    }
    assert TRANSITIONS[Status.PROVED] == {Status.APPEALED}
    assert TRANSITIONS[Status.APPEALED] == {Status.UPHELD, Status.QUASHED}
    finals = {Status.NOT_PROVED, Status.DISMISSED, Status.UPHELD, Status.QUASHED}
    assert all(not TRANSITIONS[s] for s in finals)
    assert len(LEGAL) == 10 and len(LEGAL) + len(ILLEGAL) == 81


@pytest.mark.parametrize(("before", "after"), LEGAL)
def test_every_legal_move_is_made_and_audited_with_its_actor(
    estate: Estate, before: str, after: str
) -> None:
    incident = incident_in(estate.prisoner_a, before)
    hearing = timezone.now() + dt.timedelta(days=1)
    moved = do_move_incident(
        incident, after, actor=ADJUDICATOR, notes="grounds given", hearing_at=hearing
    )
    assert Incident.objects.get(pk=incident.pk).status == after == moved.status
    event = AuditEvent.objects.get(action=f"conduct.incident.{after}")
    details = json.loads(event.details_json)
    assert (event.actor_label, event.actor_kind) == ("governor.grey", "staff")
    assert (details["from"], details["to"], details["incident"]) == (before, after, incident.pk)
    assert event.establishment_id == estate.a.pk


@pytest.mark.parametrize(("before", "after"), ILLEGAL)
def test_every_other_move_is_an_error_that_changes_nothing(
    estate: Estate, before: str, after: str
) -> None:
    incident = incident_in(estate.prisoner_a, before)
    events = AuditEvent.objects.count()
    with pytest.raises(IllegalTransition, match=f"{incident.reference} is "):
        do_move_incident(
            incident,
            after,
            actor=ADJUDICATOR,
            notes="x",
            hearing_at=timezone.now(),
        )
    assert Incident.objects.get(pk=incident.pk).status == before
    assert AuditEvent.objects.count() == events


def test_an_unknown_state_is_refused(estate: Estate) -> None:
    with pytest.raises(ConductError, match="status 'guilty'"):
        do_move_incident(incident_in(estate.prisoner_a), "guilty", actor=ADJUDICATOR)


def test_a_hearing_needs_a_time_and_an_appeal_needs_grounds(estate: Estate) -> None:
    reported = incident_in(estate.prisoner_a, Status.REPORTED)
    with pytest.raises(ConductError, match="hearing_at"):
        do_move_incident(reported, Status.HEARING_SCHEDULED, actor=ADJUDICATOR)
    proved = incident_in(estate.prisoner_a, Status.PROVED)
    with pytest.raises(ConductError, match="reason: give the grounds"):
        do_move_incident(proved, Status.APPEALED, actor=ADJUDICATOR, notes="  ")
    assert Incident.objects.get(pk=proved.pk).status == Status.PROVED


def test_a_whole_adjudication_from_report_to_quashed_appeal(estate: Estate) -> None:
    incident = do_report_incident(
        prisoner=estate.prisoner_a,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        service="web",
        summary="Used another person's session",
        description="Seen on CCTV using the kiosk signed in as someone else.",
        location=estate.a_wing,
        actor=ADJUDICATOR,
    )
    assert incident.status == Status.REPORTED and not incident.is_late
    do_move_incident(
        incident,
        Status.HEARING_SCHEDULED,
        actor=ADJUDICATOR,
        hearing_at=timezone.now() + dt.timedelta(hours=20),
    )
    do_move_incident(incident, Status.PROVED, actor=ADJUDICATOR, notes="Admitted.")
    sanction = do_add_sanction(
        prisoner=estate.prisoner_a,
        incident=incident,
        service="web",
        days=7,
        reason="INC proved",
        actor=ADJUDICATOR,
    )
    prisoner = Actor("prisoner", "A1234BC", "A1234BC")
    do_move_incident(incident, Status.APPEALED, actor=prisoner, notes="It was not me.")
    do_move_incident(incident, Status.QUASHED, actor=ADJUDICATOR, notes="CCTV unclear.")
    sanction.refresh_from_db()
    assert sanction.state() == "quashed"
    assert sanction.quash_reason == f"{incident.reference} quashed on appeal"
    actions = list(
        AuditEvent.objects.filter(action__startswith="conduct.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "conduct.incident.report",
        "conduct.incident.hearing_scheduled",
        "conduct.incident.proved",
        "conduct.sanction.add",
        "conduct.incident.appealed",
        "conduct.incident.quashed",
        "conduct.sanction.quash",
    ]


def test_a_late_report_must_say_why_and_is_marked_late(estate: Estate) -> None:
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    fields: Report = {
        "prisoner": estate.prisoner_a,
        "occurred_at": three_days_ago,
        "service": "phone",
        "summary": "Three-way call",
        "description": "Call forwarded to an unapproved number.",
        "actor": ADJUDICATOR,
    }
    with pytest.raises(ConductError, match="^late_reason: this is reported 3 days after"):
        do_report_incident(**fields)
    assert not Incident.objects.exists()
    incident = do_report_incident(**fields, late_reason="Found in the call review on Monday.")
    assert incident.is_late
    details = json.loads(AuditEvent.objects.get(action="conduct.incident.report").details_json)
    assert details["late"] is True and details["late_reason"].startswith("Found")


def test_a_report_refuses_the_future_bad_places_and_evidence_it_cannot_find(
    estate: Estate,
) -> None:
    base: ReportBase = {
        "prisoner": estate.prisoner_a,
        "service": "web",
        "summary": "s",
        "description": "d",
        "actor": ADJUDICATOR,
    }
    now = timezone.now()
    with pytest.raises(ConductError, match="occurred_at"):
        do_report_incident(**base, occurred_at=now + dt.timedelta(hours=1))
    with pytest.raises(ConductError, match="is not at"):
        do_report_incident(**base, occurred_at=now, location=estate.b_wing)
    with pytest.raises(ConductError, match="evidence: no audit event 999999"):
        do_report_incident(**base, occurred_at=now, evidence=[999999])
    with pytest.raises(ConductError, match="service 'tv'"):
        tv: ReportBase = {**base, "service": "tv"}
        do_report_incident(**tv, occurred_at=now)
    assert not Incident.objects.exists()
    elsewhere = AuditEvent.objects.filter(establishment=estate.b).first()
    if elsewhere is None:
        from wicketgate.audit.log import record_event

        elsewhere = record_event("test.elsewhere", actor=ADJUDICATOR, establishment=estate.b)
    with pytest.raises(ConductError, match="from another establishment"):
        do_report_incident(**base, occurred_at=now, evidence=[elsewhere.seq])
    mine = AuditEvent.objects.filter(establishment__isnull=True).first()
    assert mine is not None
    incident = do_report_incident(**base, occurred_at=now, evidence=[mine.seq])
    assert incident.evidence == [mine.seq]

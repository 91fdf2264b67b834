"""Alerts from the audit log: raised for a person to decide on, never doubled, configurable."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from wicketgate.audit.log import Actor, PendingEvent, append_events
from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.actions import ConductError, do_dismiss_alert, do_report_incident
from wicketgate.conduct.alerts import do_scan_for_alerts
from wicketgate.conduct.codes import AlertKind, AlertStatus
from wicketgate.conduct.models import AlertTrigger, ConductAlert
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import Estate

pytestmark = pytest.mark.django_db

SECURITY = Actor("staff", "5", "sec.officer")


def request(
    prisoner: Prisoner, at: dt.datetime, *, category: str | None, rules: list[str], host: str
) -> PendingEvent:
    details: dict[str, Any] = {"host": host, "decision": "deny", "rules": rules}
    if category:
        details["category"] = category
    return PendingEvent(
        action="gateway.request",
        actor=Actor("prisoner", prisoner.prison_number, prisoner.prison_number),
        occurred_at=at,
        subject_kind="people.prisoner",
        subject_id=str(prisoner.pk),
        subject_label=prisoner.prison_number,
        establishment_id=prisoner.establishment_id,
        outcome=AuditEvent.Outcome.DENIED,
        details=details,
    )


def blocked(prisoner: Prisoner, times: list[dt.datetime], category: str = "NEWS") -> None:
    append_events(
        [
            request(prisoner, at, category=category, rules=["rule:news-off"], host="www.bbc.co.uk")
            for at in times
        ]
    )


def test_repeated_blocked_attempts_at_one_category_raise_one_alert(estate: Estate) -> None:
    now = timezone.now()
    blocked(estate.prisoner_a, [now - dt.timedelta(minutes=m) for m in (8, 6, 4, 2)])
    assert do_scan_for_alerts() == 0  # four in ten minutes: under the default five
    blocked(estate.prisoner_a, [now])
    assert do_scan_for_alerts() == 1
    alert = ConductAlert.objects.get()
    assert (alert.kind, alert.key, alert.prisoner, alert.establishment) == (
        AlertKind.REPEATED_BLOCKED,
        "NEWS",
        estate.prisoner_a,
        estate.a,
    )
    assert "News sites within 10 minutes" in alert.summary
    raised = AuditEvent.objects.get(action="conduct.alert.raise")
    assert raised.actor_kind == "system" and raised.establishment_id == estate.a.pk
    # More of the same gather on the open alert; nothing is scanned twice.
    blocked(estate.prisoner_a, [now + dt.timedelta(seconds=1)])
    assert do_scan_for_alerts() == 0 and do_scan_for_alerts() == 0
    alert.refresh_from_db()
    assert alert.count == 2 and ConductAlert.objects.count() == 1


def test_attempts_spread_wider_than_the_window_raise_nothing(estate: Estate) -> None:
    now = timezone.now()
    blocked(estate.prisoner_a, [now - dt.timedelta(minutes=11 * i) for i in range(6)])
    assert do_scan_for_alerts() == 0
    blocked(estate.prisoner_a, [now - dt.timedelta(minutes=3 * i) for i in range(4)], "HEALTH")
    assert do_scan_for_alerts() == 0  # four HEALTH + some NEWS: not five of one category


def test_an_establishments_own_trigger_replaces_the_estates(estate: Estate) -> None:
    AlertTrigger.objects.create(kind=AlertKind.REPEATED_BLOCKED, threshold=20)
    AlertTrigger.objects.create(
        kind=AlertKind.REPEATED_BLOCKED, establishment=estate.a, threshold=2, window_minutes=1
    )
    now = timezone.now()
    blocked(estate.prisoner_a, [now, now + dt.timedelta(seconds=30)])
    blocked(estate.prisoner_b, [now + dt.timedelta(seconds=s) for s in range(10)])
    assert do_scan_for_alerts() == 1
    assert ConductAlert.objects.get().prisoner == estate.prisoner_a


def test_a_disabled_trigger_raises_nothing(estate: Estate) -> None:
    AlertTrigger.objects.create(kind=AlertKind.REPEATED_BLOCKED, enabled=False)
    blocked(estate.prisoner_a, [timezone.now()] * 8)
    assert do_scan_for_alerts() == 0


def test_an_attempt_during_a_sanction_raises_an_alert(estate: Estate) -> None:
    append_events(
        [
            request(
                estate.prisoner_a,
                timezone.now(),
                category=None,
                rules=["sanction:web"],
                host="www.example.org",
            )
        ]
    )
    assert do_scan_for_alerts() == 1
    alert = ConductAlert.objects.get()
    assert (alert.kind, alert.key) == (AlertKind.DURING_SANCTION, "sanction:web")
    assert "www.example.org" in alert.summary


def test_a_session_at_unusual_hours_raises_an_alert(estate: Estate) -> None:
    local = timezone.localtime()
    night = local.replace(hour=2, minute=30)
    day = local.replace(hour=11, minute=0)
    events = [
        PendingEvent(
            action="gateway.session.open",
            actor=Actor("system", "device", "device"),
            occurred_at=at,
            subject_kind="people.prisoner",
            subject_id=str(estate.prisoner_a.pk),
            subject_label="A1234BC",
            establishment_id=estate.a.pk,
            details={"device": "NGT-LT-1"},
        )
        for at in (day, night)
    ]
    append_events(events)
    assert do_scan_for_alerts() == 1
    alert = ConductAlert.objects.get()
    assert alert.kind == AlertKind.UNUSUAL_HOURS
    assert alert.summary.startswith("Signed in on NGT-LT-1 at 02:30")


def test_an_alert_is_dismissed_with_a_reason_or_made_an_incident(estate: Estate) -> None:
    now = timezone.now()
    blocked(estate.prisoner_a, [now - dt.timedelta(seconds=s) for s in range(5)])
    blocked(estate.prisoner_a, [now - dt.timedelta(seconds=s) for s in range(5)], "HEALTH")
    assert do_scan_for_alerts() == 2
    news, health = ConductAlert.objects.order_by("key").reverse()
    with pytest.raises(ConductError, match="reason"):
        do_dismiss_alert(news, reason="", actor=SECURITY)
    do_dismiss_alert(news, reason="Link in a course page", actor=SECURITY)
    news.refresh_from_db()
    assert news.status == AlertStatus.DISMISSED and news.closed_by == "sec.officer"
    with pytest.raises(ConductError, match="dismissed"):
        do_dismiss_alert(news, reason="again", actor=SECURITY)
    incident = do_report_incident(
        prisoner=estate.prisoner_a,
        occurred_at=health.first_seen_at,
        service="web",
        summary="Repeated attempts at health sites",
        description="Raised from an alert.",
        actor=SECURITY,
        alert=health,
    )
    health.refresh_from_db()
    assert health.status == AlertStatus.INCIDENT and health.incident == incident
    assert incident.evidence == sorted(health.evidence) and len(incident.evidence) == 5
    event = AuditEvent.objects.get(action="conduct.alert.incident")
    assert json.loads(event.details_json) == {"alert": health.pk, "incident": incident.pk}
    with pytest.raises(ConductError, match="Made an incident".lower()):
        do_report_incident(
            prisoner=estate.prisoner_a,
            occurred_at=now,
            service="web",
            summary="x",
            description="y",
            actor=SECURITY,
            alert=health,
        )

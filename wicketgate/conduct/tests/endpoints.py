"""The conduct app's staff pages and forms for the persona suite
(wicketgate/tests/test_access.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.conduct.codes import Status
from wicketgate.conduct.tests import data as conduct_data
from wicketgate.testing.endpoints import NGT, PROFILE, Endpoint
from wicketgate.testing.personas import Estate

CONDUCT_URL = "/staff/conduct/"
INCIDENTS = f"{CONDUCT_URL}incidents/"
SANCTIONS = f"{CONDUCT_URL}sanctions/"
ALERTS = f"{CONDUCT_URL}alerts/"
TRIGGERS = f"{NGT}alert-triggers/"
REPORT = Action.REPORT_INCIDENTS
ADJUDICATE = Action.ADJUDICATE
REVIEW = Action.REVIEW_ALERTS
GOVERNOR = StaffRole.GOVERNOR
SECURITY = StaffRole.SECURITY


def _report(estate: Estate) -> dict[str, Any]:
    """What the report form is sent: something that happened at A an hour ago."""
    when = timezone.localtime() - dt.timedelta(hours=1)
    return {
        "prisoner": "A1234BC",
        "occurred_on_day": when.day,
        "occurred_on_month": when.month,
        "occurred_on_year": when.year,
        "occurred_time": f"{when:%H:%M}",
        "location": estate.a_cell.pk,
        "service": "web",
        "summary": "Tried to reach news sites during a sanction",
        "description": "Tried the BBC and the Guardian eleven times.",
        "evidence": "",
        "late_reason": "",
    }


def _hearing(estate: Estate) -> tuple[str, dict[str, Any]]:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return (
        f"{INCIDENTS}{conduct_data.incident(estate).pk}/move",
        {
            "to": Status.HEARING_SCHEDULED,
            "hearing_on_day": tomorrow.day,
            "hearing_on_month": tomorrow.month,
            "hearing_on_year": tomorrow.year,
            "hearing_time": "10:00",
        },
    )


def _activation(estate: Estate) -> tuple[str, dict[str, Any]]:
    suspended = conduct_data.sanction(estate, suspended=True)
    charge = conduct_data.second_charge(estate)
    return f"{SANCTIONS}{suspended.pk}/activate", {"charge": charge.pk, "days": ""}


CONDUCT = [
    Endpoint(
        "incidents",
        "get",
        lambda e: (f"{CONDUCT_URL}?status=open", {}),
        scoped=False,
        action=REPORT,
    ),
    Endpoint(
        "report an incident page",
        "get",
        lambda e: (f"{INCIDENTS}new", {}),
        scoped=False,
        action=REPORT,
    ),
    Endpoint(
        "incident",
        "get",
        lambda e: (f"{INCIDENTS}{conduct_data.incident(e).pk}/", {}),
        action=REPORT,
    ),
    Endpoint("conduct record", "get", lambda e: (f"{PROFILE}conduct/", {}), action=REPORT),
    Endpoint(
        "give a sanction page",
        "get",
        lambda e: (f"{INCIDENTS}{conduct_data.incident(e, Status.PROVED).pk}/sanctions/new", {}),
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint(
        "activate a sanction page",
        "get",
        lambda e: (f"{SANCTIONS}{conduct_data.sanction(e, suspended=True).pk}/activate", {}),
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint(
        "quash a sanction page",
        "get",
        lambda e: (f"{SANCTIONS}{conduct_data.sanction(e).pk}/quash", {}),
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint(
        "conduct alerts",
        "get",
        lambda e: (ALERTS, {}),
        scoped=False,
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint(
        "dismiss an alert page",
        "get",
        lambda e: (f"{ALERTS}{conduct_data.alert(e).pk}/dismiss", {}),
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint(
        "make an alert an incident page",
        "get",
        lambda e: (f"{ALERTS}{conduct_data.alert(e).pk}/incident", {}),
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint("alert triggers", "get", lambda e: (TRIGGERS, {}), role=SECURITY, action=REVIEW),
    Endpoint(
        "change an alert trigger page",
        "get",
        lambda e: (f"{TRIGGERS}repeated_blocked", {}),
        role=SECURITY,
        action=REVIEW,
    ),
    # Sent for a prisoner at A by the clerk at B, the report is refused by the form (there
    # is nobody with that number at B), not with a 404: test_conduct_pages checks it.
    Endpoint(
        "report an incident",
        "post",
        lambda e: (f"{INCIDENTS}new", _report(e)),
        302,
        scoped=False,
        action=REPORT,
    ),
    Endpoint("schedule a hearing", "post", _hearing, 302, role=GOVERNOR, action=ADJUDICATE),
    Endpoint(
        "lodge an appeal for the prisoner",
        "post",
        lambda e: (
            f"{INCIDENTS}{conduct_data.incident(e, Status.PROVED).pk}/move",
            {"to": Status.APPEALED, "notes": "The hearing did not hear my witness"},
        ),
        302,
        action=REPORT,
    ),
    Endpoint(
        "give a sanction",
        "post",
        lambda e: (
            f"{INCIDENTS}{conduct_data.incident(e, Status.PROVED).pk}/sanctions/new",
            {"service": "video", "days": "7", "reason": "Misuse of video calls"},
        ),
        302,
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint("activate a sanction", "post", _activation, 302, role=GOVERNOR, action=ADJUDICATE),
    Endpoint(
        "quash a sanction",
        "post",
        lambda e: (
            f"{SANCTIONS}{conduct_data.sanction(e).pk}/quash",
            {"reason": "The finding was quashed on review"},
        ),
        302,
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint(
        "dismiss an alert",
        "post",
        lambda e: (
            f"{ALERTS}{conduct_data.alert(e).pk}/dismiss",
            {"reason": "Supervised class on current affairs"},
        ),
        302,
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint(
        "make an alert an incident",
        "post",
        lambda e: (f"{ALERTS}{conduct_data.alert(e).pk}/incident", _report(e)),
        302,
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint(
        "change an alert trigger",
        "post",
        lambda e: (
            f"{TRIGGERS}repeated_blocked",
            {"enabled": "yes", "threshold": "8", "window_minutes": "15"},
        ),
        302,
        role=SECURITY,
        action=REVIEW,
    ),
]

ENDPOINTS = CONDUCT

"""Every staff page and form, described once so each persona can be tried against all of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from wicketgate.accounts.actions import do_set_prisoner_pin
from wicketgate.accounts.models import PrisonerAccount
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.log import record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.people.actions import do_add_alert
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import SETUP, Estate

PROFILE = "/staff/prisoners/A1234BC/"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    # Builds what the request needs in the database and returns (url, POST data).
    build: Callable[[Estate], tuple[str, dict[str, Any]]]
    owner_status: int = 200
    # Whether it is about one establishment's records, so an outsider must get a 404.
    scoped: bool = True
    # The role the clerks at A and B hold for it (see test_access.in_role): the audit
    # pages are for the security department, not for wing officers.
    role: str = StaffRole.WING_OFFICER

    def __str__(self) -> str:
        return self.name


def _active_alert(estate: Estate) -> tuple[str, dict[str, Any]]:
    alert = do_add_alert(estate.prisoner_a, "ACCT", actor=SETUP)
    return f"{PROFILE}alerts/{alert.pk}/end", {}


def _locked_account(estate: Estate) -> tuple[str, dict[str, Any]]:
    # Someone other than the prisoner persona, whose own session a lock would end.
    other = Prisoner.objects.create(
        prison_number="A7777AA",
        given_name="Owen",
        family_name="Other",
        date_of_birth=dt.date(1992, 3, 4),
        establishment=estate.a,
        location=estate.a_cell,
        security_category="C",
        incentive_level="STD",
        legal_status="REMAND",
    )
    account = do_set_prisoner_pin(other, "8642", actor=SETUP)
    PrisonerAccount.objects.filter(pk=account.pk).update(
        locked_at=timezone.now(), failed_attempts=5
    )
    return "/staff/prisoners/A7777AA/account/unlock", {}


def _event_at_a(estate: Estate) -> tuple[str, dict[str, Any]]:
    """An event about the prisoner at A: the same one, however often it is asked for."""
    event = AuditEvent.objects.filter(
        establishment=estate.a, action="people.prisoner.update"
    ).first() or record_event(
        "people.prisoner.update",
        actor=SETUP,
        subject=estate.prisoner_a,
        establishment=estate.a,
        details={"given_name": ["Al", "Alan"]},
    )
    return f"/staff/audit/events/{event.seq}/", {}


PAGES = [
    Endpoint("home", "get", lambda e: ("/staff/", {}), scoped=False),
    Endpoint("prisoner list", "get", lambda e: ("/staff/prisoners/", {}), scoped=False),
    Endpoint("prisoner profile", "get", lambda e: (PROFILE, {})),
    Endpoint("establishment", "get", lambda e: ("/staff/establishments/NGT/", {})),
    Endpoint("add alert page", "get", lambda e: (f"{PROFILE}alerts/new", {})),
    Endpoint("incentive review page", "get", lambda e: (f"{PROFILE}incentive-review", {})),
    Endpoint("move page", "get", lambda e: (f"{PROFILE}move", {})),
]

FORMS = [
    Endpoint("add alert", "post", lambda e: (f"{PROFILE}alerts/new", {"code": "ESCAPE"}), 302),
    Endpoint("end alert", "post", _active_alert, 302),
    Endpoint(
        "incentive review",
        "post",
        lambda e: (f"{PROFILE}incentive-review", {"level": "ENH", "comment": "Good behaviour"}),
        302,
    ),
    Endpoint("move", "post", lambda e: (f"{PROFILE}move", {"location": e.a_video_suite.pk}), 302),
    Endpoint("unlock device account", "post", _locked_account, 302),
    Endpoint(
        "switch establishment",
        "post",
        lambda e: ("/staff/establishment", {"establishment": "NGT"}),
        302,
    ),
]

AUDIT = [
    Endpoint(
        "audit search",
        "get",
        lambda e: ("/staff/audit/?action=people.", {}),
        scoped=False,
        role=StaffRole.SECURITY,
    ),
    Endpoint("audit event", "get", _event_at_a, role=StaffRole.SECURITY),
    Endpoint(
        "prisoner timeline", "get", lambda e: (f"{PROFILE}timeline/", {}), role=StaffRole.SECURITY
    ),
    Endpoint(
        "audit export",
        "post",
        lambda e: ("/staff/audit/export", {"format": "jsonl"}),
        scoped=False,
        role=StaffRole.SECURITY,
    ),
]

ALL = PAGES + FORMS + AUDIT
SCOPED = [endpoint for endpoint in ALL if endpoint.scoped]
CHANGES = [endpoint for endpoint in FORMS if endpoint.name != "switch establishment"]
# Requests that must leave an event in the audit log: every change, and every export.
RECORDED = [*CHANGES, *(endpoint for endpoint in AUDIT if endpoint.method == "post")]

"""The audit app's staff pages for the persona suite (wicketgate/tests/test_access.py)."""

from __future__ import annotations

from typing import Any

from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.log import record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.testing.endpoints import PROFILE, Endpoint
from wicketgate.testing.personas import SETUP, Estate


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

ENDPOINTS = AUDIT

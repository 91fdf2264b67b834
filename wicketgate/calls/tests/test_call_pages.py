"""Who may open a call's page: the booked family member, the prisoner, staff who oversee
calls where the prisoner is held; anyone else a 404. Tokens only as the rules allow."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wicketgate.calls.models import Booking
from wicketgate.contacts.tests.conftest import approved_contact
from wicketgate.testing.personas import Estate

pytestmark = pytest.mark.django_db


def signed_in(user: Any, backend: str = "PasswordBackend") -> Client:
    client = Client()
    client.force_login(user, backend=f"wicketgate.accounts.backends.{backend}")
    return client


def test_the_booked_family_member_the_prisoner_and_overseeing_staff_open_it(
    call: Booking, estate: Estate, client_a: Client
) -> None:
    family = signed_in(call.main_caller.user)
    prisoner = signed_in(estate.prisoner_user, "PrisonerPinBackend")
    for client, path in (
        (family, f"/family/calls/{call.pk}/"),
        (prisoner, f"/portal/calls/{call.pk}/"),
        (client_a, f"/staff/calls/{call.pk}/"),
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "connect-src 'self' http://127.0.0.1:8088" in response["Content-Security-Policy"]
    # Not yet open: the page is there, the tokens are not.
    refused = family.post(f"/family/calls/{call.pk}/tokens")
    assert refused.status_code == 409 and "can be joined from" in refused.json()["error"]


def test_everyone_else_gets_a_404(call: Booking, estate: Estate, client_b: Client) -> None:
    other_family = signed_in(approved_contact(estate.prisoner_a, "FRIEND").contact.user)
    assert other_family.get(f"/family/calls/{call.pk}/").status_code == 404
    assert other_family.post(f"/family/calls/{call.pk}/tokens").status_code == 404
    assert client_b.get(f"/staff/calls/{call.pk}/").status_code == 404
    assert client_b.post(f"/staff/calls/{call.pk}/end", {"reason": "x"}).status_code == 404
    family = signed_in(call.main_caller.user)
    assert family.get(f"/portal/calls/{call.pk}/").status_code == 404  # not a prisoner
    assert family.get(f"/staff/calls/{call.pk}/").status_code == 404
    assert Client().get(f"/family/calls/{call.pk}/").status_code == 302  # to sign in


def test_staff_write_notes_and_after_the_end_can_report_an_incident(
    call: Booking, client_a: Client, client_b: Client
) -> None:
    from wicketgate.audit.models import AuditEvent

    assert client_a.post(f"/staff/calls/{call.pk}/notes", {"text": " "}).status_code == 400
    response = client_a.post(f"/staff/calls/{call.pk}/notes", {"text": "Second adult in view"})
    assert response.status_code == 302
    assert client_b.post(f"/staff/calls/{call.pk}/notes", {"text": "x"}).status_code == 404
    page = client_a.get(f"/staff/calls/{call.pk}/").content.decode()
    assert "Second adult in view" in page and "End the call" in page
    assert AuditEvent.objects.filter(action="calls.call.note").count() == 1
    Booking.objects.filter(pk=call.pk).update(
        room_opened_at=timezone.now(), ended_at=timezone.now(), end_reason="Rule broken"
    )
    page = client_a.get(f"/staff/calls/{call.pk}/").content.decode()
    assert "Rule broken" in page and "End the call" not in page
    assert f"/staff/conduct/incidents/new?prisoner={call.prisoner.prison_number}" in page

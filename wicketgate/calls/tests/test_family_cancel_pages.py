"""A family member cancels their own video call: only the main caller, only before the
start; everyone else (another family member, staff, a prisoner) gets a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.calls.booking import do_book_video_call
from wicketgate.calls.codes import BookingStatus
from wicketgate.calls.models import Booking
from wicketgate.calls.tests import data as call_data
from wicketgate.calls.tests.endpoints import FAMILY
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import Contact
from wicketgate.contacts.tests import data as contact_data
from wicketgate.policy import engine as engine_module
from wicketgate.testing.endpoints import Endpoint
from wicketgate.testing.personas import SETUP, Estate, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_engine(monkeypatch: Any) -> None:
    # The process's engine may hold a snapshot from another test's database.
    monkeypatch.setattr(engine_module, "_engine", engine_module.Engine(refresh_every=0))


def signed_in(contact: Contact) -> Client:
    client = Client()
    client.force_login(
        contact_data.account(contact), backend="wicketgate.accounts.backends.PasswordBackend"
    )
    return client


@pytest.fixture
def rita(estate: Estate) -> Client:
    """Rita, an approved contact of the prisoner at A: the main caller of the bookings."""
    return signed_in(contact_data.link(estate, LinkStatus.APPROVED).contact)


@pytest.fixture
def sam(estate: Estate) -> Contact:
    """Sam, another approved adult contact of the same prisoner."""
    contact_data.person("sam@example.org", given_name="Sam")
    return contact_data.link(estate, LinkStatus.APPROVED, email="sam@example.org").contact


def booking_with(estate: Estate, *others: Contact) -> Booking:
    return do_book_video_call(
        prisoner=estate.prisoner_a,
        session=call_data.session(estate),
        day=call_data.next_weekday(1),
        main_caller=contact_data.link(estate, LinkStatus.APPROVED).contact,
        others=others,
        actor=SETUP,
    )


def url(booking: Booking) -> str:
    return f"/family/video-calls/{booking.pk}/cancel"


def send(client: Client, endpoint: Endpoint, estate: Estate) -> Any:
    address, data = endpoint.build(estate)
    return client.post(address, data) if endpoint.method == "post" else client.get(address)


@pytest.mark.parametrize("endpoint", FAMILY, ids=str)
def test_it_lets_the_main_caller_in(estate: Estate, rita: Client, endpoint: Endpoint) -> None:
    assert send(rita, endpoint, estate).status_code == endpoint.owner_status


@pytest.mark.parametrize("endpoint", FAMILY, ids=str)
@pytest.mark.parametrize("who", ["client_family", "client_prisoner", "client_a", "client_admin"])
def test_it_gives_everyone_else_a_404(
    who: str, estate: Estate, endpoint: Endpoint, request: pytest.FixtureRequest
) -> None:
    client = request.getfixturevalue(who)
    assert send(client, endpoint, estate).status_code == 404
    assert Booking.objects.get().status == BookingStatus.BOOKED


@pytest.mark.parametrize("endpoint", FAMILY, ids=str)
def test_it_sends_a_visitor_to_the_family_sign_in(
    estate: Estate, client_anon: Client, endpoint: Endpoint
) -> None:
    assert send(client_anon, endpoint, estate)["Location"].startswith("/family/sign-in")


def test_rita_cancels_from_her_list_and_sees_it_cancelled(estate: Estate, rita: Client) -> None:
    booking = booking_with(estate)
    page = rita.get("/family/video-calls/").content.decode()
    assert f'href="{url(booking)}"' in page
    page = rita.get(url(booking)).content.decode()
    assert "Cancel your video call" in page and estate.prisoner_a.full_name in page
    response = rita.post(url(booking), {"reason": "I have to work that day"}, follow=True)
    assert response.redirect_chain == [("/family/video-calls/", 302)]
    page = response.content.decode()
    assert f"Your call {booking.reference} with {estate.prisoner_a.full_name} is cancelled" in page
    assert "You cancelled this call: I have to work that day" in page
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_by == "rita@example.org"
    event = AuditEvent.objects.get(action="calls.booking.cancel")
    assert (event.actor_kind, event.actor_label) == ("family", "rita@example.org")


def test_the_reason_is_optional_and_a_second_go_is_a_404(estate: Estate, rita: Client) -> None:
    booking = booking_with(estate)
    assert rita.post(url(booking), {"reason": ""}).status_code == 302
    assert "You cancelled this call<" in rita.get("/family/video-calls/").content.decode()
    assert rita.post(url(booking), {"reason": ""}).status_code == 404


def test_another_caller_on_the_call_gets_a_404_and_sees_who_cancelled(
    estate: Estate, rita: Client, sam: Contact
) -> None:
    booking = booking_with(estate, sam)
    them = signed_in(sam)
    assert booking.reference in them.get("/family/video-calls/").content.decode()
    assert url(booking) not in them.get("/family/video-calls/").content.decode()
    assert them.get(url(booking)).status_code == 404
    assert them.post(url(booking), {"reason": "Not me"}).status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED
    rita.post(url(booking), {"reason": "Ill"})
    page = them.get("/family/video-calls/").content.decode()
    assert "Rita Ashdown cancelled this call: Ill" in page


def test_a_call_that_has_started_cannot_be_cancelled(estate: Estate, rita: Client) -> None:
    booking = booking_with(estate)
    now = timezone.now()
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(minutes=29)
    )
    assert url(booking) not in rita.get("/family/video-calls/").content.decode()
    assert "it can no longer be cancelled" in rita.get(url(booking)).content.decode()
    assert rita.post(url(booking), {"reason": "Late"}).status_code == 200
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.BOOKED
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=now - dt.timedelta(minutes=31), ends_at=now - dt.timedelta(minutes=1)
    )
    assert rita.get(url(booking)).status_code == 404  # over


def test_a_prison_cancellation_still_reads_as_the_prisons_reason(
    estate: Estate, rita: Client
) -> None:
    booking = booking_with(estate)
    visits = staff_client(estate, "visits.a", StaffRole.VISITS)
    visits.post(f"/staff/video-calls/{booking.pk}/cancel", {"reason": "Suite closed"})
    page = rita.get("/family/video-calls/").content.decode()
    assert "Suite closed" in page and "cancelled this call" not in page


def test_staff_scoping_is_unchanged(estate: Estate, rita: Client) -> None:
    booking = booking_with(estate)
    elsewhere = staff_client(estate, "visits.b", StaffRole.VISITS, where="b")
    assert elsewhere.get(f"/staff/video-calls/{booking.pk}/cancel").status_code == 404
    visits = staff_client(estate, "visits.a", StaffRole.VISITS)
    assert visits.get(f"/staff/video-calls/{booking.pk}/cancel").status_code == 200
    rita.post(url(booking), {"reason": "Ill"})
    assert visits.get(f"/staff/video-calls/{booking.pk}/cancel").status_code == 404

"""The video-call booking pages: the family books and sees their calls, the prisoner sees
theirs, staff book, cancel and oversee; the rules' refusals shown against the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.calls.booking import do_book_video_call, do_cancel_booking
from wicketgate.calls.models import Booking, CallSettings, SessionTemplate
from wicketgate.calls.queries import coming_slots
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.tests import data as contact_data
from wicketgate.estate.codes import IncentiveLevel
from wicketgate.estate.models import Establishment
from wicketgate.policy import engine as engine_module
from wicketgate.testing.personas import SETUP, Estate, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_engine(monkeypatch: Any) -> None:
    # The process's engine may hold a snapshot from another test's database.
    monkeypatch.setattr(engine_module, "_engine", engine_module.Engine(refresh_every=0))


def next_weekday(weekday: int, *, after_days: int = 3) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=after_days)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def session(estate: Estate) -> SessionTemplate:
    return SessionTemplate.objects.create(
        suite=estate.a_video_suite, weekday=1, starts=dt.time(14, 0), minutes=30, capacity=1
    )


@pytest.fixture
def rita(estate: Estate) -> Client:
    """Rita, an approved contact of the prisoner at A with her identity checked."""
    link = contact_data.link(estate, LinkStatus.APPROVED)
    client = Client()
    client.force_login(
        contact_data.account(link.contact), backend="wicketgate.accounts.backends.PasswordBackend"
    )
    return client


def slot_value(session: SessionTemplate, day: dt.date | None = None) -> str:
    return f"{session.pk}:{(day or next_weekday(session.weekday)).isoformat()}"


def booked(estate: Estate, session: SessionTemplate) -> Booking:
    return do_book_video_call(
        prisoner=estate.prisoner_a,
        session=session,
        day=next_weekday(session.weekday),
        main_caller=contact_data.link(estate, LinkStatus.APPROVED).contact,
        actor=SETUP,
    )


def test_it_offers_only_the_prisoners_rita_is_approved_for(
    estate: Estate, rita: Client, session: SessionTemplate
) -> None:
    page = rita.get("/family/video-calls/book").content.decode()
    assert estate.prisoner_a.full_name in page
    assert estate.prisoner_b.full_name not in page
    assert rita.get(f"/family/video-calls/book/{estate.prisoner_b.pk}").status_code == 404


def test_it_lists_the_coming_sessions_within_the_window(
    estate: Estate, rita: Client, session: SessionTemplate
) -> None:
    slots = coming_slots(estate.prisoner_a)
    assert len(slots) in (3, 4)  # Tuesdays in the next 28 days, after the lead time
    assert all(s.free == 1 for s in slots)
    page = rita.get(f"/family/video-calls/book/{estate.prisoner_a.pk}").content.decode()
    assert slot_value(session, slots[0].day) in page and "1 place free" in page


def test_it_books_a_call_that_rita_then_sees_and_that_is_audited(
    estate: Estate, rita: Client, session: SessionTemplate
) -> None:
    response = rita.post(
        f"/family/video-calls/book/{estate.prisoner_a.pk}", {"slot": slot_value(session)}
    )
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.main_caller.email == "rita@example.org"
    assert AuditEvent.objects.filter(action="calls.booking.create").count() == 1
    page = rita.get("/family/video-calls/").content.decode()
    assert estate.prisoner_a.full_name in page and booking.reference in page
    assert "Join" not in page  # not yet


def test_it_shows_the_allowance_and_lead_time_against_the_session(
    estate: Estate, rita: Client, session: SessionTemplate
) -> None:
    CallSettings.objects.create(
        establishment=estate.a, monthly_minutes={estate.prisoner_a.incentive_level: 0}
    )
    page = rita.post(
        f"/family/video-calls/book/{estate.prisoner_a.pk}", {"slot": slot_value(session)}
    ).content.decode()
    assert "over their allowance" in page and 'id="id_slot_error"' in page
    CallSettings.objects.filter(establishment=estate.a).update(monthly_minutes={})
    # Two hours from now, whatever the time of day: inside the 24-hour lead time.
    in_two_hours = timezone.localtime() + dt.timedelta(hours=2)
    soon = SessionTemplate.objects.create(
        suite=estate.a_video_suite,
        weekday=in_two_hours.weekday(),
        starts=in_two_hours.time().replace(second=0, microsecond=0),
        minutes=30,
    )
    page = rita.post(
        f"/family/video-calls/book/{estate.prisoner_a.pk}",
        {"slot": slot_value(soon, in_two_hours.date())},
    ).content.decode()
    assert "Select a valid choice" in page  # too soon: not offered at all
    assert not Booking.objects.exists()


def test_the_prisoner_sees_the_call_and_who_is_on_it(
    estate: Estate, client_prisoner: Client, session: SessionTemplate
) -> None:
    booking = booked(estate, session)
    page = client_prisoner.get("/portal/video-calls/").content.decode()
    assert "Rita Ashdown" in page and f"/portal/calls/{booking.pk}/" not in page


def test_the_join_link_shows_from_five_minutes_before_the_start(
    estate: Estate, rita: Client, client_prisoner: Client, session: SessionTemplate
) -> None:
    booking = booked(estate, session)
    now = timezone.now()
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=now + dt.timedelta(minutes=4), ends_at=now + dt.timedelta(minutes=34)
    )
    assert f"/family/calls/{booking.pk}/" in rita.get("/family/video-calls/").content.decode()
    assert (
        f"/portal/calls/{booking.pk}/"
        in client_prisoner.get("/portal/video-calls/").content.decode()
    )


def test_rita_sees_why_a_call_was_cancelled(
    estate: Estate, rita: Client, session: SessionTemplate
) -> None:
    do_cancel_booking(booked(estate, session), reason="The suite is closed", actor=SETUP)
    assert "The suite is closed" in rita.get("/family/video-calls/").content.decode()


def test_the_prisoner_sees_a_cancelled_call_and_who_called_it_off(
    estate: Estate, client_prisoner: Client, session: SessionTemplate
) -> None:
    by_prison = booked(estate, session)
    do_cancel_booking(by_prison, reason="The suite is closed", actor=SETUP)
    page = client_prisoner.get("/portal/video-calls/").content.decode()
    assert "The prison cancelled this call. The suite is closed" in page
    assert f"/portal/calls/{by_prison.pk}/" not in page
    by_family = booked(estate, session)
    family = Actor.of_user(contact_data.account(by_family.main_caller))
    do_cancel_booking(by_family, reason="Car broke down", actor=family)
    page = client_prisoner.get("/portal/video-calls/").content.decode()
    assert f"{by_family.main_caller.full_name} cancelled this call. Car broke down" in page


def test_another_family_member_sees_none_of_it(
    estate: Estate, client_family: Client, session: SessionTemplate
) -> None:
    booked(estate, session)
    assert client_family.get(f"/family/video-calls/book/{estate.prisoner_a.pk}").status_code == 404
    assert (
        estate.prisoner_a.full_name
        not in client_family.get("/family/video-calls/").content.decode()
    )


def test_other_portals_get_a_404(estate: Estate, client_prisoner: Client, rita: Client) -> None:
    assert client_prisoner.get("/family/video-calls/").status_code == 404
    assert client_prisoner.get("/family/video-calls/book").status_code == 404
    assert rita.get("/portal/video-calls/").status_code == 404


def test_nothing_is_offered_where_video_calls_are_off(
    estate: Estate, rita: Client, client_prisoner: Client, session: SessionTemplate
) -> None:
    Establishment.objects.filter(pk=estate.a.pk).update(features={"video_calls": False})
    assert rita.get(f"/family/video-calls/book/{estate.prisoner_a.pk}").status_code == 404
    assert client_prisoner.get("/portal/video-calls/").status_code == 404


@pytest.fixture
def visits(estate: Estate) -> Client:
    return staff_client(estate, "visits.a", StaffRole.VISITS)


@pytest.fixture
def wing(estate: Estate) -> Client:
    return staff_client(estate, "wing.a", StaffRole.WING_OFFICER)


def test_staff_cancel_with_a_reason_the_family_then_sees(
    estate: Estate, visits: Client, rita: Client, session: SessionTemplate
) -> None:
    booking = booked(estate, session)
    assert booking.reference in visits.get("/staff/video-calls/").content.decode()
    page = visits.post(f"/staff/video-calls/{booking.pk}/cancel", {"reason": ""})
    assert "Say why the call is cancelled" in page.content.decode()
    response = visits.post(
        f"/staff/video-calls/{booking.pk}/cancel", {"reason": "Staff shortage in the suite"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="calls.booking.cancel").actor_label == "visits.a"
    assert "Staff shortage in the suite" in rita.get("/family/video-calls/").content.decode()
    assert (
        f"/staff/video-calls/{booking.pk}/cancel"
        not in visits.get("/staff/video-calls/").content.decode()
    )


def test_staff_book_for_a_prisoner(
    estate: Estate, visits: Client, session: SessionTemplate
) -> None:
    rita_contact = contact_data.link(estate, LinkStatus.APPROVED).contact
    url = f"/staff/prisoners/{estate.prisoner_a.prison_number}/video-calls/book"
    assert (
        visits.get(f"/staff/video-calls/?prison_number={estate.prisoner_a.prison_number}")[
            "Location"
        ]
        == url
    )
    page = visits.post(url, {"slot": slot_value(session)}).content.decode()
    assert "Choose the main caller" in page
    response = visits.post(url, {"slot": slot_value(session), "main_caller": rita_contact.pk})
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.main_caller == rita_contact and booking.booked_by == "visits.a"
    assert AuditEvent.objects.filter(action="calls.booking.create").exists()


def test_staff_without_the_role_or_elsewhere_get_a_404(
    estate: Estate, wing: Client, session: SessionTemplate
) -> None:
    booking = booked(estate, session)
    other = staff_client(estate, "visits.b", StaffRole.VISITS, where="b")
    assert wing.get("/staff/video-calls/").status_code == 404
    assert other.get(f"/staff/video-calls/{booking.pk}/cancel").status_code == 404
    number = estate.prisoner_a.prison_number
    assert other.get(f"/staff/prisoners/{number}/video-calls/book").status_code == 404
    assert other.get("/staff/video-calls/live/").status_code == 404


def test_live_calls_list_a_call_in_progress_and_never_watch_a_legal_one(
    estate: Estate, wing: Client, session: SessionTemplate
) -> None:
    booking = booked(estate, session)
    now = timezone.now()
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(minutes=25),
        room_opened_at=now - dt.timedelta(minutes=10),
        recorded=True,
    )
    page = wing.get("/staff/video-calls/live/").content.decode()
    assert estate.prisoner_a.full_name in page and "Rita Ashdown" in page
    assert f"/staff/calls/{booking.pk}/" in page and "24 minutes" in page
    Booking.objects.filter(pk=booking.pk).update(recorded=False)
    page = wing.get("/staff/video-calls/live/").content.decode()
    assert f"/staff/calls/{booking.pk}/" not in page and "Privileged: not watched" in page
    other = staff_client(estate, "wing.b", StaffRole.WING_OFFICER, where="b")
    assert estate.prisoner_a.full_name not in other.get("/staff/video-calls/live/").content.decode()


def test_staff_add_and_stop_offering_a_session(estate: Estate, visits: Client) -> None:
    url = f"/staff/establishments/{estate.a.code}/video-calls/sessions/"
    page = visits.post(url, {"suite": estate.a_video_suite.pk, "weekday": 3, "starts": "25:00"})
    assert "Enter a time such as 14:00" in page.content.decode()
    response = visits.post(
        url,
        {
            "suite": estate.a_video_suite.pk,
            "weekday": 3,
            "starts": "10:30",
            "minutes": 60,
            "capacity": 2,
        },
    )
    assert response.status_code == 302
    made = SessionTemplate.objects.get()
    assert (made.weekday, made.starts, made.minutes, made.capacity) == (3, dt.time(10, 30), 60, 2)
    assert AuditEvent.objects.get(action="calls.session.add").actor_label == "visits.a"
    assert visits.post(f"{url}{made.pk}/deactivate").status_code == 302
    made.refresh_from_db()
    assert not made.active
    assert AuditEvent.objects.filter(action="calls.session.deactivate").count() == 1
    assert "Not offered" in visits.get(url).content.decode()


def test_staff_change_the_settings(estate: Estate, visits: Client) -> None:
    url = f"/staff/establishments/{estate.a.code}/video-calls/settings"
    assert 'value="60"' in visits.get(url).content.decode()  # the default allowance
    data = {
        **{f"minutes_{level}": 60 for level in IncentiveLevel.values},
        "minutes_ENH": 120,
        "lead_hours": 48,
        "window_days": 1,
    }
    page = visits.post(url, data).content.decode()
    assert "The window must end after the lead time" in page
    assert visits.post(url, {**data, "window_days": 21}).status_code == 302
    found = CallSettings.objects.get(establishment=estate.a)
    assert found.minutes_for("ENH") == 120 and (found.lead_hours, found.window_days) == (48, 21)
    event = AuditEvent.objects.get(action="calls.settings.change")
    assert event.details["lead_hours"] == [24, 48]


def test_settings_and_sessions_elsewhere_are_a_404(estate: Estate, visits: Client) -> None:
    code = estate.b.code
    assert visits.get(f"/staff/establishments/{code}/video-calls/settings").status_code == 404
    assert visits.get(f"/staff/establishments/{code}/video-calls/sessions/").status_code == 404

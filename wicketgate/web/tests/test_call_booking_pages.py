"""The video-call booking pages: the family books and sees their calls, the prisoner sees
theirs, staff book, cancel and oversee; the rules' refusals shown against the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wicketgate.audit.models import AuditEvent
from wicketgate.calls.booking import do_book_video_call, do_cancel_booking
from wicketgate.calls.models import Booking, CallSettings, SessionTemplate
from wicketgate.contacts.codes import LinkStatus
from wicketgate.policy import engine as engine_module
from wicketgate.testing.personas import SETUP, Estate
from wicketgate.web.calls_queries import coming_slots
from wicketgate.web.tests import contact_data

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
    client.force_login(link.contact.user, backend="wicketgate.accounts.backends.PasswordBackend")
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
    assert slot_value(session, slots[0].day) in page and "1 place(s) free" in page


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
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    soon = SessionTemplate.objects.create(
        suite=estate.a_video_suite,
        weekday=tomorrow.weekday(),
        starts=dt.time(0, 30),
        minutes=30,
    )
    page = rita.post(
        f"/family/video-calls/book/{estate.prisoner_a.pk}", {"slot": slot_value(soon, tomorrow)}
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

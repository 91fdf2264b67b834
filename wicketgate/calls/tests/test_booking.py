"""The booking rules: slot, lead time and window, callers, engine decisions (restrictions,
sanctions), eligibility, allowance, capacity, overlapping bookings, cancelling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.calls.booking import BookingError, do_book_video_call, do_cancel_booking
from wicketgate.calls.models import Booking, CallSettings, SessionTemplate
from wicketgate.conduct.actions import do_add_sanction
from wicketgate.contacts.actions import do_add_child, do_add_restriction, do_give_identity
from wicketgate.contacts.models import Contact
from wicketgate.contacts.tests.conftest import STAFF, approved_contact
from wicketgate.estate.models import Location
from wicketgate.people.actions import do_add_alert
from wicketgate.people.models import Prisoner
from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import SETUP, Estate

pytestmark = pytest.mark.django_db

FAMILY = Actor("family", "1", "fay@example.org")
LONDON = ZoneInfo("Europe/London")


def next_weekday(weekday: int, *, after_days: int = 3) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=after_days)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def session(estate: Estate) -> SessionTemplate:
    return SessionTemplate.objects.create(
        suite=estate.a_video_suite, weekday=1, starts=dt.time(14, 0), minutes=30, capacity=1
    )


@pytest.fixture
def mother(estate: Estate) -> Contact:
    return approved_contact(estate.prisoner_a, "MOTHER").contact


def book(
    estate: Estate,
    session: SessionTemplate,
    caller: Contact,
    *,
    prisoner: Prisoner | None = None,
    day: dt.date | None = None,
    others: Iterable[Contact] = (),
    now: dt.datetime | None = None,
) -> Booking:
    return do_book_video_call(
        prisoner=prisoner or estate.prisoner_a,
        session=session,
        day=day or next_weekday(session.weekday),
        main_caller=caller,
        actor=FAMILY,
        others=others,
        now=now,
        decisions=Engine(refresh_every=0),
    )


def test_a_call_is_booked_with_its_callers_and_audited(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    sister = approved_contact(estate.prisoner_a, "SISTER").contact
    booking = book(estate, session, mother, others=[sister])
    assert booking.minutes == 30 and booking.suite == estate.a_video_suite
    local = timezone.localtime(booking.starts_at)
    assert (local.weekday(), local.hour, local.minute) == (1, 14, 0)
    assert {p.contact for p in booking.participants.all()} == {mother, sister}
    event = AuditEvent.objects.get(action="calls.booking.create")
    assert event.establishment_id == estate.a.pk and event.actor_label == "fay@example.org"


def test_the_day_must_be_the_sessions_weekday_within_the_lead_time_and_window(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    with pytest.raises(BookingError, match="is not a Tuesday"):
        book(estate, session, mother, day=next_weekday(2))
    tuesday = next_weekday(1)
    soon = dt.datetime.combine(tuesday, dt.time(0, 0), tzinfo=timezone.get_current_timezone())
    with pytest.raises(BookingError, match="at least 24 hours ahead"):
        book(estate, session, mother, day=tuesday, now=soon)
    with pytest.raises(BookingError, match="already started"):
        book(estate, session, mother, day=tuesday, now=soon + dt.timedelta(days=1))
    with pytest.raises(BookingError, match="at most 28 days ahead"):
        book(estate, session, mother, day=next_weekday(1, after_days=30))
    assert not Booking.objects.exists()


def test_the_main_caller_is_an_adult_whose_identity_is_checked(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    today = timezone.localdate()
    child_link = do_add_child(
        approved_contact(estate.prisoner_a, "PARTNER"),
        given_name="Ava",
        family_name="Ashdown",
        date_of_birth=today - relativedelta(years=10),
        relationship="DAUGHTER",
        actor=STAFF,
    )
    from wicketgate.contacts.actions import do_confirm_link, do_decide_link

    do_confirm_link(child_link, accept=True, actor=STAFF)
    do_decide_link(child_link, approve=True, actor=STAFF)
    with pytest.raises(BookingError, match="main_caller: the main caller must be 18 or over"):
        book(estate, session, child_link.contact)
    book(estate, session, mother, others=[child_link.contact])  # a child joins with an adult
    do_give_identity(
        mother,
        document_type="passport",
        document_number="987654321",
        address="2 New Road",
        postcode="LS2 2BB",
        actor=FAMILY,
    )  # new details: to be checked again
    with pytest.raises(BookingError, match="main_caller: staff have not yet checked"):
        book(estate, session, mother, day=next_weekday(1, after_days=10))


def test_at_most_three_others_each_allowed_by_the_engine(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    others = [
        approved_contact(estate.prisoner_a, rel).contact for rel in ("SISTER", "BROTHER", "FRIEND")
    ]
    fourth = approved_contact(estate.prisoner_a, "COUSIN").contact
    with pytest.raises(BookingError, match="others: at most 3 people"):
        book(estate, session, mother, others=[*others, fourth])
    stranger = Contact.objects.create(
        given_name="Stan", family_name="Ger", date_of_birth=dt.date(1980, 1, 1)
    )
    with pytest.raises(
        BookingError, match="others: Stan Ger: This person is not an approved contact"
    ):
        book(estate, session, mother, others=[stranger])
    banned_link = approved_contact(estate.prisoner_a, "AUNT_UNCLE")
    do_add_restriction(banned_link, code="BAN", reason="Conveyed drugs", actor=STAFF)
    with pytest.raises(BookingError, match="banned contact"):
        book(estate, session, mother, others=[banned_link.contact])
    assert len(book(estate, session, mother, others=others).participants.all()) == 4


def test_a_video_sanction_at_the_time_of_the_call_refuses_it(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    sanction = do_add_sanction(
        prisoner=estate.prisoner_a, service="video", days=30, reason="Proved", actor=SETUP
    )
    with pytest.raises(
        BookingError, match="main_caller: .*A sanction has stopped your video calls"
    ):
        book(estate, session, mother)
    from wicketgate.conduct.actions import do_quash_sanction

    do_quash_sanction(sanction, reason="Appeal", actor=SETUP)
    do_add_sanction(
        prisoner=estate.prisoner_a, service="video", days=1, reason="Short", actor=SETUP
    )
    book(estate, session, mother)  # the call is after that one-day sanction has ended


@pytest.mark.time_machine(dt.datetime(2027, 3, 1, 9, 0, tzinfo=LONDON), tick=False)
def test_an_ineligibility_alert_refuses_and_the_allowance_counts_the_month(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    CallSettings.objects.create(
        establishment=estate.a, ineligible_alerts=["ESCAPE"], monthly_minutes={"STD": 60}
    )
    # Booked on 1 March 2027 for the Tuesdays of March, and one in April (asked for later).
    now = timezone.now()
    march = [dt.date(2027, 3, 9), dt.date(2027, 3, 16), dt.date(2027, 3, 23)]
    first = book(estate, session, mother, day=march[0], now=now)
    book(estate, session, mother, day=march[1], now=now)
    with pytest.raises(BookingError, match="over their allowance for March 2027 .*60 of 60"):
        book(estate, session, mother, day=march[2], now=now)
    book(estate, session, mother, day=dt.date(2027, 4, 6), now=now + dt.timedelta(days=14))
    do_cancel_booking(first, reason="Suite closed for maintenance", actor=STAFF)
    book(estate, session, mother, day=march[2], now=now)  # the cancelled minutes came back
    CallSettings.objects.filter(establishment=estate.a).update(monthly_minutes={"STD": 120})
    book(estate, session, mother, day=dt.date(2027, 3, 30), now=now + dt.timedelta(days=7))
    do_add_alert(estate.prisoner_a, "ESCAPE", actor=SETUP)
    with pytest.raises(BookingError, match="prisoner: not eligible .*ESCAPE"):
        book(estate, session, mother, day=dt.date(2027, 4, 13), now=now + dt.timedelta(days=21))


def test_the_suite_carries_only_its_capacity_and_a_prisoner_only_one_call_at_a_time(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    other = Prisoner.objects.create(
        prison_number="C3456DE",
        given_name="Cal",
        family_name="Cole",
        date_of_birth=dt.date(1988, 2, 3),
        establishment=estate.a,
        security_category="C",
        incentive_level="STD",
        legal_status="SENTENCED",
    )
    their_mother = approved_contact(other, "MOTHER", name="Cora").contact
    book(estate, session, mother)
    with pytest.raises(BookingError, match="that session is full \\(1 call at once"):
        book(estate, session, their_mother, prisoner=other)
    session.capacity = 2
    session.save()
    book(estate, session, their_mother, prisoner=other)
    second_suite = Location.objects.create(
        establishment=estate.a, code="NGT-VS2", kind="VIDEO_SUITE", name="Suite 2", secure_area=True
    )
    overlap = SessionTemplate.objects.create(
        suite=second_suite, weekday=1, starts=dt.time(14, 15), minutes=30
    )
    with pytest.raises(BookingError, match="already has a call booked at that time"):
        book(estate, overlap, mother)


def test_only_secure_suites_at_the_prisoners_establishment(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    open_room = SessionTemplate.objects.create(
        suite=estate.a_cell, weekday=1, starts=dt.time(10, 0), minutes=30
    )
    with pytest.raises(BookingError, match="not a secure video suite"):
        book(estate, open_room, mother)
    with pytest.raises(BookingError, match="not at the prisoner's establishment"):
        book(estate, session, mother, prisoner=estate.prisoner_b)


def test_cancelling_needs_a_reason_the_family_sees_and_happens_once(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    booking = book(estate, session, mother)
    with pytest.raises(BookingError, match="reason"):
        do_cancel_booking(booking, reason=" ", actor=STAFF)
    do_cancel_booking(booking, reason="Staff shortage", actor=STAFF)
    assert booking.cancel_reason == "Staff shortage"
    with pytest.raises(BookingError, match="already cancelled"):
        do_cancel_booking(booking, reason="again", actor=STAFF)

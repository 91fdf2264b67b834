"""Cancelling a booking: the family's main caller before the start, staff until the end,
nobody else; each cancellation audited with who did it."""

from __future__ import annotations

import datetime as dt

import pytest

from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.calls.booking import BookingError, cancelled_by_family, do_cancel_booking
from wicketgate.calls.models import Booking, SessionTemplate
from wicketgate.calls.tests.test_booking import book
from wicketgate.contacts.models import Contact
from wicketgate.contacts.tests.conftest import STAFF, approved_contact
from wicketgate.contacts.tests.data import account
from wicketgate.testing.personas import Estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(estate: Estate) -> SessionTemplate:
    return SessionTemplate.objects.create(
        suite=estate.a_video_suite, weekday=1, starts=dt.time(14, 0), minutes=30, capacity=1
    )


@pytest.fixture
def mother(estate: Estate) -> Contact:
    return approved_contact(estate.prisoner_a, "MOTHER").contact


def owner(contact: Contact) -> Actor:
    return Actor.of_user(account(contact))


def test_the_main_caller_cancels_without_a_reason_and_it_is_audited(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    booking = book(estate, session, mother)
    do_cancel_booking(booking, reason=" ", actor=owner(mother))
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancel_reason == ""
    assert booking.cancelled_by == account(mother).username
    assert cancelled_by_family(booking)
    event = AuditEvent.objects.get(action="calls.booking.cancel")
    assert (event.actor_kind, event.actor_label) == ("family", account(mother).username)
    assert event.establishment_id == estate.a.pk
    assert '"by":"family"' in event.details_json.replace(" ", "")


def test_the_main_callers_reason_is_kept(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    booking = book(estate, session, mother)
    do_cancel_booking(booking, reason="  I am unwell  ", actor=owner(mother))
    assert Booking.objects.get(pk=booking.pk).cancel_reason == "I am unwell"


def test_another_caller_on_the_call_may_not_cancel_it(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    sister = approved_contact(estate.prisoner_a, "SISTER").contact
    booking = book(estate, session, mother, others=[sister])
    with pytest.raises(BookingError, match="only the main caller"):
        do_cancel_booking(booking, reason="", actor=owner(sister))
    assert Booking.objects.get(pk=booking.pk).status == "booked"
    assert not AuditEvent.objects.filter(action="calls.booking.cancel").exists()


def test_a_prisoner_may_not_cancel_a_call(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    booking = book(estate, session, mother)
    with pytest.raises(BookingError, match="only staff or the main caller"):
        do_cancel_booking(
            booking, reason="Changed my mind", actor=Actor.of_user(estate.prisoner_user)
        )
    assert Booking.objects.get(pk=booking.pk).status == "booked"


def test_the_family_may_not_cancel_once_the_call_has_started_staff_until_it_ends(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    booking = book(estate, session, mother)
    with pytest.raises(BookingError, match="the call has started"):
        do_cancel_booking(booking, reason="", actor=owner(mother), now=booking.starts_at)
    during = booking.starts_at + dt.timedelta(minutes=10)
    with pytest.raises(BookingError, match="has ended"):
        do_cancel_booking(booking, reason="Too late", actor=STAFF, now=booking.ends_at)
    do_cancel_booking(booking, reason="Lockdown", actor=STAFF, now=during)
    booking.refresh_from_db()
    assert booking.status == "cancelled" and not cancelled_by_family(booking)


def test_the_family_may_cancel_up_to_the_start(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    booking = book(estate, session, mother)
    just_before = booking.starts_at - dt.timedelta(seconds=1)
    do_cancel_booking(booking, reason="", actor=owner(mother), now=just_before)
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"


def test_staff_still_give_a_reason(
    estate: Estate, session: SessionTemplate, mother: Contact
) -> None:
    booking = book(estate, session, mother)
    with pytest.raises(BookingError, match="reason: say why"):
        do_cancel_booking(booking, reason="", actor=STAFF)

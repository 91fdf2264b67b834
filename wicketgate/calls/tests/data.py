"""Video-call sessions and bookings for the web tests, each the same one however often it
is asked for."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wicketgate.calls.booking import do_book_video_call
from wicketgate.calls.codes import BookingStatus
from wicketgate.calls.models import Booking, SessionTemplate
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.tests import data as contact_data
from wicketgate.testing.personas import SETUP, Estate


def next_weekday(weekday: int, *, after_days: int = 3) -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=after_days)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def session(estate: Estate) -> SessionTemplate:
    """Tuesdays 14:00 for 30 minutes in the video suite at A, one call at once."""
    found = SessionTemplate.objects.filter(suite=estate.a_video_suite, weekday=1).first()
    return found or SessionTemplate.objects.create(
        suite=estate.a_video_suite, weekday=1, starts=dt.time(14, 0), minutes=30, capacity=1
    )


def slot_value(estate: Estate) -> str:
    made = session(estate)
    return f"{made.pk}:{next_weekday(made.weekday).isoformat()}"


def booking(estate: Estate) -> Booking:
    """Rita's call with the prisoner at A next Tuesday."""
    found = Booking.objects.filter(prisoner=estate.prisoner_a, status=BookingStatus.BOOKED).first()
    return found or do_book_video_call(
        prisoner=estate.prisoner_a,
        session=session(estate),
        day=next_weekday(1),
        main_caller=contact_data.link(estate, LinkStatus.APPROVED).contact,
        actor=SETUP,
    )

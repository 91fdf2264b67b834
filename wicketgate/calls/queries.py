"""Reads for the video-call pages that the calls app does not offer (yet).

Staff reads take querysets the caller has already scoped with ``for_user``; family and
prisoner reads go through the signed-in person, so nothing here decides who may see what.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from wicketgate.calls.booking import settings_for, slot_times
from wicketgate.calls.codes import BookingStatus
from wicketgate.calls.models import Booking, SessionTemplate
from wicketgate.contacts.models import Contact, ContactLink
from wicketgate.people.models import Prisoner

# The call page opens this long before the start, as the Janus room does.
JOIN_BEFORE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Slot:
    session: SessionTemplate
    day: dt.date
    starts: dt.datetime
    ends: dt.datetime
    free: int

    @property
    def value(self) -> str:
        return f"{self.session.pk}:{self.day.isoformat()}"


def coming_slots(prisoner: Prisoner, now: dt.datetime | None = None) -> list[Slot]:
    """Every slot of the prisoner's establishment's active sessions that can still be
    booked (after the lead time, within the window), with its free places."""
    moment = now or timezone.now()
    rules = settings_for(prisoner.establishment_id)
    earliest = moment + dt.timedelta(hours=rules.lead_hours)
    latest = moment + dt.timedelta(days=rules.window_days)
    sessions = list(
        SessionTemplate.objects.filter(
            suite__establishment_id=prisoner.establishment_id,
            suite__kind="VIDEO_SUITE",
            suite__secure_area=True,
            active=True,
        ).select_related("suite")
    )
    taken = list(
        Booking.objects.live()
        .filter(suite__in=[s.suite_id for s in sessions])
        .overlapping(earliest, latest + dt.timedelta(days=1))
        .values_list("suite_id", "starts_at", "ends_at")
    )
    slots = []
    first = timezone.localdate(earliest)
    for offset in range((timezone.localdate(latest) - first).days + 1):
        day = first + dt.timedelta(days=offset)
        for session in sessions:
            if session.weekday != day.weekday():
                continue
            starts, ends = slot_times(session, day)
            if not earliest <= starts <= latest:
                continue
            used = sum(1 for s, a, b in taken if s == session.suite_id and a < ends and b > starts)
            slots.append(Slot(session, day, starts, ends, max(session.capacity - used, 0)))
    slots.sort(key=lambda slot: (slot.starts, slot.session.suite.code))
    return slots


def approved_prisoners_of(contact: Contact) -> list[Prisoner]:
    """The prisoners a family member may book calls with: approved for them, at an
    establishment that has video calls on."""
    links = (
        ContactLink.objects.approved()
        .filter(contact=contact)
        .select_related("prisoner__establishment")
    )
    found = {link.prisoner for link in links if link.prisoner.establishment.feature("video_calls")}
    return sorted(found, key=lambda p: (p.family_name, p.pk))


def family_bookings(contact: Contact) -> list[Booking]:
    """Calls the family member is on, newest start last."""
    return list(
        Booking.objects.filter(participants__contact=contact)
        .select_related("prisoner", "main_caller")
        .prefetch_related("participants__contact")
        .distinct()
        .order_by("starts_at", "pk")
    )


def upcoming(bookings: list[Booking], now: dt.datetime | None = None) -> list[Booking]:
    moment = now or timezone.now()
    return [b for b in bookings if b.status == BookingStatus.BOOKED and b.ends_at > moment]


def may_join(booking: Booking, now: dt.datetime | None = None) -> bool:
    """From a few minutes before the start until the end, unless ended or cancelled."""
    moment = now or timezone.now()
    return (
        booking.status == BookingStatus.BOOKED
        and booking.ended_at is None
        and booking.starts_at - JOIN_BEFORE <= moment < booking.ends_at
    )

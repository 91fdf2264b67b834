"""A class's weekly timetable as sessions in time, and the clashes a booking must name.

Timetables are written as opening hours are (``Mon 09:00-11:30; Wed 13:30-16:00``, see
``policy.hours``) and read in the establishment's local time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from wicketgate.calls.models import Booking
from wicketgate.learning.codes import EnrolmentStatus
from wicketgate.learning.models import Course, CourseClass, Enrolment
from wicketgate.people.models import Prisoner
from wicketgate.policy.hours import DAYS, HoursError, Window, parse_hours

MAX_CLASHES = 5  # named; the rest are counted


def zone() -> ZoneInfo:
    return ZoneInfo(str(settings.TIME_ZONE))


def windows_of(course_class: CourseClass) -> tuple[Window, ...]:
    try:
        return parse_hours(course_class.timetable)
    except HoursError:
        return ()


def sessions(
    windows: tuple[Window, ...], first: dt.date, last: dt.date
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every session (start, end) of the windows on the days ``first`` to ``last``."""
    here = zone()
    found = []
    day = first
    while day <= last:
        for window in windows:
            if day.weekday() in window.days:
                found.append((_at(day, window.start, here), _at(day, window.end, here)))
        day += dt.timedelta(days=1)
    return sorted(found)


def _at(day: dt.date, minute: int, here: ZoneInfo) -> dt.datetime:
    """The wall-clock minute of the day, in local time (24:00 is the next midnight)."""
    if minute >= 24 * 60:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), here)
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), here)


def session_windows(
    course_class: CourseClass, start: dt.datetime, end: dt.datetime
) -> list[dt.datetime]:
    """The starts of the class's sessions that begin between ``start`` and ``end``
    (inclusive), within its course's dates."""
    here = zone()
    first = max(start.astimezone(here).date(), course_class.course.starts_on)
    last = min(end.astimezone(here).date(), course_class.course.ends_on)
    return [
        begin
        for begin, _end in sessions(windows_of(course_class), first, last)
        if start <= begin <= end
    ]


def recent_sessions(course_class: CourseClass, *, weeks: int = 2) -> list[dt.datetime]:
    """Sessions of the last ``weeks`` weeks that have started, newest first (the registers
    a tutor may mark or correct)."""
    now = timezone.now()
    return sorted(session_windows(course_class, now - dt.timedelta(weeks=weeks), now), reverse=True)


def overlaps(a: tuple[Window, ...], b: tuple[Window, ...]) -> list[str]:
    """The weekly times two timetables share, described (``Mon 10:00–11:00``)."""
    shared = []
    for x in a:
        for y in b:
            days = sorted(x.days & y.days)
            start, end = max(x.start, y.start), min(x.end, y.end)
            if days and start < end:
                shared.append(Window(frozenset(days), start, end).describe())
    return shared


def clashes_for(prisoner: Prisoner, course: Course, course_class: CourseClass | None) -> list[str]:
    """What the class would clash with for this prisoner: their other classes while both
    courses run, and their booked video calls in its sessions."""
    if course_class is None:
        return []
    mine = windows_of(course_class)
    found: list[str] = []
    others = (
        Enrolment.objects.filter(prisoner=prisoner, status=EnrolmentStatus.ENROLLED)
        .exclude(course_class__isnull=True)
        .exclude(course=course)
        .select_related("course", "course_class")
    )
    for other in others:
        theirs = other.course_class
        if theirs is None:
            continue
        if other.course.ends_on < course.starts_on or course.ends_on < other.course.starts_on:
            continue
        for when in overlaps(mine, windows_of(theirs)):
            found.append(f"{other.course.title} ({theirs.name}) on {when}")
    here = zone()
    first = max(course.starts_on, timezone.localdate())
    if first <= course.ends_on:
        periods = sessions(mine, first, course.ends_on)
        if periods:
            calls = Booking.objects.live().filter(
                prisoner=prisoner,
                starts_at__lt=periods[-1][1],
                ends_at__gt=periods[0][0],
            )
            for call in calls.order_by("starts_at"):
                if any(call.starts_at < end and call.ends_at > start for start, end in periods):
                    local = call.starts_at.astimezone(here)
                    found.append(
                        f"a video call booked for {DAYS[local.weekday()]} "
                        f"{local:%-d %B %Y at %H:%M}"
                    )
    if len(found) > MAX_CLASHES:
        return [*found[:MAX_CLASHES], f"{len(found) - MAX_CLASHES} more"]
    return found

"""Opening hours such as ``Mon-Fri 08:00-20:00; Sat-Sun 10:00-16:00``, in local time.

Windows are read in the establishment's local time (Europe/London by default), so a
rule open 08:00–20:00 is open 08:00–20:00 on both sides of a daylight-saving change.
A window may end at 24:00; it may not wrap past midnight (write two windows instead).
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_PART = re.compile(
    r"^(?P<first>[A-Z][a-z]{2})(?:-(?P<last>[A-Z][a-z]{2}))?\s+(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$"
)
DAY_END = 24 * 60
WEEK = 7 * DAY_END


class HoursError(ValueError):
    """The hours text cannot be read."""


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: int  # minutes after midnight
    end: int  # exclusive; up to 24 * 60

    def describe(self) -> str:
        ordered = sorted(self.days)
        if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
            days = f"{DAYS[ordered[0]]}–{DAYS[ordered[-1]]}"
        else:
            days = ", ".join(DAYS[d] for d in ordered)
        return f"{days} {_clock(self.start)}–{_clock(self.end)}"


def parse_hours(text: str) -> tuple[Window, ...]:
    windows = []
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        match = _PART.match(part)
        if match is None:
            raise HoursError(f"{part!r} is not like 'Mon-Fri 08:00-20:00'")
        first, last = match["first"], match["last"] or match["first"]
        for day in (first, last):
            if day not in DAYS:
                raise HoursError(f"{day!r} is not a day ({', '.join(DAYS)})")
        a, b = DAYS.index(first), DAYS.index(last)
        if b < a:
            raise HoursError(f"{first}-{last} runs backwards; write the days in order")
        start, end = _minutes(match["start"]), _minutes(match["end"])
        if end <= start:
            raise HoursError(f"{part!r} ends before it starts (a window cannot cross midnight)")
        windows.append(Window(frozenset(range(a, b + 1)), start, end))
    if not windows:
        raise HoursError("no hours given")
    return tuple(windows)


def is_open(windows: tuple[Window, ...], at: dt.datetime, zone: ZoneInfo) -> bool:
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return any(local.weekday() in w.days and w.start <= minute < w.end for w in windows)


def next_change(windows: tuple[Window, ...], at: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first moment after ``at`` at which ``is_open`` may change (a window's edge).

    Edges are kept as minutes of the week in local time; the next one is found by
    bisection and turned back into a wall-clock time on the right local date, so a
    daylight-saving change between now and then is honoured.
    """
    edges = _edges(windows)
    local = at.astimezone(zone)
    now = local.weekday() * DAY_END + local.hour * 60 + local.minute
    index = bisect_right(edges, now)
    edge = edges[index] if index < len(edges) else edges[0] + WEEK
    days, minute = divmod(edge, DAY_END)
    day = local.date() + dt.timedelta(days=days - local.weekday())
    moment = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
    return moment.astimezone(dt.UTC)


@cache
def _edges(windows: tuple[Window, ...]) -> tuple[int, ...]:
    """Every start and end of the windows, as sorted minutes of the week (Monday 00:00 = 0)."""
    edges = {day * DAY_END + edge for w in windows for day in w.days for edge in (w.start, w.end)}
    return tuple(sorted(edge % WEEK for edge in edges))


def describe(windows: tuple[Window, ...]) -> str:
    return "; ".join(w.describe() for w in windows)


def _minutes(text: str) -> int:
    hours, minutes = int(text[:2]), int(text[3:])
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise HoursError(f"{text} is not a time of day")
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"

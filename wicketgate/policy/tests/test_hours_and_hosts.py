from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wicketgate.policy.hosts import (
    BadResource,
    check_pattern,
    host_candidates,
    parse_url,
    path_matches,
)
from wicketgate.policy.hours import DAYS, HoursError, Window, is_open, next_change, parse_hours

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = parse_hours("Mon-Fri 08:00-20:00; Sat-Sun 10:00-16:00")


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-11-26T07:59:59", False),  # Thursday, GMT: 07:59 local
        ("2026-11-26T08:00:00", True),
        ("2026-11-26T19:59:59", True),
        ("2026-11-26T20:00:00", False),  # the end is exclusive
        ("2026-11-28T09:59:00", False),  # Saturday
        ("2026-11-28T10:00:00", True),
    ],
)
def test_it_opens_and_closes_at_the_edges(moment: str, open_: bool) -> None:
    assert is_open(WEEKDAYS, utc(moment), LONDON) is open_


def test_it_keeps_local_hours_across_the_change_to_summer_time() -> None:
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026; Monday 30 March is BST.
    assert is_open(WEEKDAYS, utc("2026-03-30T07:00:00"), LONDON)  # 08:00 BST
    assert not is_open(WEEKDAYS, utc("2026-03-27T07:00:00"), LONDON)  # 07:00 GMT on Friday
    assert next_change(WEEKDAYS, utc("2026-03-29T16:30:00"), LONDON) == utc("2026-03-30T07:00:00")


def test_it_keeps_local_hours_across_the_change_back() -> None:
    # Clocks go back at 01:00 UTC on Sunday 25 October 2026.
    assert is_open(WEEKDAYS, utc("2026-10-23T07:00:00"), LONDON)  # Friday 08:00 BST
    assert not is_open(WEEKDAYS, utc("2026-10-26T07:00:00"), LONDON)  # Monday 07:00 GMT
    assert is_open(WEEKDAYS, utc("2026-10-26T08:00:00"), LONDON)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no hours"),
        ("Monday 08:00-20:00", "is not like"),
        ("Fri-Mon 08:00-20:00", "runs backwards"),
        ("Mon-Fri 20:00-08:00", "ends before it starts"),
        ("Mon-Fri 08:00-25:00", "not a time of day"),
        ("Mon-Fri 08:00-08:00", "ends before it starts"),
    ],
)
def test_it_explains_hours_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(HoursError, match=message):
        parse_hours(text)


def test_a_window_may_end_at_midnight() -> None:
    late = parse_hours("Fri 22:00-24:00")
    assert is_open(late, utc("2026-11-27T23:59:00"), LONDON)
    assert not is_open(late, utc("2026-11-28T00:00:00"), LONDON)
    assert next_change(late, utc("2026-11-27T23:00:00"), LONDON) == utc("2026-11-28T00:00:00")


def test_a_wildcard_matches_subdomains_but_not_the_bare_domain() -> None:
    assert "*.open.edu" in host_candidates("www.open.edu")
    assert "*.open.edu" in host_candidates("a.b.open.edu")
    assert "*.open.edu" not in host_candidates("open.edu")
    assert host_candidates("open.edu") == ["open.edu"]


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("https://WWW.Open.Edu./openlearn/x?y=1", "www.open.edu", "/openlearn/x"),
        ("http://www.open.edu", "www.open.edu", "/"),
        ("www.open.edu", "www.open.edu", None),
        ("https://bücher.example/", "xn--bcher-kva.example", "/"),
    ],
)
def test_it_reads_urls_and_hosts(url: str, host: str, path: str | None) -> None:
    resource = parse_url(url)
    assert (resource.host, resource.path) == (host, path)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://www.open.edu/",
        "https://user:pw@www.open.edu/",
        "https:///nohost",
        "localhost",
        "not a host",
        "https://-bad-.example/",
    ],
)
def test_it_refuses_what_is_not_a_web_address(url: str) -> None:
    with pytest.raises(BadResource):
        parse_url(url)


def test_it_checks_host_patterns() -> None:
    assert check_pattern("*.Open.edu") == "*.open.edu"
    with pytest.raises(ValueError, match="leading"):
        check_pattern("www.*.edu")


@pytest.mark.parametrize(
    ("prefix", "path", "matches"),
    [
        ("/openlearn/", "/openlearn/course", True),
        ("/openlearn/", "/openlearn", True),
        ("/openlearn/", "/openlearning", False),
        ("/jobs", "/jobs/1", True),
        ("/jobs", "/jobsearch", False),
    ],
)
def test_path_prefixes_match_whole_segments(prefix: str, path: str, matches: bool) -> None:
    assert path_matches(prefix, path) is matches


def _next_change_by_scanning(
    windows: tuple[Window, ...], at: dt.datetime, zone: ZoneInfo
) -> dt.datetime:
    """The obvious way, day by day, to check the quick one against."""
    local = at.astimezone(zone)
    found: list[dt.datetime] = []
    for ahead in range(9):
        day = local.date() + dt.timedelta(days=ahead)
        for window in windows:
            if day.weekday() in window.days:
                for edge in (window.start, window.end):
                    moment = (
                        dt.datetime.combine(day, dt.time(0), tzinfo=zone)
                        if edge == 0
                        else (
                            dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
                            if edge == 1440
                            else dt.datetime.combine(
                                day, dt.time(edge // 60, edge % 60), tzinfo=zone
                            )
                        )
                    )
                    if moment > local.replace(second=0, microsecond=0):
                        found.append(moment)
    return min(found).astimezone(dt.UTC)


@settings(max_examples=300, deadline=None)
@given(
    days=st.lists(st.integers(0, 6), min_size=1, max_size=7),
    start=st.integers(0, 1438),
    length=st.integers(1, 1440),
    moment=st.datetimes(
        min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis adds the zone
        max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001 - hypothesis draws naive times; the zone is added after
        timezones=st.just(dt.UTC),
    ),
)
def test_the_next_edge_is_the_one_a_day_by_day_scan_finds(
    days: list[int], start: int, length: int, moment: dt.datetime
) -> None:
    end = min(start + length, 1440)
    text = "; ".join(
        f"{DAYS[d]} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
        for d in sorted(set(days))
    )
    windows = parse_hours(text)
    minute = moment.replace(second=0, microsecond=0)
    assert next_change(windows, minute, LONDON) == _next_change_by_scanning(windows, minute, LONDON)

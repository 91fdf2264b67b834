"""The shifted-clock runner: the moments it works out from today, and that a command run
under it really lives at that moment, sleeps and waits as usual, and starts Chromium
with a clock that agrees."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wicketgate.testing import shifted_clock
from wicketgate.testing.shifted_clock import LONDON, Moment, moments, next_clock_change

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (
            "2026-12-05T21:04:00+00:00",
            {
                "year-on": "2027-12-05T21:04:00+00:00",
                "spring-forward": "2027-03-28T00:58:30+00:00",
                "autumn-back": "2027-10-31T00:58:30+00:00",
                "leap-day": "2028-02-29T00:00:30+00:00",
            },
        ),
        (  # just after a change: the next one is a year later
            "2027-03-28T01:00:00+00:00",
            {
                "year-on": "2028-03-28T01:00:00+00:00",
                "spring-forward": "2028-03-26T00:58:30+00:00",
                "autumn-back": "2027-10-31T00:58:30+00:00",
                "leap-day": "2028-02-29T00:00:30+00:00",
            },
        ),
        (  # on a leap day: a year on is 28 February, and the next leap day four years on
            "2028-02-29T12:00:00+00:00",
            {
                "year-on": "2029-02-28T12:00:00+00:00",
                "spring-forward": "2028-03-26T00:58:30+00:00",
                "autumn-back": "2028-10-29T00:58:30+00:00",
                "leap-day": "2032-02-29T00:00:30+00:00",
            },
        ),
    ],
)
def test_it_works_out_each_moment_ahead_of_now(now: str, expected: dict[str, str]) -> None:
    assert {m.name: m.at for m in moments(at(now))} == {k: at(v) for k, v in expected.items()}


def test_it_finds_the_change_to_the_second_in_any_zone() -> None:
    # New York's clocks go forward at 02:00 local (07:00 UTC) on the second Sunday of March.
    new_york = ZoneInfo("America/New_York")
    change = next_clock_change(at("2027-01-01T00:00:00+00:00"), new_york, forward=True)
    assert change == at("2027-03-14T07:00:00+00:00")
    before, after = change - dt.timedelta(seconds=1), change
    assert before.astimezone(new_york).utcoffset() != after.astimezone(new_york).utcoffset()
    with pytest.raises(ValueError, match="do not go forward"):
        next_clock_change(at("2027-01-01T00:00:00+00:00"), ZoneInfo("Asia/Tokyo"), forward=True)


def test_a_dst_moment_runs_across_the_change_into_the_hour_after() -> None:
    [spring, autumn] = moments(at("2026-12-05T12:00:00+00:00"), ["spring-forward", "autumn-back"])
    assert f"{spring.at.astimezone(LONDON):%H:%M:%S %Z}" == "00:58:30 GMT"
    assert f"{(spring.at + shifted_clock.LEAD).astimezone(LONDON):%H:%M %Z}" == "02:00 BST"
    assert f"{autumn.at.astimezone(LONDON):%H:%M:%S %Z}" == "01:58:30 BST"
    assert f"{(autumn.at + shifted_clock.LEAD).astimezone(LONDON):%H:%M %Z}" == "01:00 GMT"


def test_it_shifts_every_process_by_the_same_seconds() -> None:
    moment = Moment("leap-day", at("2028-02-29T09:00:00+00:00"), "test")
    now = at("2026-12-05T09:00:00+00:00")
    env = shifted_clock.shifted_environment(
        moment, now, Path("/lib/libfaketime.so.1"), {"PYTHONPATH": "/x", "LD_PRELOAD": "/y.so"}
    )
    assert env["FAKETIME"] == f"+{451 * 86400}"
    assert env["LD_PRELOAD"] == "/lib/libfaketime.so.1 /y.so"
    assert env["PYTHONPATH"].split(":") == [str(shifted_clock.SITE), "/x"]
    assert env["FAKETIME_DONT_FAKE_MONOTONIC"] == "1"
    # Run again from under that shift: "now" reads 451 days on, so the real clock is 451
    # days behind it and the offset stays what it was; nothing is loaded twice.
    again = shifted_clock.shifted_environment(moment, moment.at, Path("/lib/libfaketime.so.1"), env)
    assert again["FAKETIME"] == env["FAKETIME"]
    assert (again["LD_PRELOAD"], again["PYTHONPATH"]) == (env["LD_PRELOAD"], env["PYTHONPATH"])


def test_it_refuses_an_unknown_moment_and_a_missing_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        shifted_clock.main(["--at", "next-tuesday", "--", "true"])
    assert exit_info.value.code == 2
    assert "unknown moment next-tuesday" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        shifted_clock.main(["--at", "leap-day"])
    assert "give the command to run" in capsys.readouterr().err


def test_without_libfaketime_it_fails_rather_than_run_at_todays_date(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WICKETGATE_LIBFAKETIME", str(tmp_path / "missing.so"))
    marker = tmp_path / "ran"
    assert shifted_clock.main(["--at", "leap-day", "--", "touch", str(marker)]) == 1
    assert not marker.exists()
    assert "install the Debian package faketime" in capsys.readouterr().err


def _run_under(moment: str, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wicketgate.testing.shifted_clock", "--at", moment, "--"]
        + [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_command_lives_at_the_moment_and_its_sleeps_and_waits_are_as_long_as_asked() -> None:
    code = (
        "import datetime as dt, subprocess, threading, time\n"
        "start = time.monotonic()\n"
        "time.sleep(0.2)\n"
        "threading.Event().wait(0.2)\n"
        "print(round(time.monotonic() - start, 1))\n"
        "print(dt.datetime.now(dt.UTC).date())\n"
        "print(subprocess.run(['date', '-u', '+%F'], capture_output=True, text=True).stdout)\n"
    )
    leap_day = shifted_clock.leap_day(dt.datetime.now(dt.UTC)).at.date().isoformat()
    result = _run_under("leap-day", code)
    assert result.returncode == 0, result.stderr
    waited, python_day, date_day = result.stdout.split()
    assert 0.4 <= float(waited) < 1.5
    assert python_day == date_day == leap_day  # Python and its children agree
    assert "passed: leap-day" in result.stderr


def test_a_failing_command_fails_the_run_and_says_at_which_moment() -> None:
    result = _run_under("year-on", "raise SystemExit(3)")
    assert result.returncode == 1
    assert "FAILED (exit 3): year-on" in result.stderr


def test_chromium_under_the_shifted_clock_keeps_its_monotonic_clock_shifted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wicketgate.testing.browser import chromium_environment

    monkeypatch.setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1")
    monkeypatch.delenv("WICKETGATE_SHIFTED_CLOCK", raising=False)
    assert chromium_environment()["FAKETIME_DONT_FAKE_MONOTONIC"] == "1"  # not ours: untouched
    monkeypatch.setenv("WICKETGATE_SHIFTED_CLOCK", "leap-day")
    assert "FAKETIME_DONT_FAKE_MONOTONIC" not in chromium_environment()


def test_it_clears_the_shared_memory_of_processes_that_are_gone(tmp_path: Path) -> None:
    import os

    from wicketgate.testing.shifted_clock import clear_stale_segments

    gone = 4_194_303 + 1  # above the kernel's largest pid: no process has it
    mine = os.getpid()
    for name in [
        f"faketime_shm_{gone}",
        f"sem.faketime_sem_{gone}",
        f"faketime_shm_{mine}",
        f"sem.faketime_sem_{mine}",
        "wg0123456789-cache.shm",
    ]:
        (tmp_path / name).write_bytes(b"")
    removed = clear_stale_segments(tmp_path)
    assert sorted(removed) == [f"faketime_shm_{gone}", f"sem.faketime_sem_{gone}"]
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == [f"faketime_shm_{mine}", f"sem.faketime_sem_{mine}", "wg0123456789-cache.shm"]

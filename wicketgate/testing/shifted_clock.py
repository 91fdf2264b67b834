"""Runs a command with the whole machine's clock shifted to moments ahead of today.

    python -m wicketgate.testing.shifted_clock [--at MOMENT,...] -- CMD ARGS...
    python -m wicketgate.testing.shifted_clock --list

A test that passes today and fails next week is a broken test. ``make test`` runs the
suite again under Debian's libfaketime at moments worked out afresh from the real
date, so a test that leans on today's date fails in CI long before its day comes:

==================  ==========================================================
``year-on``         a year from now, at this time of day
``spring-forward``  the next time the clocks go forward in Europe/London,
                    starting 90 seconds before it (they change while the tests run)
``autumn-back``     the next time they go back, 90 seconds before it: most of the
                    run is in the hour that happens twice
``leap-day``        the next 29 February, 30 seconds after midnight
==================  ==========================================================

CMD runs once for each moment, one after the other; every moment is run even when
one fails, and the exit code is 1 if any failed (0 if all passed, 2 for bad usage).

Every process CMD starts shares one clock, shifted by the same number of seconds
(``FAKETIME="+N"``): Python, Squid, Janus, Chromium and the rest agree on the time.
Two faults of the libfaketime in Debian 12 (0.9.10) are worked round here:

- Python 3.11 waits on the real monotonic clock (``sem_clockwait``, which that
  libfaketime does not know), so a faked monotonic clock makes every timed wait last
  a year: the monotonic clock is left alone (``FAKETIME_DONT_FAKE_MONOTONIC=1``).
- With it left alone, that libfaketime still rewrites absolute monotonic sleeps, so
  Python's ``time.sleep`` fails with EINVAL: every Python process loads
  ``shifted_clock_site/sitecustomize.py``, which sleeps with a timed wait instead.
- Chromium, on the other hand, crawls unless its monotonic clock is shifted too:
  :func:`wicketgate.testing.browser.launch_chromium` gives it back the default.

Before CMD runs, a probe checks that the shift took: a missing libfaketime fails the
run rather than passing it at today's date.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import glob
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

LONDON = ZoneInfo("Europe/London")
# Seconds before a clock change at which the run starts: the change happens early on,
# and most of the run is in the hour just after it.
LEAD = dt.timedelta(seconds=90)
# The leap day's run starts just after midnight, when "today at 00:30" is still to come.
AFTER_MIDNIGHT = dt.timedelta(seconds=30)
LIBRARY_GLOBS = (
    "/usr/lib/*/faketime/libfaketime.so.1",  # Debian's multiarch path
    "/usr/lib/faketime/libfaketime.so.1",
)
SITE = Path(__file__).resolve().parent / "shifted_clock_site"
# How far the probe's clock may be from the moment asked for (it starts a little later).
PROBE_TOLERANCE = dt.timedelta(seconds=60)
PROBE = (
    "import threading, time\n"
    "time.sleep(0.01)\n"  # raises EINVAL under libfaketime 0.9.10 without the site shim
    "threading.Event().wait(0.01)\n"  # lasts a year if the monotonic clock is faked
    "print(time.time())\n"
)


class NoLibfaketime(RuntimeError):
    """libfaketime is not on this machine."""


@dataclass(frozen=True)
class Moment:
    name: str
    at: dt.datetime  # aware
    why: str

    def describe(self) -> str:
        local = self.at.astimezone(LONDON)
        return (
            f"{self.name}: from {self.at:%Y-%m-%d %H:%M:%S} UTC "
            f"({local:%A %d %B %Y %H:%M:%S %Z} in London), {self.why}"
        )


def year_on(now: dt.datetime) -> Moment:
    return Moment("year-on", now + relativedelta(years=1), "a year from now")


def spring_forward(now: dt.datetime) -> Moment:
    change = next_clock_change(now, LONDON, forward=True)
    return Moment("spring-forward", change - LEAD, "90 s before the clocks go forward")


def autumn_back(now: dt.datetime) -> Moment:
    change = next_clock_change(now, LONDON, forward=False)
    return Moment("autumn-back", change - LEAD, "90 s before the clocks go back")


def leap_day(now: dt.datetime) -> Moment:
    year = now.year
    while not (calendar.isleap(year) and dt.date(year, 2, 29) > now.date()):
        year += 1
    start = dt.datetime(year, 2, 29, tzinfo=LONDON) + AFTER_MIDNIGHT
    return Moment(
        "leap-day", start.astimezone(dt.UTC), "just after midnight on the next 29 February"
    )


MOMENTS: dict[str, Callable[[dt.datetime], Moment]] = {
    "year-on": year_on,
    "spring-forward": spring_forward,
    "autumn-back": autumn_back,
    "leap-day": leap_day,
}


def moments(now: dt.datetime, names: Sequence[str] = tuple(MOMENTS)) -> list[Moment]:
    """The moments named, worked out from ``now`` (aware)."""
    return [MOMENTS[name](now) for name in names]


def next_clock_change(after: dt.datetime, zone: ZoneInfo, *, forward: bool) -> dt.datetime:
    """The first instant after ``after`` at which ``zone``'s clocks go forward (or back)."""

    def offset(seconds: int) -> dt.timedelta | None:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).astimezone(zone).utcoffset()

    day = 24 * 3600
    start = int(after.timestamp())
    for _ in range(2 * 366):
        end = start + day
        before, later = offset(start), offset(end)
        if (
            before is not None
            and later is not None
            and before != later
            and (later > before) == forward
        ):
            low, high = start, end  # offset(low) == before, offset(high) == later
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == before:
                    low = middle
                else:
                    high = middle
            return dt.datetime.fromtimestamp(high, dt.UTC)
        start = end
    direction = "forward" if forward else "back"
    raise ValueError(f"the clocks in {zone.key} do not go {direction} in the next two years")


def find_libfaketime() -> Path:
    """libfaketime.so.1 (``WICKETGATE_LIBFAKETIME``, or where Debian's package puts it)."""
    named = os.environ.get("WICKETGATE_LIBFAKETIME")
    candidates = [named] if named else [p for g in LIBRARY_GLOBS for p in sorted(glob.glob(g))]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise NoLibfaketime(
        f"libfaketime not found ({named or ', '.join(LIBRARY_GLOBS)}): install the Debian "
        "package faketime (scripts/bootstrap.sh does)"
    )


def shifted_environment(
    moment: Moment, now: dt.datetime, library: Path, base: dict[str, str]
) -> dict[str, str]:
    """``base`` with every process's clock shifted so that ``now`` reads as ``moment.at``.

    Under a shift already (this runner run by a test under it), ``now`` is the shifted
    time: libfaketime adds the new offset to the real clock, so the old one comes off.
    """
    offset = round((moment.at - now).total_seconds()) + _offset_in(base)
    return {
        **base,
        "LD_PRELOAD": _joined(str(library), base.get("LD_PRELOAD"), " "),
        "FAKETIME": f"{offset:+d}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "PYTHONPATH": _joined(str(SITE), base.get("PYTHONPATH"), os.pathsep),
        "WICKETGATE_SHIFTED_CLOCK": moment.name,
    }


def probe(env: dict[str, str], moment: Moment) -> str | None:
    """None if a Python process under ``env`` reads ``moment``'s time, else what went wrong."""
    started = dt.datetime.now(dt.UTC)
    try:
        result = subprocess.run(  # this interpreter, our own probe
            [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return "the probe did not finish in 30 s (is the monotonic clock faked?)"
    if result.returncode != 0:
        return f"the probe failed: {result.stderr.strip().splitlines()[-1:]}"
    seen = dt.datetime.fromtimestamp(float(result.stdout), dt.UTC)
    expected = moment.at + (dt.datetime.now(dt.UTC) - started)
    if abs(seen - expected) > PROBE_TOLERANCE:
        return f"the probe's clock read {seen:%Y-%m-%d %H:%M:%S} UTC, not {expected:%Y-%m-%d %H:%M}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wicketgate.testing.shifted_clock",
        description="Run a command once for each moment, with the clock shifted to it.",
    )
    parser.add_argument(
        "--at",
        default=",".join(MOMENTS),
        help=f"comma-separated moments, of: {', '.join(MOMENTS)} (default: all)",
    )
    parser.add_argument("--list", action="store_true", help="print the moments and stop")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.at.split(",") if name.strip()]
    unknown = [name for name in names if name not in MOMENTS]
    if unknown or not names:
        parser.error(f"--at: unknown moment {', '.join(unknown) or '(none)'}")
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    chosen = moments(now, names)
    if args.list:
        for moment in chosen:
            print(moment.describe())
        return 0
    if not command:
        parser.error("give the command to run after --")
    try:
        library = find_libfaketime()
    except NoLibfaketime as exc:
        _say(str(exc))
        return 1
    results = [(moment, _run(moment, library, command)) for moment in chosen]
    for moment, code in results:
        _say(f"{'passed' if code == 0 else f'FAILED (exit {code})'}: {moment.describe()}")
    return 0 if all(code == 0 for _moment, code in results) else 1


SHM = Path("/dev/shm")  # noqa: S108 - where POSIX shared memory lives, not a temp file


def clear_stale_segments(shm: Path = SHM) -> list[str]:
    """Remove the shared memory libfaketime left behind by processes that are gone.

    The first process under libfaketime makes ``faketime_shm_<pid>`` and
    ``sem.faketime_sem_<pid>`` and removes them when it exits; one that is killed leaves
    them, and a later process given the same pid then fails to start under the shift.
    """
    removed = []
    for path in [*shm.glob("faketime_shm_*"), *shm.glob("sem.faketime_sem_*")]:
        pid = path.name.rsplit("_", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def _run(moment: Moment, library: Path, command: list[str]) -> int:
    clear_stale_segments()
    now = dt.datetime.now(dt.UTC)
    env = shifted_environment(moment, now, library, dict(os.environ))
    _say(moment.describe())
    problem = probe(env, moment)
    if problem:
        _say(f"{moment.name}: the clock could not be shifted: {problem}")
        return 1
    try:
        return subprocess.run(command, env=env, check=False).returncode
    except OSError as exc:
        _say(f"cannot run {command[0]}: {exc.strerror}")
        return 127


def _offset_in(env: dict[str, str]) -> int:
    """The seconds by which ``env`` shifts the clock already (our own ``+N`` form only)."""
    if env.get("WICKETGATE_SHIFTED_CLOCK") and re.fullmatch(r"[+-]\d+", env.get("FAKETIME", "")):
        return int(env["FAKETIME"])
    return 0


def _joined(first: str, rest: str | None, separator: str) -> str:
    """``first`` before the items of ``rest``, unless it is one of them already."""
    items = rest.split(separator) if rest else []
    return separator.join(items if first in items else [first, *items])


def _say(message: str) -> None:
    print(f"shifted_clock: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""Video calls on one Janus: CPU per call, and from "End the call" to media stopping.

    .venv/bin/python benchmarks/calls.py [--calls 1,2,4] [--seconds 15] [--ends 5]

Run as root (Janus goes in a network namespace of its own: ICE never uses loopback).
Everything is the product's: a fresh SQLite database with the test personas, the web app
served by Django's live-server thread, the call pages with janus.js, the real Janus
(Debian ``janus``) configured from ``deploy/janus``, Debian's Chromium with a fake camera
and microphone (320x240 at the fake device's 30 fps, VP8, Opus).

1. Capacity: for N concurrent calls, N prisoners each with a booked, open call and a
   family member; two browser pages a call, each publishing and receiving the other.
   After the calls settle, Janus's CPU (utime+stime from /proc over ``--seconds``) is
   measured, with the frames each page decoded per second (the quality reached).
2. Ending: in ``--ends`` calls, a member of staff watching clicks "End the call"; the time
   from the click to the last frame decoded on each side (frames sampled every 250 ms by the
   page, read every 50 ms) is the time to media stopping.

The 2 cores are shared by Janus, the browsers (which cost far more than Janus) and
Django, so the browsers limit how many calls this one machine can drive, not Janus; the
figure to read is Janus's CPU per call. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "calls.json"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="1,2,4", help="concurrent calls to measure")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--ends", type=int, default=5)
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error("run as root: Janus runs in a network namespace")
    data = Path(tempfile.mkdtemp(prefix="wicketgate-bench-calls-"))
    os.environ.update(
        {
            "WICKETGATE_DATA_DIR": str(data),
            "DJANGO_SETTINGS_MODULE": "wicketgate.settings",
            "WICKETGATE_SECURE_COOKIES": "0",
            "WICKETGATE_STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    counts = [int(n) for n in args.calls.split(",") if n.strip()]
    results = run(data, counts, args.seconds, args.ends)
    report = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": results,
    }
    print(table(results))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {RESULTS.relative_to(ROOT)}")
    return 0


def run(data: Path, counts: list[int], seconds: float, ends: int) -> dict[str, Any]:  # noqa: C901 - one estate, server, Janus and browser for both measurements, its steps closures over them
    import datetime as dt
    from concurrent.futures import ThreadPoolExecutor
    from unittest import mock

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test import Client
    from django.test.testcases import LiveServerThread
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from wicketgate.accounts.actions import do_set_prisoner_pin
    from wicketgate.calls.actions import do_open_call
    from wicketgate.calls.booking import do_book_video_call
    from wicketgate.calls.models import Booking, SessionTemplate
    from wicketgate.calls.tests.conftest import at_the_suite
    from wicketgate.contacts.tests.conftest import STAFF, approved_contact
    from wicketgate.people.models import Prisoner
    from wicketgate.policy.engine import Engine
    from wicketgate.testing.browser import launch_chromium
    from wicketgate.testing.janus import running_janus
    from wicketgate.testing.personas import SETUP, build_estate, sign_in_staff

    estate = build_estate()
    session = SessionTemplate.objects.create(
        suite=estate.a_video_suite, weekday=1, starts=dt.time(14, 0), minutes=60, capacity=50
    )
    day = timezone.localdate() + dt.timedelta(days=3)
    day += dt.timedelta(days=(1 - day.weekday()) % 7)
    needed = max(counts + [ends])
    people = []
    for n in range(needed):
        prisoner = Prisoner.objects.create(
            prison_number=f"K{n:04d}BN",
            given_name="Bench",
            family_name=f"Caller{n}",
            date_of_birth=dt.date(1990, 1, 1),
            establishment=estate.a,
            security_category="C",
            incentive_level="STD",
            legal_status="SENTENCED",
        )
        do_set_prisoner_pin(prisoner, "2580", actor=SETUP)
        mother = approved_contact(prisoner, "MOTHER", name=f"Mum{n}").contact
        people.append((prisoner, mother))

    def new_call(prisoner: Any, mother: Any) -> Any:
        booking = do_book_video_call(
            prisoner=prisoner, session=session, day=day, main_caller=mother, actor=STAFF,
            decisions=Engine(refresh_every=0),
        )  # fmt: skip
        now = timezone.now()
        Booking.objects.filter(pk=booking.pk).update(
            starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(minutes=59)
        )
        booking.refresh_from_db()
        # Signed in on a terminal of their own in the suite (one session a device).
        at_the_suite(estate, prisoner, number=int(prisoner.prison_number[1:5]) + 1)
        return booking

    server = LiveServerThread("localhost", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    base = f"http://localhost:{server.port}"
    staff_client = sign_in_staff(Client(), estate.clerk_a)
    pool = ThreadPoolExecutor(1)  # ORM work from inside Playwright's block

    def orm(work: Any) -> Any:
        return pool.submit(work).result()

    results: dict[str, Any] = {"capacity": [], "ends": []}
    with (
        running_janus(data / "janus-run") as janus,
        mock.patch("wicketgate.calls.views.call.configured", lambda: janus.client),
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(
            playwright,
            args=["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
        )

        def signed_in(prisoner: Any, mother: Any) -> tuple[Client, Client]:
            family, inmate = Client(), Client()
            family.force_login(mother.user, backend="wicketgate.accounts.backends.PasswordBackend")
            inmate.force_login(
                prisoner.account.user, backend="wicketgate.accounts.backends.PrisonerPinBackend"
            )
            return family, inmate

        def open_pages(booking: Any, prisoner: Any, mother: Any) -> list[Any]:
            family, inmate = orm(lambda: signed_in(prisoner, mother))
            pages = []
            for client, path in ((family, "family"), (inmate, "portal")):
                context = browser.new_context()
                context.add_cookies(
                    [{"name": k, "value": m.value, "url": base} for k, m in client.cookies.items()]
                )
                page = context.new_page()
                page.goto(f"{base}/{path}/calls/{booking.pk}/")
                pages.append(page)
            return pages

        def frames(page: Any) -> int:
            return int(page.evaluate("() => (window.WG_CALL && window.WG_CALL.framesDecoded) || 0"))

        def wait(check: Any, pages: list[Any], seconds: float = 60) -> None:
            deadline = time.monotonic() + seconds
            while not check():
                if time.monotonic() > deadline:
                    states = [p.inner_text("#call-status") for p in pages]
                    raise RuntimeError(f"timed out waiting for media: {states}")
                time.sleep(0.2)

        for count in counts:
            print(f"capacity: {count} concurrent call(s)", flush=True)
            calls = [orm(lambda p=p, m=m: new_call(p, m)) for p, m in people[:count]]
            for booking in calls:
                orm(lambda b=booking: do_open_call(b, client=janus.client))
            pages = []
            for booking, (prisoner, mother) in zip(calls, people, strict=False):
                pages += open_pages(booking, prisoner, mother)
            wait(lambda p=pages: all(frames(page) > 30 for page in p), pages)
            time.sleep(3)
            before = {id(page): frames(page) for page in pages}
            ticks = _cpu(janus.process.pid)
            started = time.monotonic()
            time.sleep(seconds)
            used = (_cpu(janus.process.pid) - ticks) / CLK_TCK
            elapsed = time.monotonic() - started
            fps = [(frames(page) - before[id(page)]) / elapsed for page in pages]
            results["capacity"].append(
                {
                    "calls": count,
                    "janus_cpu_percent": round(100 * used / elapsed, 2),
                    "per_call_percent": round(100 * used / elapsed / count, 2),
                    "fps_min": round(min(fps), 1),
                    "fps_median": round(sorted(fps)[len(fps) // 2], 1),
                }
            )
            print(f"  {results['capacity'][-1]}", flush=True)
            for booking in calls:
                orm(lambda b=booking: janus.client.kick_all(b.room))
                orm(
                    lambda b=booking: Booking.objects.filter(pk=b.pk).update(
                        ended_at=timezone.now(), end_reason="bench"
                    )
                )
            for page in pages:
                page.context.close()

        for n in range(ends):
            prisoner, mother = people[n]
            booking = orm(lambda p=prisoner, m=mother: new_call(p, m))
            orm(lambda b=booking: do_open_call(b, client=janus.client))
            family, inmate = open_pages(booking, prisoner, mother)
            staff_context = browser.new_context()
            staff_context.add_cookies(
                [
                    {"name": k, "value": m.value, "url": base}
                    for k, m in staff_client.cookies.items()
                ]
            )
            staff = staff_context.new_page()
            staff.goto(f"{base}/staff/calls/{booking.pk}/")
            wait(lambda f=family, i=inmate: frames(f) > 30 and frames(i) > 30, [family, inmate])
            time.sleep(1.0)  # staff watch a moment before they end it
            staff.fill("#end-reason", "Benchmark")
            last = {
                "family": (frames(family), time.monotonic()),
                "prisoner": (frames(inmate), time.monotonic()),
            }
            clicked = time.monotonic()
            # Without no_wait_after the click waits for the form's navigation, by which time
            # media has often stopped: the loop below would start too late to see it stop.
            staff.click("text=End the call", no_wait_after=True)
            watch_until = clicked + 4.0
            while time.monotonic() < watch_until:
                for who, page in (("family", family), ("prisoner", inmate)):
                    now_frames = frames(page)
                    if now_frames != last[who][0]:
                        last[who] = (now_frames, time.monotonic())
                time.sleep(0.05)
            results["ends"].append(
                {who: round((at - clicked) * 1000) for who, (_f, at) in last.items()}
            )
            print(f"  end {n + 1}: {results['ends'][-1]} ms after the click", flush=True)
            for page in (family, inmate, staff):
                page.context.close()
        browser.close()
    server.terminate()
    return results


def _cpu(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def table(results: dict[str, Any]) -> str:
    lines = ["Janus CPU (% of one core) with N concurrent 2-person calls, 320x240 VP8 + Opus:"]
    for row in results["capacity"]:
        lines.append(
            f"  {row['calls']} call(s): Janus {row['janus_cpu_percent']:.1f}% "
            f"({row['per_call_percent']:.1f}% a call); frames decoded a second per page: "
            f"min {row['fps_min']}, median {row['fps_median']}"
        )
    ends = [max(e.values()) for e in results["ends"]]
    if ends:
        ends.sort()
        lines.append(
            f"'End the call' clicked -> last frame decoded on both sides: median "
            f"{ends[len(ends) // 2]} ms, worst {ends[-1]} ms over {len(ends)} calls "
            "(includes the page's own 250 ms sampling and the form's round trip)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

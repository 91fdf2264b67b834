"""A whole call in real browsers on the real Janus: the prisoner and a family member see
each other (frames decoded on each side), a member of staff watches unseen and ends the
call, and media stops on both sides; a page opened outside the call's window is refused.

Janus runs in a network namespace of its own (ICE never uses loopback), the browsers in
this one: Debian's Chromium with a fake camera and microphone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connections
from django.http import StreamingHttpResponse
from django.test import Client
from django.utils import timezone
from playwright.sync_api import sync_playwright

from wicketgate.audit.models import AuditEvent
from wicketgate.calls.actions import do_end_call, do_open_call
from wicketgate.calls.models import Booking
from wicketgate.calls.recordings import do_collect_recordings, recordings_folder
from wicketgate.calls.tests.conftest import at_the_suite, booked
from wicketgate.contacts.tests.conftest import STAFF
from wicketgate.contacts.tests.data import account
from wicketgate.testing.browser import launch_chromium
from wicketgate.testing.janus import RunningJanus, running_janus
from wicketgate.testing.personas import Estate, sign_in_staff

pytestmark = pytest.mark.browser

MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
T = TypeVar("T")


@pytest.fixture
def janus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningJanus]:
    with running_janus(tmp_path) as running:
        monkeypatch.setattr("wicketgate.calls.views.call.configured", lambda: running.client)
        yield running


def orm(read: Callable[[], T]) -> T:
    """Database reads from inside Playwright's block (its sync API runs an event loop, where
    Django refuses the ORM): in a thread of their own, whose connection is closed after it
    (else PostgreSQL's test database is still in use when the run drops it)."""

    def run() -> T:
        try:
            return read()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def ended(pk: int) -> Booking:
    return orm(lambda: Booking.objects.get(pk=pk))


def cookies(client: Client, url: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "value": morsel.value, "url": url} for name, morsel in client.cookies.items()
    ]


def open_pages(browser: Any, base: str, **who: tuple[Client, str]) -> dict[str, Any]:
    """A page each, signed in as that client, in a browser context of its own (janus.js
    holds a long poll open, and Chromium allows 6 connections a host per context)."""
    pages = {}
    for name, (client, path) in who.items():
        context = browser.new_context()
        context.add_cookies(cookies(client, base))
        page = context.new_page()
        page.goto(base + path)
        pages[name] = page
    return pages


def frames(page: Any) -> int:
    return int(page.evaluate("() => (window.WG_CALL && window.WG_CALL.framesDecoded) || 0"))


def videos_decoding(page: Any, at_least: int = 30) -> int:
    """How many of the videos the page receives have decoded more than ``at_least`` frames."""
    per_video = page.evaluate("() => (window.WG_CALL && window.WG_CALL.framesPerVideo) || []")
    return sum(1 for decoded in per_video if decoded > at_least)


def wait_until(check: Any, seconds: float = 30, pages: dict[str, Any] | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            states = {
                who: page.evaluate(
                    "() => JSON.stringify({s: window.WG_CALL && window.WG_CALL.state, "
                    "e: window.WG_CALL && window.WG_CALL.errors, f: window.WG_CALL && "
                    "window.WG_CALL.framesDecoded, t: document.getElementById('call-status')"
                    ".textContent})"
                )
                for who, page in (pages or {}).items()
            }
            raise AssertionError(f"timed out: {states}")
        time.sleep(0.25)


def test_a_call_in_browsers_watched_and_ended_by_staff(
    world: Estate, janus: RunningJanus, live_server: Any
) -> None:
    shots = Path("/tmp/wicketgate-shots")  # noqa: S108 -- a fixed place for people to look
    shots.mkdir(parents=True, exist_ok=True)
    call = booked(world, live=True)
    at_the_suite(world)  # the prisoner signed in on the suite's terminal
    later = booked(world, weeks=1)
    recordings: list[Any] = []
    do_open_call(call, client=janus.client)
    family_client, prisoner_client = Client(), Client()
    family_client.force_login(
        account(call.main_caller), backend="wicketgate.accounts.backends.PasswordBackend"
    )
    prisoner_client.force_login(
        world.prisoner_user, backend="wicketgate.accounts.backends.PrisonerPinBackend"
    )
    staff_client = sign_in_staff(Client(), world.clerk_a)
    base = live_server.url
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, args=MEDIA)
        try:
            pages = open_pages(
                browser,
                base,
                family=(family_client, f"/family/calls/{call.pk}/"),
                prisoner=(prisoner_client, f"/portal/calls/{call.pk}/"),
                staff=(staff_client, f"/staff/calls/{call.pk}/"),
            )
            family, prisoner, staff = pages["family"], pages["prisoner"], pages["staff"]
            # Each side decodes the other's video; the watcher decodes both.
            wait_until(
                lambda: videos_decoding(family) == 1 and videos_decoding(prisoner) == 1,
                pages=pages,
            )
            wait_until(lambda: videos_decoding(staff) == 2, pages=pages)
            displays = {p["display"] for p in janus.client.participants(call.room)}
            assert displays == {f"contact-{call.main_caller.pk}", "prisoner"}  # staff unseen
            videos = "() => document.querySelectorAll('#remote video').length"
            assert (staff.evaluate(videos), family.evaluate(videos)) == (2, 1)
            staff.screenshot(path=str(shots / "call-staff.png"), full_page=True)
            family.screenshot(path=str(shots / "call-family.png"), full_page=True)
            # Staff pause the family member's camera: the prisoner stops receiving their
            # video; resumed, it comes back (with the next key frame).
            # Staff see people by name (Janus knows them by codes only).
            caller, held = orm(lambda: (call.main_caller.full_name, str(call.prisoner)))
            staff.reload()
            on_call = staff.locator("table").first.inner_text()
            assert caller in on_call and held in on_call and "contact-" not in on_call
            staff.get_by_role("button", name=f"Pause video {caller}").click()
            time.sleep(1.0)
            paused = frames(prisoner)
            time.sleep(1.5)
            assert frames(prisoner) == paused, "video still arriving while paused"
            assert frames(family) > 0
            staff.get_by_role("button", name=f"Resume video {caller}").click()
            wait_until(lambda: frames(prisoner) > paused + 10, 10, pages=pages)
            moderated = orm(
                lambda: list(
                    AuditEvent.objects.filter(action="calls.call.moderate")
                    .order_by("seq")
                    .values_list("details_json", flat=True)
                )
            )
            assert [(json.loads(d)["track"], json.loads(d)["mute"]) for d in moderated] == [
                ("video", True),
                ("video", False),
            ]
            wait_until(lambda: frames(staff) > 0, pages=pages)
            # Staff end the call: media stops on both sides.
            staff.fill("#end-reason", "Unapproved person on screen")
            ended_at = time.monotonic()
            staff.click("text=End the call")
            wait_until(lambda: ended(call.pk).ended_at is not None, 10)
            time.sleep(1.0)
            stopped = {
                who: frames(page) for who, page in (("family", family), ("prisoner", prisoner))
            }
            time.sleep(1.5)
            for who, page in (("family", family), ("prisoner", prisoner)):
                assert frames(page) == stopped[who], f"{who} still decoding after the end"
            assert time.monotonic() - ended_at < 10
            assert ended(call.pk).end_reason == "Unapproved person on screen"
            # The call was recorded: each publisher's sound and video, converted, kept for the
            # retention period, played only by staff with the permission, each time audited.
            made = orm(
                lambda: do_collect_recordings(ended(call.pk), recordings_folder(janus.setup.folder))
            )
            assert sorted(r.kind for r in made) == ["audio", "audio", "video", "video"]
            assert all(r.size > 1000 and Path(r.path).exists() for r in made)
            recordings.extend(made)
            # A page opened outside its call's window gets no tokens, and says why.
            context = browser.new_context()
            context.add_cookies(cookies(family_client, base))
            early = context.new_page()
            early.goto(base + f"/family/calls/{later.pk}/")
            wait_until(
                lambda: early.evaluate("() => window.WG_CALL && window.WG_CALL.state") == "error",
                10,
            )
            assert "can be joined from" in early.inner_text("#call-status")
        finally:
            browser.close()
    video = next(r for r in recordings if r.kind == "video")
    assert 0 < (video.delete_after - timezone.now()).days <= 90
    path = f"/staff/calls/{call.pk}/recordings/{video.pk}"
    assert staff_client.get(path).status_code == 404  # a wing officer may not play them
    from wicketgate.accounts.roles import StaffRole
    from wicketgate.testing.personas import staff_client as new_staff

    security = new_staff(world, "sec.a", StaffRole.SECURITY)
    response = security.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "video/webm"
    assert isinstance(response, StreamingHttpResponse)
    assert response.getvalue()[:4] == b"\x1aE\xdf\xa3"  # a WebM (EBML) file
    assert (
        AuditEvent.objects.filter(action="calls.recording.view", actor_label="sec.a").count() == 1
    )
    assert new_staff(world, "sec.b", StaffRole.SECURITY, "b").get(path).status_code == 404
    from wicketgate.calls.recordings import do_delete_expired_recordings

    assert do_delete_expired_recordings(now=max(r.delete_after for r in recordings)) == 4
    assert not Path(video.path).exists() and security.get(path).status_code == 404


def test_a_one_way_call_lets_the_prisoner_hear_but_not_see_the_callers(
    world: Estate, janus: RunningJanus, live_server: Any
) -> None:
    """The callers see and hear the prisoner; the prisoner hears them, and their pictures
    go to a room of their own, which staff watch (and record) beside the call's."""
    from wicketgate.calls.models import CallSettings
    from wicketgate.people.actions import do_add_alert
    from wicketgate.people.models import AlertCode
    from wicketgate.testing.personas import SETUP

    AlertCode.objects.get_or_create(code="HARASS", defaults={"description": "Harassment"})
    CallSettings.objects.create(establishment=world.a, one_way_alerts=["HARASS"])
    do_add_alert(world.prisoner_a, "HARASS", actor=SETUP)
    call = booked(world, live=True)
    at_the_suite(world)  # the prisoner signed in on the suite's terminal
    call = do_open_call(call, client=janus.client)
    assert call.one_way and call.pictures_room is not None
    family_client, prisoner_client = Client(), Client()
    family_client.force_login(
        account(call.main_caller), backend="wicketgate.accounts.backends.PasswordBackend"
    )
    prisoner_client.force_login(
        world.prisoner_user, backend="wicketgate.accounts.backends.PrisonerPinBackend"
    )
    staff_client = sign_in_staff(Client(), world.clerk_a)
    base = live_server.url
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, args=MEDIA)
        try:
            pages = open_pages(
                browser,
                base,
                family=(family_client, f"/family/calls/{call.pk}/"),
                prisoner=(prisoner_client, f"/portal/calls/{call.pk}/"),
                staff=(staff_client, f"/staff/calls/{call.pk}/"),
            )
            family, prisoner, staff = pages["family"], pages["prisoner"], pages["staff"]
            # The family member sees the prisoner; staff see both, from both rooms.
            wait_until(lambda: videos_decoding(family) == 1, pages=pages)
            wait_until(lambda: videos_decoding(staff) == 2, pages=pages)
            audio = "() => document.querySelectorAll('#remote audio').length"
            wait_until(lambda: prisoner.evaluate(audio) >= 1, 10, pages=pages)
            time.sleep(1.0)
            assert frames(prisoner) == 0
            assert prisoner.evaluate("() => document.querySelectorAll('#remote video').length") == 0
            assert prisoner.evaluate("() => window.WG_CALL.errors") == []
        finally:
            browser.close()
    do_end_call(ended(call.pk), reason="Test over", actor=STAFF, client=janus.client)
    # Recorded as any call: each side's sound and picture, the callers' picture from the
    # pictures room.
    made = do_collect_recordings(ended(call.pk), recordings_folder(janus.setup.folder))
    assert sorted(r.kind for r in made) == ["audio", "audio", "video", "video"]
    assert all(r.size > 1000 for r in made)
    assert any(str(call.pictures_room) in r.path for r in made)

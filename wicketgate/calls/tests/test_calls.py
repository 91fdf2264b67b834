"""A call on the real Janus: the room opens before the start, tokens only in the window and
only for the booked, the call ends at its end time, when staff end it, and within two
seconds of someone on it no longer being allowed."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from wicketgate.audit.models import AuditEvent
from wicketgate.calls.actions import CallError, CallWatcher, do_end_call, do_open_call, join_tokens
from wicketgate.calls.models import ROOM_HIGH, ROOM_LOW, Booking
from wicketgate.calls.tests.conftest import at_the_suite, booked
from wicketgate.contacts.actions import do_add_restriction
from wicketgate.contacts.tests.conftest import STAFF, approved_contact
from wicketgate.gateway.actions import (
    do_close_device_session,
    do_open_device_session,
    do_register_device,
)
from wicketgate.gateway.models import CloseReason, Device, DeviceSession
from wicketgate.policy.engine import Engine
from wicketgate.testing.gateway import wait_for
from wicketgate.testing.janus import RunningJanus, running_janus
from wicketgate.testing.personas import Estate


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJanus]:
    with running_janus(Path(tmp_path_factory.mktemp("janus"))) as running:
        yield running


def join(janus: RunningJanus, tokens: dict[str, Any]) -> int:
    """Join the room as a publisher over the API (what janus.js does before WebRTC)."""
    api, token = tokens["server"], tokens["core_token"]
    session = janus.client.call(api, {"janus": "create"}, token)["data"]["id"]
    handle = janus.client.call(
        f"{api}/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"}, token
    )["data"]["id"]
    janus.client.call(
        f"{api}/{session}/{handle}",
        {
            "janus": "message",
            "body": {
                "request": "join",
                "ptype": "publisher",
                "room": tokens["room"],
                "display": tokens["display"],
                "token": tokens["room_token"],
            },
        },
        token,
    )
    return int(session)


@pytest.mark.django_db
def test_each_call_has_a_room_number_drawn_at_random(estate: Estate) -> None:
    """One call's tokens name its room; they must say nothing of any other call's."""
    first, second = booked(estate), booked(estate, weeks=1)
    rooms = {first.room, second.room}
    assert len(rooms) == 2
    assert all(ROOM_LOW <= room < ROOM_HIGH for room in rooms)
    assert abs(first.room - second.room) > 1_000_000  # not a counter


@pytest.mark.django_db
def test_the_prisoner_joins_only_while_signed_in_on_a_terminal_in_the_calls_suite(
    estate: Estate,
) -> None:
    call = booked(estate, live=True)
    Booking.objects.filter(pk=call.pk).update(room_opened_at=timezone.now())
    client: Any = SimpleNamespace(
        setup=SimpleNamespace(token_secret="s", browser_url="http://j"),
        participants=lambda room: [],  # nobody on the call yet
    )

    def tokens() -> dict[str, Any]:
        return join_tokens(call, engine=Engine(refresh_every=0), client=client, actor=STAFF)

    def refused() -> None:
        with pytest.raises(CallError, match="from the video suite"):
            tokens()

    refused()  # not signed in on any device
    # Signed in on a kiosk on the wing: not the suite.
    kiosk, _key = do_register_device(
        device_id="NGT-KIOSK-9",
        establishment=estate.a,
        location=estate.a_cell,
        kind="kiosk",
        actor=STAFF,
    )
    do_open_device_session(
        prisoner=estate.prisoner_a, device=kiosk, actor=STAFF, address="127.0.0.1"
    )
    refused()
    # On the suite's terminal (which ends the kiosk session: one session a prisoner).
    at_the_suite(estate)
    assert tokens()["display"] == "prisoner"
    # The session ended (signed out, idle, lockdown): refused again.
    session = DeviceSession.objects.live().get(prisoner=estate.prisoner_a)
    do_close_device_session(session, reason=CloseReason.SIGNED_OUT, actor=STAFF)
    refused()
    # A retired terminal lets nobody join from it, even with a session on it left open.
    at_the_suite(estate)
    Device.objects.filter(device_id="NGT-VS1-T1").update(retired_at=timezone.now())
    refused()
    denied = AuditEvent.objects.filter(action="calls.call.join-refused")
    assert denied.count() == 4 and {e.outcome for e in denied} == {"denied"}


def as_caller(janus: RunningJanus, tokens: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A VideoRoom request sent with a caller's own tokens, as their browser could."""
    api, token = tokens["server"], tokens["core_token"]
    session = janus.client.call(api, {"janus": "create"}, token)["data"]["id"]
    handle = janus.client.call(
        f"{api}/{session}", {"janus": "attach", "plugin": "janus.plugin.videoroom"}, token
    )["data"]["id"]
    reply = janus.client.call(
        f"{api}/{session}/{handle}", {"janus": "message", "body": body}, token
    )
    return dict((reply.get("plugindata") or {}).get("data") or {})


@pytest.mark.django_db
def test_a_callers_tokens_cannot_kick_mute_end_or_stop_recording_the_call(
    estate: Estate, janus: RunningJanus
) -> None:
    call = booked(estate)
    do_open_call(call, client=janus.client, now=call.starts_at)
    at_the_suite(estate)
    engine, during = Engine(refresh_every=0), call.starts_at + dt.timedelta(minutes=1)
    family = join_tokens(
        call, engine=engine, client=janus.client, contact=call.main_caller, now=during
    )
    join(janus, family)
    join(
        janus,
        join_tokens(call, engine=engine, client=janus.client, now=during),
    )
    wait_for(lambda: len(janus.client.participants(call.room)) == 2)
    prisoner = next(p for p in janus.client.participants(call.room) if p["display"] == "prisoner")
    room = call.room
    for body in (
        {"request": "kick", "room": room, "id": prisoner["id"]},
        {"request": "kick", "room": room, "id": prisoner["id"], "secret": ""},
        {"request": "moderate", "room": room, "id": prisoner["id"], "mid": "0", "mute": True},
        {"request": "enable_recording", "room": room, "record": False},
        {"request": "edit", "room": room, "new_secret": "mine"},
        {"request": "destroy", "room": room},
    ):
        answer = as_caller(janus, family, body)
        assert "error" in answer, (body, answer)
    assert janus.client.room_exists(room)
    assert len(janus.client.participants(room)) == 2  # nobody was kicked
    ended = do_end_call(call, reason="Test over", actor=STAFF, client=janus.client)
    assert ended.ended_at is not None and not janus.client.room_exists(room)


@pytest.mark.django_db
def test_joining_again_takes_the_place_of_the_earlier_join(
    estate: Estate, janus: RunningJanus
) -> None:
    """A reloaded page or a crashed browser must not leave the room full (one publisher
    place each) until Janus times the old session out."""
    call = booked(estate)
    do_open_call(call, client=janus.client, now=call.starts_at)
    at_the_suite(estate)
    engine, during = Engine(refresh_every=0), call.starts_at + dt.timedelta(minutes=1)
    mother = call.main_caller

    def on_call() -> list[str]:
        return sorted(p["display"] for p in janus.client.participants(call.room))

    def ids() -> set[int]:
        return {int(p["id"]) for p in janus.client.participants(call.room)}

    seen: set[int] = set()
    for _attempt in range(2):  # the first page, then the same person's page reloaded
        join(
            janus, join_tokens(call, engine=engine, client=janus.client, contact=mother, now=during)
        )
        prisoner = join_tokens(call, engine=engine, client=janus.client, now=during)
        join(janus, prisoner)

        def both_on_afresh(before: frozenset[int] = frozenset(seen)) -> bool:
            return len(on_call()) == 2 and not ids() & before

        wait_for(both_on_afresh)
        assert on_call() == [f"contact-{mother.pk}", "prisoner"]
        seen |= ids()
    do_end_call(call, reason="Test over", actor=STAFF, client=janus.client)


@pytest.mark.django_db
def test_the_room_opens_five_minutes_before_and_only_the_booked_may_join(
    estate: Estate, janus: RunningJanus
) -> None:
    call = booked(estate)
    engine = Engine(refresh_every=0)
    early = call.starts_at - dt.timedelta(minutes=6)
    with pytest.raises(CallError, match="opens 5 minutes before its start"):
        do_open_call(call, client=janus.client, now=early)
    opened = do_open_call(call, client=janus.client, now=call.starts_at - dt.timedelta(minutes=5))
    assert janus.client.room_exists(call.room) and opened.recorded
    assert not opened.one_way and opened.rooms == [call.room]  # one room: a two-way call
    with pytest.raises(CallError, match="already open"):
        do_open_call(call, client=janus.client, now=call.starts_at)
    at_the_suite(estate)
    mother = call.main_caller
    with pytest.raises(CallError, match="can be joined from 13:55 until 14:30"):
        join_tokens(call, engine=engine, client=janus.client, contact=mother, now=early)
    stranger = approved_contact(estate.prisoner_a, "FRIEND").contact
    with pytest.raises(CallError, match="not booked on this call"):
        join_tokens(call, engine=engine, client=janus.client, contact=stranger, now=call.starts_at)
    during = call.starts_at + dt.timedelta(minutes=1)
    family = join_tokens(call, engine=engine, client=janus.client, contact=mother, now=during)
    at_the_suite(estate)  # the prisoner is signed in on the suite's terminal
    prisoner = join_tokens(call, engine=engine, client=janus.client, now=during)
    join(janus, family)
    join(janus, prisoner)
    # A room token made for another room does not let anyone in (Janus checks it).
    forged = family["room_token"].replace(f"room={call.room}", "room=1")
    join(janus, {**family, "display": "intruder", "room_token": forged})

    def displays() -> set[str]:
        return {p["display"] for p in janus.client.participants(call.room)}

    wait_for(lambda: len(displays()) >= 2)
    time.sleep(0.3)
    assert displays() == {f"contact-{mother.pk}", "prisoner"}
    joined = {session for session, _handle in janus.client.handles_in(call.room)}
    assert len(joined) == 2
    ended = do_end_call(call, reason="Staff: test over", actor=STAFF, client=janus.client)
    assert not janus.client.room_exists(call.room)
    left = set(janus.client.admin({"janus": "list_sessions"}).get("sessions") or [])
    assert not joined & left  # every session on the call was ended
    assert ended.end_reason == "Staff: test over"
    with pytest.raises(CallError, match="ended"):
        join_tokens(call, engine=engine, client=janus.client, contact=mother, now=during)
    assert list(
        AuditEvent.objects.filter(action__startswith="calls.call.")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["calls.call.open", "calls.call.end"]


@pytest.mark.django_db
def test_a_call_with_a_legal_contact_is_never_recorded(estate: Estate, janus: RunningJanus) -> None:
    call = booked(estate, legal=True)
    assert not do_open_call(call, client=janus.client, now=call.starts_at).recorded
    do_end_call(call, reason="done", actor=STAFF, client=janus.client)


@pytest.mark.django_db
def test_the_watcher_opens_due_rooms_and_ends_calls_at_their_end_time(
    estate: Estate, janus: RunningJanus
) -> None:
    call = booked(estate)
    watcher = CallWatcher(janus.client, Engine(refresh_every=0))
    assert watcher.step(now=call.starts_at - dt.timedelta(minutes=10)) == []
    watcher.step(now=call.starts_at - dt.timedelta(minutes=4))
    call.refresh_from_db()
    assert call.is_live and janus.client.room_exists(call.room)
    assert watcher.step(now=call.ends_at - dt.timedelta(seconds=1)) == []
    [ended] = watcher.step(now=call.ends_at)
    assert ended.end_reason == "The call reached its end time." and ended.ended_by == "calls"
    assert not janus.client.room_exists(call.room)


def test_a_new_ban_ends_a_live_call_within_two_seconds(world: Estate, janus: RunningJanus) -> None:
    call = booked(world)
    watcher = CallWatcher(janus.client, Engine(refresh_every=0), poll=0.25)
    now = timezone.now()
    # The call is live now (opened and ended through the same actions the clock uses).
    Booking.objects.filter(pk=call.pk).update(
        starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(minutes=29)
    )
    call.refresh_from_db()
    do_open_call(call, client=janus.client)
    family = join_tokens(
        call, engine=Engine(refresh_every=0), client=janus.client, contact=call.main_caller
    )
    join(janus, family)
    stopping = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stopping,), daemon=True)
    thread.start()
    try:
        time.sleep(0.6)
        call.refresh_from_db()
        assert call.ended_at is None  # allowed: the call goes on
        link = call.main_caller.links.get(prisoner=world.prisoner_a)
        do_add_restriction(link, code="BAN", reason="Threats on the call", actor=STAFF)
        banned_at = time.monotonic()

        def ended() -> bool:
            try:
                call.refresh_from_db()
            except OperationalError:  # the tests' shared in-memory SQLite: the watcher
                return False  # thread is writing this table right now; look again
            return call.ended_at is not None

        waited = wait_for(ended, seconds=5)
        assert waited < 2.0, f"ended after {waited:.2f} s"
        assert "banned" in call.end_reason and "restriction:ban" in call.end_reason
        assert janus.client.handles_in(call.room) == [] and not janus.client.room_exists(call.room)
        assert time.monotonic() - banned_at < 3
    finally:
        stopping.set()
        thread.join(5)


@pytest.mark.django_db
def test_the_watcher_fails_closed_when_it_cannot_check_the_calls(
    estate: Estate, janus: RunningJanus, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = booked(estate)
    watcher = CallWatcher(janus.client, Engine(refresh_every=0), poll=0.05, grace=0.3)
    watcher.step(now=call.starts_at - dt.timedelta(minutes=4))  # opens the room
    watcher.step(now=call.starts_at)  # a good round: the call is live and allowed
    assert watcher.live_rooms == {call.room} and janus.client.room_exists(call.room)

    def unreachable(now: object = None) -> list[Booking]:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(watcher, "step", unreachable)
    stopping = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stopping,), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: not janus.client.room_exists(call.room), seconds=5) < 2
    finally:
        stopping.set()
        thread.join(5)
    monkeypatch.undo()
    # Back again: the record catches up with what was done in Janus.
    [ended] = watcher.step(now=call.starts_at + dt.timedelta(minutes=1))
    assert ended.pk == call.pk and "failed closed" in ended.end_reason

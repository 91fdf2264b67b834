"""One-way video is kept by Janus, not by the page: a prisoner on a one-way call holds a
token for the call's room alone, where the callers send only their sound; the callers'
pictures go to a room of their own, which that token cannot join.

The hostile client is the prisoner with time on their hands: their real tokens, from the
portal, and Janus's HTTP API spoken directly (as a modified page would), trying every way
to the callers' pictures while a real caller's page (Chromium, fake camera) publishes
them. Every attempt must be refused, and the prisoner must still hear the callers.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import sync_playwright

from wicketgate.calls.actions import (
    CallError,
    do_end_call,
    do_moderate_call,
    do_open_call,
    join_tokens,
    watch_tokens,
)
from wicketgate.calls.janus import VIDEOROOM, JanusClient, sign_token
from wicketgate.calls.models import Booking, CallSettings
from wicketgate.calls.tests.conftest import at_the_suite, booked
from wicketgate.calls.tests.test_call_browser import MEDIA, open_pages, orm, wait_until
from wicketgate.contacts.tests.conftest import STAFF
from wicketgate.contacts.tests.data import account
from wicketgate.people.actions import do_add_alert
from wicketgate.people.models import AlertCode
from wicketgate.policy.engine import Engine
from wicketgate.testing.browser import launch_chromium
from wicketgate.testing.janus import RunningJanus, running_janus
from wicketgate.testing.personas import SETUP, Estate


def one_way(estate: Estate, **options: Any) -> Booking:
    """A call for a prisoner whose alert makes their calls one-way."""
    AlertCode.objects.get_or_create(code="HARASS", defaults={"description": "Harassment"})
    CallSettings.objects.update_or_create(
        establishment=estate.a, defaults={"one_way_alerts": ["HARASS"]}
    )
    do_add_alert(estate.prisoner_a, "HARASS", actor=SETUP)
    return booked(estate, **options)


# --- the rooms and the tokens ----------------------------------------------------------------


@pytest.fixture(scope="module")
def module_janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningJanus]:
    with running_janus(Path(tmp_path_factory.mktemp("janus"))) as running:
        yield running


@pytest.mark.django_db
def test_it_opens_a_pictures_room_that_only_callers_and_staff_hold_a_token_for(
    estate: Estate, module_janus: RunningJanus
) -> None:
    janus = module_janus
    call = one_way(estate)
    opened = do_open_call(call, client=janus.client, now=call.starts_at)
    assert opened.one_way and opened.pictures_room is not None
    pictures = opened.pictures_room
    assert pictures != call.room and janus.client.room_exists(pictures)
    assert janus.client.room_exists(call.room) and opened.rooms == [call.room, pictures]
    at_the_suite(estate)
    engine, during = Engine(refresh_every=0), call.starts_at + dt.timedelta(minutes=1)
    prisoner = join_tokens(call, engine=engine, client=janus.client, now=during)
    family = join_tokens(
        call, engine=engine, client=janus.client, contact=call.main_caller, now=during
    )
    staff = watch_tokens(call, client=janus.client, watcher="7", now=during)
    # Nothing the prisoner is given names the pictures room.
    assert str(pictures) not in json.dumps(prisoner)
    assert "pictures_room" not in prisoner and prisoner["receive_video"] is False
    for tokens in (family, staff):
        assert tokens["pictures_room"] == pictures
        assert tokens["pictures_room_token"].split(":")[0].endswith(f",room={pictures}")
    # Ending the call takes both rooms away.
    do_end_call(call, reason="Test over", actor=STAFF, client=janus.client)
    assert not janus.client.room_exists(call.room) and not janus.client.room_exists(pictures)


@pytest.mark.django_db
def test_staff_pause_a_callers_picture_in_the_pictures_room_and_mute_their_sound_in_the_call(
    estate: Estate,
) -> None:
    call = one_way(estate, live=True)
    Booking.objects.filter(pk=call.pk).update(
        room_opened_at=timezone.now(), one_way=True, pictures_room=42
    )
    caller = f"contact-{call.main_caller.pk}"
    rooms = {
        call.room: [
            {"id": 1, "display": "prisoner", "publisher": True},
            {"id": 2, "display": caller, "publisher": True},
        ],
        42: [{"id": 3, "display": caller, "publisher": True}],
    }
    moderated: list[tuple[int, int, str, bool]] = []
    client: Any = SimpleNamespace(
        participants=lambda room: rooms[room],
        moderate=lambda room, who, mid, *, mute: moderated.append((room, who, mid, mute)),
    )
    for participant, track in ((1, "video"), (1, "audio"), (2, "video"), (2, "audio")):
        do_moderate_call(
            call, participant=participant, track=track, mute=True, actor=STAFF, client=client
        )
    assert moderated == [
        (call.room, 1, "1", True),  # the prisoner's camera, their second track
        (call.room, 1, "0", True),
        (42, 3, "0", True),  # the caller's camera: their only track in the pictures room
        (call.room, 2, "0", True),  # the caller's microphone: their only track in the call's
    ]
    rooms[42] = []
    with pytest.raises(CallError, match="not sending a picture"):
        do_moderate_call(call, participant=2, track="video", mute=True, actor=STAFF, client=client)


# --- the hostile client --------------------------------------------------------------------------


class Hostile:
    """Janus's HTTP API with someone's own tokens, as a modified page would speak it."""

    def __init__(self, client: JanusClient, tokens: dict[str, Any]) -> None:
        self.client = client
        self.api = tokens["server"]
        self.token = tokens["core_token"]
        self.sessions: list[int] = []

    def attach(self) -> tuple[int, int]:
        session = int(self.client.call(self.api, {"janus": "create"}, self.token)["data"]["id"])
        self.sessions.append(session)
        handle = self.client.call(
            f"{self.api}/{session}", {"janus": "attach", "plugin": VIDEOROOM}, self.token
        )["data"]["id"]
        return session, int(handle)

    def ask(self, body: dict[str, Any], on: tuple[int, int] | None = None) -> dict[str, Any]:
        """A VideoRoom request; its answer (``data``, and ``jsep`` if any), waiting for it if
        Janus answers later (joins, subscriptions)."""
        session, handle = on or self.attach()
        reply = self.client.call(
            f"{self.api}/{session}/{handle}", {"janus": "message", "body": body}, self.token
        )
        if reply.get("janus") == "ack":
            reply = self._event(session, reply["transaction"])
        return {
            "data": (reply.get("plugindata") or {}).get("data") or {},
            "jsep": reply.get("jsep"),
        }

    def _event(self, session: int, transaction: str) -> dict[str, Any]:
        query = urllib.parse.urlencode({"token": self.token, "maxev": 10})
        for _poll in range(5):
            with urllib.request.urlopen(  # noqa: S310 - the test's own Janus
                f"{self.api}/{session}?{query}", timeout=35
            ) as response:
                events = json.loads(response.read())
            for event in events if isinstance(events, list) else [events]:
                if event.get("transaction") == transaction:
                    return dict(event)
        raise AssertionError(f"no answer to {transaction}")


UNAUTHORIZED, NO_SUCH_FEED = 433, 428  # the VideoRoom's error codes


def refused(answer: dict[str, Any], code: int = UNAUTHORIZED) -> bool:
    """Refused for ``code``'s reason (not, say, for a malformed request), with no offer."""
    return answer["data"].get("error_code") == code and answer["jsep"] is None


def media_kinds(answer: dict[str, Any]) -> list[str]:
    """The kinds of the m-lines Janus offers a subscriber."""
    sdp = str((answer["jsep"] or {}).get("sdp", ""))
    return [line[2:].split(" ")[0] for line in sdp.splitlines() if line.startswith("m=")]


@pytest.fixture
def janus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningJanus]:
    with running_janus(tmp_path) as running:
        monkeypatch.setattr("wicketgate.calls.views.call.configured", lambda: running.client)
        yield running


@pytest.mark.browser
def test_a_hostile_prisoner_with_their_own_tokens_cannot_get_the_callers_pictures(
    world: Estate, janus: RunningJanus, live_server: Any
) -> None:
    call = one_way(world, live=True)
    at_the_suite(world)
    call = do_open_call(call, client=janus.client)
    pictures = call.pictures_room
    assert call.one_way and pictures is not None
    family_client, prisoner_client = Client(), Client()
    family_client.force_login(
        account(call.main_caller), backend="wicketgate.accounts.backends.PasswordBackend"
    )
    prisoner_client.force_login(
        world.prisoner_user, backend="wicketgate.accounts.backends.PrisonerPinBackend"
    )
    caller = f"contact-{call.main_caller.pk}"
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, args=MEDIA)
        try:
            # The caller's own page: sound to the call's room, picture to the pictures room.
            pages = open_pages(
                browser, live_server.url, family=(family_client, f"/family/calls/{call.pk}/")
            )

            def publishing(room: int) -> list[dict[str, Any]]:
                return [p for p in janus.client.participants(room) if p.get("publisher")]

            wait_until(lambda: publishing(call.room) and publishing(pictures), pages=pages)
            [sound] = publishing(call.room)
            [picture] = publishing(pictures)
            assert sound["display"] == picture["display"] == caller
            # The prisoner's real tokens, from the portal.
            response = orm(lambda: prisoner_client.post(f"/portal/calls/{call.pk}/tokens"))
            assert response.status_code == 200
            tokens = response.json()
            assert str(pictures) not in response.content.decode()
            attempts = hostile_attempts(janus, tokens, call.room, pictures, sound, picture)
            # Staff (and the callers) can subscribe to that very picture: it is real.
            watching = orm(lambda: watch_tokens(call, client=janus.client, watcher="1"))
            staff = Hostile(janus.client, watching)
            seen = staff.ask(
                {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": pictures,
                    "streams": [{"feed": picture["id"]}],
                    "token": watching["pictures_room_token"],
                }
            )
            assert media_kinds(seen) == ["video"], seen["data"]
            # None of the prisoner's sessions has a handle in the pictures room.
            in_pictures = {session for session, _handle in janus.client.handles_in(pictures)}
            assert in_pictures and not in_pictures & set(attempts.sessions)
        finally:
            browser.close()
    do_end_call(
        orm(lambda: Booking.objects.get(pk=call.pk)),
        reason="over",
        actor=STAFF,
        client=janus.client,
    )


def hostile_attempts(
    janus: RunningJanus,
    tokens: dict[str, Any],
    room: int,
    pictures: int,
    sound: dict[str, Any],
    picture: dict[str, Any],
) -> Hostile:
    """Every way the prisoner's tokens might reach the callers' pictures, each refused; and
    the callers' sound, which they may have. ``pictures``, ``picture`` and ``sound`` are
    given as if the prisoner had learned them (guessed, or from a caller)."""
    hostile = Hostile(janus.client, tokens)
    own = tokens["room_token"]
    expires = dt.datetime.fromisoformat(tokens["ends_at"])
    tampered = own.replace(f"room={room}", f"room={pictures}")
    self_signed = sign_token("guessed-secret", VIDEOROOM, [f"room={pictures}"], expires)

    def subscribe(where: int, streams: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        body = {"request": "join", "ptype": "subscriber", "room": where, "streams": streams}
        return hostile.ask({**body, **extra})

    the_picture = [{"feed": picture["id"]}]
    # Into the pictures room, as a subscriber or a publisher, with every token to hand.
    for token in (own, tampered, self_signed, tokens["core_token"], "", None):
        extra = {"token": token} if token is not None else {}
        assert refused(subscribe(pictures, the_picture, **extra)), token
        assert refused(
            hostile.ask(
                {"request": "join", "ptype": "publisher", "room": pictures, "display": "x", **extra}
            )
        ), token
    # Guessing a pin changes nothing (the token is checked first; and there is no pin).
    for pin in ("", "0000", "1234", str(pictures)):
        assert refused(subscribe(pictures, the_picture, token=own, pin=pin))
    # The caller's picture asked for from the prisoner's own room: no such feed there.
    assert refused(subscribe(room, the_picture, token=own), NO_SUCH_FEED)
    assert refused(hostile.ask({"request": "join", "ptype": "subscriber", "room": room,
                                "feed": picture["id"], "token": own}), NO_SUCH_FEED)  # fmt: skip
    # The caller's feed in the prisoner's room carries their sound, and nothing else.
    everything = subscribe(room, [{"feed": sound["id"]}], token=own)
    assert media_kinds(everything) == ["audio"], everything["data"]
    assert refused(subscribe(room, [{"feed": sound["id"], "mid": "1"}], token=own), NO_SUCH_FEED)
    # From a subscription the prisoner holds, add or switch to the picture.
    on = hostile.attach()
    held = hostile.ask(
        {
            "request": "join",
            "ptype": "subscriber",
            "room": room,
            "streams": [{"feed": sound["id"]}],
            "token": own,
        },
        on,
    )
    assert media_kinds(held) == ["audio"]
    for body in (
        {"request": "subscribe", "streams": the_picture},
        {"request": "update", "subscribe": the_picture},
        {"request": "switch", "streams": [{"feed": picture["id"], "mid": "0", "sub_mid": "0"}]},
    ):
        assert refused(hostile.ask(body, on), NO_SUCH_FEED), body
    # The pictures room's settings and forwarders are behind its secret (and admin key),
    # and so is publishing into the prisoner's room from elsewhere.
    guesses = {"secret": "guessed", "admin_key": "guessed"}
    for guarded in (
        {"request": "edit", "room": pictures, "new_secret": "mine"},
        {"request": "edit", "room": pictures, "new_pin": "mine"},
        {"request": "allowed", "room": pictures, "action": "disable"},
        {
            "request": "rtp_forward",
            "room": pictures,
            "publisher_id": picture["id"],
            "host": "10.0.0.9",
            "streams": [{"mid": "0", "port": 5004}],
        },  # fmt: skip
        {
            "request": "publish_remotely",
            "room": pictures,
            "publisher_id": picture["id"],
            "remote_id": "x",
            "host": "10.0.0.9",
            "port": 5004,
        },  # fmt: skip
        {
            "request": "add_remote_publisher",
            "room": room,
            "display": "contact-1",
            "streams": [{"type": "video", "mindex": 0, "mid": "0", "codec": "vp8"}],
        },  # fmt: skip
        {"request": "enable_recording", "room": pictures, "record": False},
        {"request": "kick", "room": pictures, "id": picture["id"]},
        {"request": "destroy", "room": pictures},
    ):
        assert refused(hostile.ask({**guarded, **guesses})), guarded
    # Listing rooms does not show it; the Admin API does not take a call's tokens.
    listed = hostile.ask({"request": "list"})["data"].get("list") or []
    assert pictures not in {entry.get("room") for entry in listed}
    admin = janus.client._post(
        janus.setup.admin_url,
        {"janus": "list_sessions", "transaction": "t", "admin_secret": tokens["core_token"]},
    )
    assert admin["janus"] == "error"
    # Still there, as made: a room the prisoner's tokens cannot join.
    assert janus.client.room_exists(pictures)
    return hostile

"""A booked call from its room opening to its end. Atomic where the database is touched,
audited, and always in step with the policy engine.

- ``do_open_call``: a Janus room for the booking, 5 minutes before the start (two on a
  one-way call: the callers' pictures go to a room the prisoner holds no token for).
- ``join_tokens``: tokens for the prisoner or one of the booked callers, only from 5
  minutes before the start to the end, and only while the engine allows that person.
- ``do_end_call``: the room destroyed and every connection to it hung up (staff, the
  clock, or someone no longer allowed).
- ``CallWatcher``: every half second, ends calls at their end time and any call someone on
  it may no longer take part in (a sanction, a new restriction, a revoked contact).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any

from django.db import close_old_connections, transaction
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.calls.booking import settings_for
from wicketgate.calls.codes import BookingStatus
from wicketgate.calls.janus import JanusClient, JanusError, core_token, room_token
from wicketgate.calls.models import (
    PRISONER_DISPLAY,
    Booking,
    CallNote,
    caller_display,
    new_room,
)
from wicketgate.contacts.codes import LEGAL
from wicketgate.contacts.models import Contact, ContactLink
from wicketgate.gateway.models import DeviceSession
from wicketgate.lib.errors import ActionError
from wicketgate.policy.engine import Engine

log = logging.getLogger(__name__)

JOIN_EARLY = dt.timedelta(minutes=5)
CHANNEL = "video"
CLOCK = Actor.system("calls")


class CallError(ActionError):
    """A call cannot be opened, joined or ended; the message says why, in plain words."""


def do_open_call(
    booking: Booking, *, client: JanusClient, now: dt.datetime | None = None
) -> Booking:
    """Create the booking's Janus room (recorded unless a legal contact is on the call).

    A one-way call has two rooms, and Janus, not the page, keeps the callers' pictures from
    the prisoner: in ``room`` the prisoner publishes sound and picture and the callers
    their sound only; in ``pictures_room`` the callers publish their pictures. Joining
    either (to publish or to receive) needs a token naming it, and a subscription in one
    room can only be to feeds in that room: the prisoner is given a token for ``room``
    alone, the callers and staff for both.
    """
    moment = now or timezone.now()
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status != BookingStatus.BOOKED:
            raise CallError(f"{locked.reference} is cancelled")
        if locked.room_opened_at is not None:
            raise CallError(f"{locked.reference} is already open")
        if not locked.starts_at - JOIN_EARLY <= moment < locked.ends_at:
            raise CallError(f"{locked.reference} opens 5 minutes before its start")
        callers = list(locked.participants.values_list("contact_id", flat=True))
        legal = ContactLink.objects.filter(
            prisoner_id=locked.prisoner_id, contact_id__in=callers, relationship__in=LEGAL
        ).exists()
        # Calls with legal contacts are never recorded (nor watched).
        locked.recorded = not legal
        one_way = set(settings_for(locked.prisoner.establishment_id).one_way_alerts or ())
        # The risk as it stands when the room opens (an alert from today counts, even for
        # a call that started just before midnight).
        in_force = set(
            locked.prisoner.active_alerts(timezone.localdate(moment)).values_list(
                "code__code", flat=True
            )
        )
        locked.one_way = bool(one_way & in_force)
        if locked.one_way and locked.pictures_room is None:
            locked.pictures_room = new_room()
        record_dir = str(client.setup.folder / "recordings") if locked.recorded else ""
        rooms = [(locked.room, locked.reference, len(callers) + 1)]
        if locked.one_way and locked.pictures_room is not None:
            rooms.append((locked.pictures_room, f"{locked.reference} pictures", len(callers)))
        for room, description, publishers in rooms:
            try:
                client.create_room(
                    room, description=description, publishers=publishers, record_dir=record_dir
                )
            except JanusError:
                # Made by an earlier attempt whose transaction did not commit: use it.
                if not client.room_exists(room):
                    raise
        locked.room_opened_at = moment
        locked.save(update_fields=["room_opened_at", "recorded", "one_way", "pictures_room"])
        _record(
            locked,
            "open",
            CLOCK,
            room=locked.room,
            recorded=locked.recorded,
            one_way=locked.one_way,
            **({"pictures_room": locked.pictures_room} if locked.one_way else {}),
        )
    return locked


def join_tokens(
    booking: Booking,
    *,
    engine: Engine,
    client: JanusClient,
    contact: Contact | None = None,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """What a page needs to join: the server, a core token and a room token, valid to the
    end of the call. ``contact`` None means the prisoner, who joins only while signed in on
    a device in the booking's video suite (a secure area): their live device session, the
    one the device opened with its key and their PIN, is on a terminal there. (One session
    a prisoner: while it is on the suite's terminal, no other device of theirs has one.)"""
    moment = now or timezone.now()
    fresh = Booking.objects.select_related("prisoner", "suite").get(pk=booking.pk)
    if fresh.status != BookingStatus.BOOKED or fresh.ended_at is not None:
        raise CallError("This call has ended or was cancelled.")
    opens = timezone.localtime(fresh.starts_at - JOIN_EARLY)
    ends = timezone.localtime(fresh.ends_at)
    if not opens <= moment < ends:
        raise CallError(f"This call can be joined from {opens:%H:%M} until {ends:%H:%M}.")
    if fresh.room_opened_at is None:
        raise CallError("This call is not open yet.")
    callers = list(fresh.participants.values_list("contact_id", flat=True))
    if contact is not None and contact.pk not in callers:
        raise CallError("You are not booked on this call.")
    if contact is None and not _at_suite(fresh):
        record_event(
            "calls.call.join-refused",
            actor=actor or CLOCK,
            subject=fresh.prisoner,
            establishment=fresh.prisoner.establishment,
            outcome=AuditEvent.Outcome.DENIED,
            details={"booking": fresh.pk, "why": "not signed in on a terminal in the suite"},
        )
        raise CallError(
            f"Join this call from the video suite ({fresh.suite.name or fresh.suite.code}): "
            "staff will take you there."
        )
    engine.refresh()
    asked = [contact.pk] if contact is not None else callers
    for contact_id in asked:
        decision = engine.decide_contact(
            fresh.prisoner.prison_number, CHANNEL, str(contact_id), at=moment
        )
        if not decision.allowed:
            raise CallError(" ".join(decision.reasons))
    secret = client.setup.token_secret
    display = PRISONER_DISPLAY if contact is None else caller_display(contact.pk)
    # On a one-way call the prisoner is told neither the callers' pictures' room nor given
    # a token for it: Janus refuses them there, whatever their page asks.
    pictures = fresh.pictures_room if fresh.one_way and contact is not None else None
    _clear_earlier_join(client, [fresh.room] + ([pictures] if pictures else []), display)
    return {
        "server": client.setup.browser_url,
        "room": fresh.room,
        "display": display,
        "core_token": core_token(secret, fresh.ends_at, booking=fresh.pk),
        "room_token": room_token(secret, fresh.room, fresh.ends_at),
        **_pictures_tokens(client, pictures, fresh.ends_at),
        "ends_at": fresh.ends_at.isoformat(),
        # One-way calls: the prisoner's page asks only for the callers' sound (their
        # pictures are not in its room anyway).
        "receive_video": not (contact is None and fresh.one_way),
    }


def _pictures_tokens(client: JanusClient, room: int | None, ends: dt.datetime) -> dict[str, Any]:
    """A one-way call's pictures room, for the callers (who publish their pictures there)
    and staff; nothing for anyone else."""
    if room is None:
        return {}
    return {
        "pictures_room": room,
        "pictures_room_token": room_token(client.setup.token_secret, room, ends),
    }


def _clear_earlier_join(client: JanusClient, rooms: list[int], display: str) -> None:
    """Someone asking to join again (a page reloaded, a browser that crashed) takes the place
    of their earlier join, which Janus would otherwise keep until its session times out,
    the room full meanwhile (it has a publisher place for each person booked)."""
    try:
        for room in rooms:
            earlier = [p for p in client.participants(room) if p.get("display") == display]
            for participant in earlier:
                client.kick(room, int(participant["id"]))
    except JanusError as exc:
        raise CallError(f"The call service cannot be reached: {exc}") from exc


def _at_suite(booking: Booking) -> bool:
    """Whether the prisoner's device session, live now, is on an active device in the call's
    suite."""
    return (
        DeviceSession.objects.live()
        .filter(
            prisoner_id=booking.prisoner_id,
            device__location_id=booking.suite_id,
            device__retired_at__isnull=True,
        )
        .exists()
    )


def watch_tokens(
    booking: Booking, *, client: JanusClient, watcher: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Tokens for a member of staff to watch (subscribe only, never seen: they never publish).
    Calls with legal contacts are never watched."""
    moment = now or timezone.now()
    fresh = Booking.objects.get(pk=booking.pk)
    if not fresh.is_live or moment >= fresh.ends_at:
        raise CallError("This call is not live.")
    if not fresh.recorded:
        raise CallError("Calls with legal advisers are privileged: they are never watched.")
    secret = client.setup.token_secret
    return {
        "server": client.setup.browser_url,
        "room": fresh.room,
        "display": f"staff-{watcher}",
        "core_token": core_token(secret, fresh.ends_at, booking=fresh.pk),
        "room_token": room_token(secret, fresh.room, fresh.ends_at),
        **_pictures_tokens(client, fresh.pictures_room if fresh.one_way else None, fresh.ends_at),
        "ends_at": fresh.ends_at.isoformat(),
    }


def do_end_call(booking: Booking, *, reason: str, actor: Actor, client: JanusClient) -> Booking:
    """Destroy the call's rooms and hang up everyone on them (media stops within a fraction
    of a second).

    Janus first, outside any transaction (hanging up takes most of a second, and no
    database lock is held over a network call); then the record, under its lock. Should the
    record fail after the room is gone, the call has stopped all the same (fail closed),
    and the watcher records it at its end time.
    """
    if not reason.strip():
        raise CallError("say why the call is ended", field="reason")
    fresh = Booking.objects.get(pk=booking.pk)
    if fresh.room_opened_at is None or fresh.ended_at is not None:
        raise CallError(f"{fresh.reference} is not live")
    sessions = client.kick_all(*fresh.rooms)
    with transaction.atomic():
        locked = _locked(booking)
        if locked.ended_at is not None:  # ended meanwhile, by someone else
            return locked
        locked.ended_at = timezone.now()
        locked.ended_by = actor.label
        locked.end_reason = reason.strip()[:300]
        locked.save(update_fields=["ended_at", "ended_by", "end_reason"])
        _record(locked, "end", actor, reason=locked.end_reason, sessions_ended=len(sessions))
    return locked


TRACKS = {"audio": "0", "video": "1"}  # the call page publishes audio, then video
# A caller on a one-way call publishes their sound alone to the call's room and their
# picture alone to the pictures room: each the only track there, mid 0.
ONE_TRACK = "0"


def do_moderate_call(
    booking: Booking,
    *,
    participant: int,
    track: str,
    mute: bool,
    actor: Actor,
    client: JanusClient,
) -> None:
    """Staff mute someone's microphone or pause their camera on a live call (or undo it).

    ``participant`` is their id in the call's room (as the staff page lists them); on a
    one-way call a caller's camera is their publisher of the same name in the pictures
    room."""
    if track not in TRACKS:
        raise CallError("expected audio or video", field="track", subject=f"{track!r}")
    fresh = Booking.objects.select_related("prisoner__establishment").get(pk=booking.pk)
    if not fresh.is_live:
        raise CallError(f"{fresh.reference} is not live")
    on_call = {int(p["id"]): p.get("display", "") for p in client.participants(fresh.room)}
    if participant not in on_call:
        raise CallError("That person is not on the call any more.")
    who = on_call[participant]
    if not fresh.one_way or who == PRISONER_DISPLAY:
        client.moderate(fresh.room, participant, TRACKS[track], mute=mute)
    elif track == "audio":
        client.moderate(fresh.room, participant, ONE_TRACK, mute=mute)
    else:
        pictures = fresh.pictures_room
        cameras = [
            int(p["id"])
            for p in (client.participants(pictures) if pictures is not None else [])
            if p.get("display") == who and p.get("publisher")
        ]
        if not cameras:
            raise CallError("That person is not sending a picture.")
        for camera in cameras:
            client.moderate(int(pictures or 0), camera, ONE_TRACK, mute=mute)
    _record(
        fresh,
        "moderate",
        actor,
        who=on_call[participant],
        track=track,
        mute=mute,
    )


def do_add_call_note(booking: Booking, *, text: str, actor: Actor) -> CallNote:
    if not text.strip():
        raise CallError("write something", field="note")
    with transaction.atomic():
        fresh = Booking.objects.select_related("prisoner__establishment").get(pk=booking.pk)
        note = CallNote.objects.create(
            booking=fresh, written_by=actor.label, text=text.strip()[:5000]
        )
        _record(fresh, "note", actor, note=note.pk)
    return note


class CallWatcher:
    """Keeps live calls in step with the clock and the policy engine.

    Fails closed: if it cannot complete a round (database or policy unreachable) for
    ``grace`` seconds, nothing says the calls are still allowed, so it ends every call it
    last knew to be live, in Janus directly; the record catches up once the database is
    back (the next good round finds those calls' rooms gone and ends them there too).
    """

    def __init__(
        self, client: JanusClient, engine: Engine, *, poll: float = 0.5, grace: float = 5.0
    ) -> None:
        self.client = client
        self.engine = engine
        self.poll = poll
        self.grace = grace
        self.live_rooms: set[int] = set()  # as of the last good round
        self.closed_blind: set[int] = set()  # ended in Janus while the record could not be

    def step(self, now: dt.datetime | None = None) -> list[Booking]:
        """Open rooms that are due, end calls that must end; returns the calls ended."""
        moment = now or timezone.now()
        self.engine.refresh()
        for due in Booking.objects.filter(
            status=BookingStatus.BOOKED,
            room_opened_at__isnull=True,
            starts_at__lte=moment + JOIN_EARLY,
            ends_at__gt=moment,
        ):
            do_open_call(due, client=self.client, now=moment)
        ended = []
        still: set[int] = set()
        for live in Booking.objects.filter(
            room_opened_at__isnull=False, ended_at__isnull=True
        ).select_related("prisoner"):
            reason = self._why_end(live, moment)
            if self.closed_blind & set(live.rooms):
                reason = "Ended when its checks could not be made (the call watcher failed closed)."
            if reason is not None:
                ended.append(do_end_call(live, reason=reason, actor=CLOCK, client=self.client))
            else:
                still.update(live.rooms)
        self.live_rooms = still
        self.closed_blind.clear()
        return ended

    def _why_end(self, call: Booking, moment: dt.datetime) -> str | None:
        if call.status != BookingStatus.BOOKED:
            return "The booking was cancelled."
        if moment >= call.ends_at:
            return "The call reached its end time."
        for contact_id in call.participants.values_list("contact_id", flat=True):
            decision = self.engine.decide_contact(
                call.prisoner.prison_number, CHANNEL, str(contact_id), at=moment
            )
            if not decision.allowed:
                return f"Not allowed any more: {' '.join(decision.reasons)} ({', '.join(decision.rules)})"
        return None

    def run(self, stopping: threading.Event) -> None:
        last_good = time.monotonic()
        while not stopping.is_set():
            try:
                close_old_connections()
                self.step()
                last_good = time.monotonic()
            except Exception:  # a failed round is retried on the next; it must not stop
                log.exception("calls: the watcher's round failed")
                if time.monotonic() - last_good >= self.grace and self.live_rooms:
                    self.fail_closed()
            stopping.wait(self.poll)

    def fail_closed(self) -> None:
        """End, in Janus, every call the watcher can no longer vouch for."""
        for room in sorted(self.live_rooms):
            try:
                self.client.kick_all(room)
                self.live_rooms.discard(room)
                self.closed_blind.add(room)
                log.error(
                    "calls: ended room %s: the watcher could not check it for %s s",
                    room,
                    self.grace,
                )
            except JanusError:
                log.exception("calls: could not end room %s", room)


def _locked(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("prisoner__establishment")
        .get(pk=booking.pk)
    )


def _record(booking: Booking, verb: str, actor: Actor, **details: Any) -> None:
    record_event(
        f"calls.call.{verb}",
        actor=actor,
        subject=booking.prisoner,
        establishment=booking.prisoner.establishment,
        details={"booking": booking.pk, **details},
    )

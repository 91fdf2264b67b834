"""Janus's events into the audit log: who joined and left each call, when media came up,
when connections were hung up.

Janus's sample event handler posts JSON arrays of events to a URL whose last part is a key
only Janus is given (it is in Janus's configuration, made by ``calls.janus``). Plugin
events carry the room, which names the booking; WebRTC events carry the ``opaque_id``
the call page gives each handle (``wg-<room>-<who>``). Everything else (ICE details,
stats, transport) is left out: the audit log records what happened on a call, not how
the packets went.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from wicketgate.audit.log import Actor, PendingEvent, append_events
from wicketgate.calls.janus import configured
from wicketgate.calls.models import Booking

JANUS = Actor.system("janus")
PLUGIN_EVENTS = {"joined", "published", "unpublished", "leaving", "kicked", "destroyed"}
WEBRTC_EVENTS = {"webrtcup", "hangup"}


@csrf_exempt
@require_POST
def janus_events(request: HttpRequest, key: str) -> HttpResponse:
    expected = configured().setup.events_key
    if not expected or not hmac.compare_digest(key, expected):
        raise Http404
    try:
        posted = json.loads(request.body)
    except ValueError:
        return HttpResponse(status=400)
    record_janus_events(posted if isinstance(posted, list) else [posted])
    return HttpResponse(status=204)


def record_janus_events(events: list[dict[str, Any]]) -> int:
    """The events worth keeping, one audit event each; returns how many."""
    found: list[tuple[int, str, dict[str, Any], dt.datetime]] = []
    for event in events:
        what = _what(event)
        if what is not None:
            room, name, details = what
            at = dt.datetime.fromtimestamp(int(event.get("timestamp", 0)) / 1e6, dt.UTC)
            found.append((room, name, details, at))
    if not found:
        return 0
    rooms = {room for room, *_ in found}
    bookings = {
        room: booking
        for booking in Booking.objects.filter(
            Q(room__in=rooms) | Q(pictures_room__in=rooms)
        ).select_related("prisoner")
        for room in booking.rooms
    }
    pending = [
        PendingEvent(
            action=f"calls.janus.{name}",
            actor=JANUS,
            occurred_at=at,
            subject_kind="people.prisoner",
            subject_id=str(bookings[room].prisoner_id),
            subject_label=bookings[room].prisoner.prison_number,
            establishment_id=bookings[room].prisoner.establishment_id,
            details={"booking": bookings[room].pk, "room": room, **details},
        )
        for room, name, details, at in found
        if room in bookings
    ]
    if pending:
        append_events(pending)
    return len(pending)


def _what(event: dict[str, Any]) -> tuple[int, str, dict[str, Any]] | None:
    body = event.get("event")
    if not isinstance(body, dict):
        return None
    if event.get("type") == 64:
        data = body.get("data") or {}
        name = data.get("event") or data.get("videoroom")
        room = data.get("room")
        if name in PLUGIN_EVENTS and isinstance(room, int):
            details = {k: data[k] for k in ("display", "id", "reason") if k in data}
            return room, str(name), details
    if event.get("type") == 16:
        name = body.get("connection")
        room, who = _opaque(str(event.get("opaque_id") or ""))
        if name in WEBRTC_EVENTS and room is not None:
            details = {"who": who, **({"reason": body["reason"]} if "reason" in body else {})}
            return room, str(name), details
    return None


def _opaque(opaque: str) -> tuple[int | None, str]:
    """``wg-<room>-<who>`` as the call page names its handles."""
    parts = opaque.split("-", 2)
    if len(parts) == 3 and parts[0] == "wg" and parts[1].isdigit():
        return int(parts[1]), parts[2]
    return None, ""

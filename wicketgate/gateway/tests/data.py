"""Web gateway records for the page tests: devices, sessions, lockdowns, logged requests.

Requests reach the audit log as they do in production: as lines of Squid's access log
(``logformat wicketgate``), read by ``accesslog``, with the access helper's note.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wicketgate.audit.log import append_events
from wicketgate.estate.models import Location
from wicketgate.gateway.accesslog import parse_line, to_events
from wicketgate.gateway.actions import do_open_device_session, do_register_device, do_start_lockdown
from wicketgate.gateway.gatekeeper import Answer, log_note
from wicketgate.gateway.models import Device, DeviceSession, Lockdown
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import SETUP, Estate

LAPTOP = "NGT-A-LAPTOP-01"


def device(
    estate: Estate, device_id: str = LAPTOP, location: Location | None = None, kind: str = "laptop"
) -> Device:
    """A laptop at A (in the prisoner's cell unless told): the same one, however often asked."""
    found = Device.objects.filter(device_id=device_id).first()
    if found is not None:
        return found
    return do_register_device(
        device_id=device_id,
        establishment=estate.a,
        location=location or estate.a_cell,
        kind=kind,
        actor=SETUP,
    )[0]


def live_session(
    estate: Estate, prisoner: Prisoner | None = None, on: Device | None = None
) -> DeviceSession:
    """The prisoner at A online on the laptop (or ``prisoner`` on ``on``), however often asked."""
    prisoner = prisoner or estate.prisoner_a
    found = DeviceSession.objects.live().filter(prisoner=prisoner).first()
    if found is not None:
        return found
    return do_open_device_session(
        prisoner=prisoner, device=on or device(estate), actor=SETUP, address="127.0.0.1"
    )[0]


def lockdown(estate: Estate, wing: Location | None = None) -> Lockdown:
    """A lockdown in force at A (of ``wing``, or all of it): the same one, however often asked."""
    found = Lockdown.objects.in_force().filter(establishment=estate.a, wing=wing).first()
    if found is not None:
        return found
    return do_start_lockdown(
        establishment=estate.a, wing=wing, reason="Search of the wing", actor=SETUP
    )[0]


def log_request(
    session: DeviceSession,
    url: str,
    *,
    allowed: bool,
    reasons: tuple[str, ...] = (),
    rules: tuple[str, ...] = ("catalogue",),
    at: dt.datetime | None = None,
    bytes_out: int = 5120,
    duration_ms: int = 240,
) -> None:
    """One request through the gateway in ``session``, as the access log tailer writes it.

    ``url`` is an address for plain HTTP, or ``host:443`` for an HTTPS connection.
    """
    method = "GET" if "://" in url else "CONNECT"
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    note = log_note(Answer(allowed, rules, reasons, host=host, version=7))
    status = 200 if allowed else 403
    stamp = (at or timezone.now()).timestamp()
    sni = host if method == "CONNECT" else "-"
    line = (
        f"{stamp:.3f} {duration_ms} 10.20.1.42 {session.username} {method} {url} {status} "
        f"310 {bytes_out if allowed else 0} TCP_MISS {sni} {note}"
    )
    append_events(to_events([parse_line(line)]))

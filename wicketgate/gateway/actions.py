"""State changes of the web gateway: devices, device sessions, lockdowns. Atomic, audited."""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.conduct.codes import Service
from wicketgate.conduct.models import Sanction
from wicketgate.estate.codes import LocationKind
from wicketgate.estate.models import Establishment, Location
from wicketgate.gateway.models import (
    CloseReason,
    Device,
    DeviceKind,
    DeviceSession,
    Lockdown,
    hash_secret,
    new_secret,
)
from wicketgate.lib.errors import ActionError
from wicketgate.people.models import Prisoner


class GatewayError(ActionError):
    """A gateway change that cannot be made; the message says why, in plain words."""


# --- devices -------------------------------------------------------------------------------


def do_register_device(
    *,
    device_id: str,
    establishment: Establishment,
    location: Location,
    kind: str,
    actor: Actor,
    address: str | None = None,
) -> tuple[Device, str]:
    """Register a device; returns it and its key (shown once: its agent signs in with it)."""
    device_id = device_id.strip().upper()
    if (
        not device_id
        or len(device_id) > 40
        or not all(c.isalnum() or c in "-_." for c in device_id)
    ):
        raise GatewayError(
            "use 1 to 40 letters, digits, dots, dashes or underscores",
            field="device",
            subject=f"id {device_id!r}",
        )
    if kind not in DeviceKind.values:
        raise GatewayError(
            f"expected one of {', '.join(DeviceKind.values)}", field="kind", subject=f"{kind!r}"
        )
    if location.establishment_id != establishment.pk:
        raise GatewayError(f"location {location.code} is not at {establishment.code}")
    if kind == DeviceKind.PHONE and not address:
        raise GatewayError(
            "a phone handset is bound to its address: give its IP address",
            field="address",
            subject=f"device {device_id}",
        )
    # Wing phones hang on the wing or a landing; other devices are in a room.
    if kind != DeviceKind.PHONE and location.kind in (LocationKind.WING, LocationKind.LANDING):
        raise GatewayError(
            "register the device in a cell, "
            "kiosk area, education room, library, workshop or video suite",
            field="location",
            subject=f"{location.code} is a {location.kind.lower()}",
        )
    if address:
        try:
            address = _plain(address.strip())  # as Squid writes a client's: never ::ffff:a.b.c.d
        except ValueError:
            raise GatewayError(
                "not an IP address", field="address", subject=f"{address!r}"
            ) from None
    key = new_secret()
    with transaction.atomic():
        if Device.objects.filter(device_id=device_id).exists():
            raise GatewayError(f"device {device_id} is already registered")
        device = Device.objects.create(
            device_id=device_id,
            establishment=establishment,
            location=location,
            kind=kind,
            address=address or None,
            key_hash=hash_secret(key),
        )
        record_event(
            "gateway.device.register",
            actor=actor,
            subject=device,
            establishment=establishment,
            details={
                "device": device_id,
                "kind": kind,
                "location": location.code,
                "address": address,
            },
        )
    return device, key


def do_retire_device(device: Device, *, actor: Actor) -> None:
    with transaction.atomic():
        locked = Device.objects.select_for_update().get(pk=device.pk)
        if locked.retired_at is not None:
            raise GatewayError(f"device {locked.device_id} is already retired")
        _close_open_sessions(
            DeviceSession.objects.filter(device=locked), CloseReason.DEVICE_RETIRED, actor
        )
        locked.retired_at = timezone.now()
        locked.save(update_fields=["retired_at"])
        record_event(
            "gateway.device.retire",
            actor=actor,
            subject=locked,
            establishment=locked.establishment,
            details={"device": locked.device_id},
        )
    device.retired_at = locked.retired_at


def device_by_key(device_id: str, key: str) -> Device | None:
    """The active device whose id and key these are, else None."""
    device = Device.objects.filter(
        device_id=device_id.strip().upper(), retired_at__isnull=True
    ).first()
    if device is None:
        return None
    return device if hmac.compare_digest(device.key_hash, hash_secret(key)) else None


# --- sessions ------------------------------------------------------------------------------


def do_open_device_session(
    *,
    prisoner: Prisoner,
    device: Device,
    actor: Actor,
    address: str | None = None,
    at: dt.datetime | None = None,
) -> tuple[DeviceSession, str]:
    """Open a session for ``prisoner`` on ``device``; returns it and its proxy password.

    The session is bound to the address the device signed in from (``address``; for a
    device registered with an address, that one, and a sign-in from any other is
    refused): the gateway serves its credentials to no other. One session per device
    and one per prisoner: an earlier open one is closed first (signing in elsewhere
    signs you out here).
    """
    now = at or timezone.now()
    with transaction.atomic():
        device = (
            Device.objects.select_for_update()
            .select_related("location", "establishment")
            .get(pk=device.pk)
        )
        if device.retired_at is not None:
            raise GatewayError(f"device {device.device_id} is retired")
        if device.kind == DeviceKind.PHONE:
            raise GatewayError(f"device {device.device_id} is a phone handset: it does not browse")
        if prisoner.establishment_id != device.establishment_id:
            raise GatewayError(
                f"{prisoner.prison_number} is not held at {device.establishment.code}, where device "
                f"{device.device_id} is"
            )
        barred = (
            Sanction.objects.filter(prisoner=prisoner, service=Service.DEVICE)
            .in_force(now)
            .order_by("-ends_at")
            .first()
        )
        if barred is not None:
            raise GatewayError(
                f"{prisoner.prison_number} has lost the use of devices until "
                f"{timezone.localtime(barred.ends_at):%-d %B %Y %H:%M} ({barred.reference}: "
                f"{barred.reason})"
            )
        lockdown = lockdown_covering(device.location, at=now)
        if lockdown is not None:
            raise GatewayError(
                f"{lockdown}: no new sessions until it is lifted ({lockdown.reason})"
            )
        bound = _bound_address(device, address)
        _close_open_sessions(
            DeviceSession.objects.filter(Q(device=device) | Q(prisoner=prisoner)),
            CloseReason.REPLACED,
            actor,
        )
        username, password = DeviceSession.new_credentials()
        idle = settings.WICKETGATE_GATEWAY_IDLE_MINUTES * 60
        session = DeviceSession.objects.create(
            prisoner=prisoner,
            device=device,
            location=device.location,
            username=username,
            password_hash=hash_secret(password),
            address=bound,
            opened_at=now,
            ends_by=now + dt.timedelta(minutes=settings.WICKETGATE_GATEWAY_MAX_MINUTES),
            idle_seconds=idle,
            last_seen_at=now,
            idle_until=now + dt.timedelta(seconds=idle),
        )
        record_event(
            "gateway.session.open",
            actor=actor,
            subject=prisoner,
            establishment=device.establishment,
            details={
                "session": username,
                "device": device.device_id,
                "address": bound,
                "location": device.location.code,
                "ends_by": session.ends_by.isoformat(),
            },
        )
    return session, password


def _bound_address(device: Device, address: str | None) -> str:
    """The address a session on ``device`` signed in from ``address`` is bound to."""
    given = None
    if address:
        try:
            given = _plain(address.strip())
        except ValueError:
            raise GatewayError(
                "not an IP address", field="address", subject=f"{address!r}"
            ) from None
    registered = _plain(device.address) if device.address else None
    if registered and given and given != registered:
        raise GatewayError(
            f"a sign-in from {given} is not its",
            field="device",
            subject=f"{device.device_id} is registered at {registered}",
        )
    bound = registered or given
    if bound is None:
        raise GatewayError(
            "give the address it signs in from (a session is served to that address only)",
            field="device",
            subject=f"{device.device_id} has no registered address",
        )
    return bound


def _plain(address: str) -> str:
    """An address as Squid writes a client's (an IPv4 one never as ::ffff:a.b.c.d)."""
    parsed = ipaddress.ip_address(address)
    mapped = getattr(parsed, "ipv4_mapped", None)
    return str(mapped or parsed)


def do_close_device_session(
    session: DeviceSession, *, reason: str, actor: Actor, note: str = ""
) -> bool:
    """Close the session if it is still open; returns whether this call closed it."""
    if reason not in CloseReason.values:
        raise GatewayError(
            f"expected one of {', '.join(CloseReason.values)}",
            field="reason",
            subject=f"{reason!r}",
        )
    with transaction.atomic():
        closed = _close_open_sessions(
            DeviceSession.objects.filter(pk=session.pk), reason, actor, note=note
        )
    return bool(closed)


def do_close_expired_sessions(*, at: dt.datetime | None = None) -> int:
    """Close sessions past their maximum length or idle time (the gateway already refuses them)."""
    now = at or timezone.now()
    expired = DeviceSession.objects.filter(closed_at__isnull=True).filter(
        Q(ends_by__lte=now) | Q(idle_until__lte=now)
    )
    count = 0
    for session in expired.select_related("device")[:5000]:
        reason = CloseReason.MAX_LENGTH if session.ends_by <= now else CloseReason.IDLE
        with transaction.atomic():
            count += len(
                _close_open_sessions(
                    DeviceSession.objects.filter(pk=session.pk), reason, Actor.system("gateway")
                )
            )
    return count


def _close_open_sessions(
    sessions: Any, reason: str, actor: Actor, *, note: str = ""
) -> list[DeviceSession]:
    """Close every open session in ``sessions`` (inside the caller's transaction)."""
    now = timezone.now()
    closed = list(
        sessions.select_for_update()
        .filter(closed_at__isnull=True)
        .select_related("prisoner", "device__establishment", "location")
    )
    for session in closed:
        session.closed_at = now
        session.close_reason = reason
        session.save(update_fields=["closed_at", "close_reason"])
        record_event(
            "gateway.session.close",
            actor=actor,
            subject=session.prisoner,
            establishment=session.device.establishment,
            details={
                "session": session.username,
                "device": session.device.device_id,
                "reason": reason,
                **({"note": note} if note else {}),
            },
        )
    return closed


# --- lockdowns ---------------------------------------------------------------------------


def lockdown_covering(location: Location, *, at: dt.datetime | None = None) -> Lockdown | None:
    """The lockdown in force over ``location`` (its wing's, or its establishment's), if any."""
    wing = location.wing()
    return (
        Lockdown.objects.in_force()
        .filter(establishment_id=location.establishment_id)
        .filter(Q(wing__isnull=True) | Q(wing=wing))
        .select_related("establishment", "wing")
        .first()
    )


def do_start_lockdown(
    *,
    establishment: Establishment,
    reason: str,
    actor: Actor,
    wing: Location | None = None,
) -> tuple[Lockdown, int]:
    """Lock down a wing or the whole establishment: end its sessions, refuse new ones.

    Returns the lockdown and how many sessions it ended.
    """
    reason = reason.strip()
    if not reason:
        raise GatewayError("give a reason for the lockdown")
    if wing is not None and (
        wing.establishment_id != establishment.pk or wing.kind != LocationKind.WING
    ):
        raise GatewayError(f"{wing.code} is not a wing of {establishment.code}")
    with transaction.atomic():
        Establishment.objects.select_for_update().get(pk=establishment.pk)
        existing = Lockdown.objects.in_force().filter(establishment=establishment)
        if existing.filter(Q(wing__isnull=True) | Q(wing=wing)).exists():
            raise GatewayError("a lockdown already covers that")
        lockdown = Lockdown.objects.create(
            establishment=establishment,
            wing=wing,
            reason=reason,
            started_by=actor.label,
        )
        sessions = DeviceSession.objects.filter(device__establishment=establishment)
        if wing is not None:
            sessions = sessions.filter(location__in=_locations_under(wing))
        ended = _close_open_sessions(sessions, CloseReason.LOCKDOWN, actor, note=reason)
        record_event(
            "gateway.lockdown.start",
            actor=actor,
            subject=lockdown,
            establishment=establishment,
            details={
                "wing": wing.code if wing is not None else None,
                "reason": reason,
                "sessions_ended": len(ended),
            },
        )
    return lockdown, len(ended)


def do_end_lockdown(lockdown: Lockdown, *, actor: Actor) -> None:
    with transaction.atomic():
        locked = Lockdown.objects.select_for_update().get(pk=lockdown.pk)
        if locked.ended_at is not None:
            raise GatewayError("that lockdown has already been lifted")
        locked.ended_at = timezone.now()
        locked.ended_by = actor.label
        locked.save(update_fields=["ended_at", "ended_by"])
        record_event(
            "gateway.lockdown.end",
            actor=actor,
            subject=locked,
            establishment=locked.establishment,
            details={"wing": locked.wing.code if locked.wing is not None else None},
        )
    lockdown.ended_at = locked.ended_at


def _locations_under(root: Location) -> list[int]:
    ids, frontier = [root.pk], [root.pk]
    while frontier:
        frontier = list(
            Location.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        ids.extend(frontier)
    return ids

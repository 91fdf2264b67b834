"""Devices on the prison network, the prisoners' sessions on them, and lockdowns.

A device session is the only thing that lets traffic through the gateway: its proxy
credentials identify one prisoner on one device in one location, until it is closed,
sits idle too long or reaches its maximum length. Only a hash of the proxy password is
stored; the password itself is shown once, to the device that opened the session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import models
from django.utils import timezone

from wicketgate.accounts.scoping import ScopedQuerySet


class DeviceKind(models.TextChoices):
    LAPTOP = "laptop", "In-cell laptop"
    KIOSK = "kiosk", "Wing kiosk"
    PC = "pc", "Education-room PC"
    SUITE = "suite", "Video-suite terminal"  # the prisoner joins video calls from it
    # An in-cell or wing phone, or a softphone: places calls through Kamailio, never browses.
    PHONE = "phone", "Phone handset"


class CloseReason(models.TextChoices):
    SIGNED_OUT = "signed_out", "Signed out"
    ENDED_BY_STAFF = "ended_by_staff", "Ended by staff"
    IDLE = "idle", "Idle too long"
    MAX_LENGTH = "max_length", "Reached its maximum length"
    LOCKDOWN = "lockdown", "Lockdown"
    REPLACED = "replaced", "Replaced by a new session on the device"
    DEVICE_RETIRED = "device_retired", "Device retired"
    MOVED = "moved", "Prisoner moved"


def hash_secret(secret: str) -> str:
    # The secrets are 192-bit random tokens: a fast hash is enough, and the gateway checks
    # them on the request path.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(24)


class DeviceQuerySet(ScopedQuerySet["Device"]):
    pass


class Device(models.Model):
    device_id = models.CharField(
        max_length=40, unique=True, help_text="Asset tag or host name, e.g. NGT-A-LAPTOP-0142"
    )
    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="devices"
    )
    location = models.ForeignKey(
        "estate.Location", on_delete=models.PROTECT, related_name="devices"
    )
    kind = models.CharField(max_length=10, choices=DeviceKind.choices)
    address = models.GenericIPAddressField(
        null=True,
        blank=True,
        help_text="If set, the gateway only accepts this device's sessions from it",
    )
    key_hash = models.CharField(
        max_length=64, help_text="Hash of the device key its agent signs in with"
    )
    registered_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        ordering = ["device_id"]

    def __str__(self) -> str:
        return self.device_id

    @property
    def active(self) -> bool:
        return self.retired_at is None


class DeviceSessionQuerySet(ScopedQuerySet["DeviceSession"]):
    establishment_field = "device__establishment"

    def live(self, at: dt.datetime | None = None) -> DeviceSessionQuerySet:
        """Open, not past their maximum length and not idle too long, at ``at``."""
        now = at or timezone.now()
        return self.filter(closed_at__isnull=True, ends_by__gt=now, idle_until__gt=now)


class DeviceSession(models.Model):
    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.PROTECT, related_name="device_sessions"
    )
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="sessions")
    location = models.ForeignKey(
        "estate.Location",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where the device was",
    )
    username = models.CharField(max_length=40, unique=True)
    password_hash = models.CharField(max_length=64)
    address = models.GenericIPAddressField(
        null=True,
        help_text=(
            "The address the device signed in from (its registered one, if it has one): "
            "the gateway refuses the session's credentials from anywhere else"
        ),
    )
    opened_at = models.DateTimeField(default=timezone.now)
    ends_by = models.DateTimeField(
        help_text="The maximum length: closed at this moment at the latest"
    )
    idle_seconds = models.PositiveIntegerField()
    last_seen_at = models.DateTimeField(default=timezone.now)
    # last_seen_at + idle_seconds, kept with it so that "live" is one indexed comparison.
    idle_until = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)

    objects = DeviceSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["closed_at", "ends_by"]),
            models.Index(fields=["prisoner", "opened_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.prisoner_id} on {self.device_id})"

    def is_live(self, at: dt.datetime | None = None) -> bool:
        now = at or timezone.now()
        return self.closed_at is None and now < self.ends_by and now < self.idle_until

    @staticmethod
    def new_credentials() -> tuple[str, str]:
        return f"wg{secrets.token_hex(6)}", new_secret()


class LockdownQuerySet(ScopedQuerySet["Lockdown"]):
    def in_force(self) -> LockdownQuerySet:
        return self.filter(ended_at__isnull=True)


class Lockdown(models.Model):
    """No device sessions at an establishment, or on one wing of it, until lifted."""

    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="lockdowns"
    )
    wing = models.ForeignKey(
        "estate.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: the whole establishment",
    )
    reason = models.CharField(max_length=300)
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.CharField(max_length=150)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)

    objects = LockdownQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        where = self.wing.code if self.wing is not None else self.establishment.code
        return f"Lockdown of {where}"

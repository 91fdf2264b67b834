"""Who can sign in: staff, families and friends, prisoners on devices, integrations."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from wicketgate.accounts.roles import StaffRole


class UserKind(models.TextChoices):
    STAFF = "staff", "Staff"
    FAMILY = "family", "Family or friend"
    PRISONER = "prisoner", "Prisoner (device account)"


class User(AbstractUser):
    kind = models.CharField(max_length=10, choices=UserKind.choices, default=UserKind.STAFF)
    is_estate_admin = models.BooleanField(
        default=False, help_text="Sees and manages every establishment in the estate"
    )
    establishments: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "estate.Establishment", through="StaffMembership", related_name="staff", blank=True
    )

    class Meta:
        ordering = ["username"]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_staff_member(self) -> bool:
        return self.kind == UserKind.STAFF


class StaffMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_memberships")
    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.CASCADE, related_name="staff_memberships"
    )
    role = models.CharField(max_length=20, choices=StaffRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "establishment", "role"], name="one_role_once_per_establishment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.username}: {self.get_role_display()} at {self.establishment.code}"


class PrisonerAccount(models.Model):
    """A prisoner's device sign-in: prison number and PIN (hashed on the user row).

    Wrong PINs never lock the account (one prisoner could then lock out another): they
    slow down further tries, per account and per device, see :class:`PinThrottle`.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="prisoner_account")
    prisoner = models.OneToOneField(
        "people.Prisoner", on_delete=models.CASCADE, related_name="account"
    )
    pin_set_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"device account of {self.prisoner_id}"


class PinThrottle(models.Model):
    """Wrong PINs counted for one account, one device, or one account at one device.

    Past a number of failures in a window, a row refuses further tries (without the PIN
    being checked) until ``blocked_until``, each new failure doubling the wait up to a
    cap. An account row (no device) holds for every device the account has not signed in
    on lately; where it has, the account-at-device row holds instead, so wrong PINs typed
    elsewhere cannot keep the owner out at their own device. A device row (no account)
    counts every account's failures there: it stops one device trying many accounts.
    See :mod:`wicketgate.accounts.pins`.
    """

    account = models.ForeignKey(
        PrisonerAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pin_throttles",
    )
    device = models.ForeignKey(
        "gateway.Device",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pin_throttles",
    )
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the first of the failures counted was"
    )
    last_failure_at = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(
        null=True, blank=True, help_text="Account at a device: when it last signed in there"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(account__isnull=False) | models.Q(device__isnull=False),
                name="pin_throttle_counts_something",
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(device__isnull=True),
                name="one_pin_throttle_per_account",
            ),
            models.UniqueConstraint(
                fields=["device"],
                condition=models.Q(account__isnull=True),
                name="one_pin_throttle_per_device",
            ),
            models.UniqueConstraint(
                fields=["account", "device"],
                condition=models.Q(account__isnull=False, device__isnull=False),
                name="one_pin_throttle_per_account_at_device",
            ),
        ]

    def __str__(self) -> str:
        return f"PIN throttle of {self.account_id or '-'} at {self.device_id or '-'}"

    def blocks_at(self, now: dt.datetime) -> bool:
        return self.blocked_until is not None and self.blocked_until > now


TOKEN_PREFIX = "wg"  # noqa: S105 - a label on every token, not a secret


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A bearer token for an integration, acting as (and scoped like) its staff user.

    Only a hash of the secret is stored; the full token is shown once, when created.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"

    @staticmethod
    def new_key() -> tuple[str, str, str]:
        """A fresh token as (full token, key id, secret hash)."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        return f"{TOKEN_PREFIX}_{key_id}_{secret}", key_id, _hash_secret(secret)

    @classmethod
    def find(cls, token: str) -> ApiToken | None:
        """The usable token matching ``token``, or None; compares hashes in constant time."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return None
        candidate = cls.objects.usable().select_related("user").filter(key_id=parts[1]).first()
        if candidate is None:
            return None
        if not secrets.compare_digest(candidate.secret_hash, _hash_secret(parts[2])):
            return None
        return candidate

"""Who can sign in: staff, families and friends, prisoners on devices, integrations."""

from __future__ import annotations

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

    Failed PIN attempts lock the account until a member of staff unlocks it, so a PIN
    cannot be guessed on a wing kiosk.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="prisoner_account")
    prisoner = models.OneToOneField(
        "people.Prisoner", on_delete=models.CASCADE, related_name="account"
    )
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    pin_set_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"device account of {self.prisoner_id}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


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

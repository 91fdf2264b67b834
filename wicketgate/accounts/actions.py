"""State changes to accounts: each atomic, each on the audit record."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from wicketgate.accounts.models import (
    ApiToken,
    PinThrottle,
    PrisonerAccount,
    StaffMembership,
    User,
    UserKind,
)
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.log import Actor, record_event
from wicketgate.estate.models import Establishment
from wicketgate.lib.errors import ActionError
from wicketgate.people.models import Prisoner

if TYPE_CHECKING:
    from wicketgate.gateway.models import Device


class AccountError(ActionError):
    """A requested account change breaks a rule; nothing was changed."""


def do_create_staff_user(
    username: str,
    *,
    password: str,
    roles: Iterable[tuple[Establishment, str]] = (),
    estate_admin: bool = False,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    actor: Actor,
    check_password: bool = True,
) -> User:
    """A member of staff with their roles at establishments and a TOTP device to enrol."""
    roles = list(roles)
    for _establishment, role in roles:
        if role not in StaffRole.values:
            raise AccountError(
                f"unknown role {role!r}; roles: {', '.join(StaffRole.values)}", field="role"
            )
    if not roles and not estate_admin:
        raise AccountError("a member of staff needs a role at an establishment, or estate admin")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"there is already a user called {username}")
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        kind=UserKind.STAFF,
        is_estate_admin=estate_admin,
    )
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise AccountError("; ".join(exc.messages)) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save()
        for establishment, role in roles:
            StaffMembership.objects.create(user=user, establishment=establishment, role=role)
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
        record_event(
            "accounts.staff.create",
            actor=actor,
            subject=user,
            details={
                "roles": [[e.code, role] for e, role in roles],
                "estate_admin": estate_admin,
            },
        )
    return user


def do_issue_backup_codes(
    user: User, *, actor: Actor, count: int = 10, codes: list[str] | None = None
) -> list[str]:
    """Replace the user's one-use backup codes for the second factor; returns the new codes.

    ``codes`` fixes the codes (used by the demo estate so its README can name them).
    """
    new_codes = codes or [StaticToken.random_token() for _ in range(count)]
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
        device.token_set.all().delete()
        for code in new_codes:
            device.token_set.create(token=code)
        record_event(
            "accounts.backup_codes.issue",
            actor=actor,
            subject=user,
            details={"count": len(new_codes)},
        )
    return new_codes


def do_create_family_account(
    email: str, *, password: str, first_name: str, last_name: str, actor: Actor
) -> User:
    email = email.strip().lower()
    if User.objects.filter(username=email).exists():
        raise AccountError(f"there is already an account for {email}")
    user = User(
        username=email,
        email=email,
        first_name=first_name,
        last_name=last_name,
        kind=UserKind.FAMILY,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError("; ".join(exc.messages)) from exc
    with transaction.atomic():
        user.set_password(password)
        user.save()
        record_event("accounts.family.create", actor=actor, subject=user)
    return user


def do_set_prisoner_pin(prisoner: Prisoner, pin: str, *, actor: Actor) -> PrisonerAccount:
    """Create the prisoner's device account or give it a new PIN (which clears its wrong PINs)."""
    if not (pin.isdigit() and 4 <= len(pin) <= 8):
        raise AccountError("a PIN is 4 to 8 digits")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise AccountError("a PIN cannot be one repeated digit or a run like 1234")
    with transaction.atomic():
        account = (
            PrisonerAccount.objects.select_for_update()
            .select_related("user")
            .filter(prisoner=prisoner)
            .first()
        )
        if account is None:
            user = User.objects.create(
                username=f"prisoner:{prisoner.prison_number}", kind=UserKind.PRISONER
            )
            account = PrisonerAccount(user=user, prisoner=prisoner)
        account.user.set_password(pin)
        account.user.save(update_fields=["password"])
        account.pin_set_at = timezone.now()
        account.save()
        # Wrong PINs typed against the old PIN say nothing about the new one.
        cleared = _clear_throttles(PinThrottle.objects.filter(account=account))
        record_event(
            "accounts.prisoner_pin.set",
            actor=actor,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={"throttles_cleared": cleared} if cleared else None,
        )
    return account


def do_unlock_prisoner_account(account: PrisonerAccount, *, actor: Actor) -> None:
    """Let the account try PINs again at once: clears its wrong-PIN counts, everywhere.

    Devices' own counts (every account's failures there) are not touched: see
    :func:`do_unlock_pin_device`.
    """
    with transaction.atomic():
        locked = (
            PrisonerAccount.objects.select_for_update()
            .select_related("prisoner__establishment")
            .get(pk=account.pk)
        )
        rows = PinThrottle.objects.filter(account=locked)
        if not rows.filter(failures__gt=0).exists():
            raise AccountError("no wrong PINs are counted against this account")
        was_refusing = rows.filter(blocked_until__gt=timezone.now()).exists()
        cleared = _clear_throttles(rows)
        record_event(
            "accounts.prisoner_account.unlock",
            actor=actor,
            subject=locked.prisoner,
            establishment=locked.prisoner.establishment,
            details={"throttles_cleared": cleared, "was_refusing": was_refusing},
        )


def do_unlock_pin_device(device: Device, *, actor: Actor) -> None:
    """Let a device take PIN sign-ins again at once: clears its count of wrong PINs."""
    with transaction.atomic():
        row = (
            PinThrottle.objects.select_for_update()
            .filter(device=device, account__isnull=True)
            .first()
        )
        if row is None or row.failures == 0:
            raise AccountError(f"no wrong PINs are counted against the device {device.device_id}")
        was_refusing = row.blocks_at(timezone.now())
        _clear_throttles(PinThrottle.objects.filter(pk=row.pk))
        record_event(
            "accounts.pin_device.unlock",
            actor=actor,
            subject=device,
            establishment=device.establishment,
            details={"device": device.device_id, "was_refusing": was_refusing},
        )


def _clear_throttles(rows: QuerySet[PinThrottle]) -> int:
    """Forget the counted failures (keeping when each account last signed in where)."""
    return rows.filter(failures__gt=0).update(
        failures=0, window_started_at=None, last_failure_at=None, blocked_until=None
    )


def do_create_api_token(
    user: User, name: str, *, actor: Actor, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A token acting as ``user``; returns it and the secret, which is shown only now."""
    if user.kind != UserKind.STAFF:
        raise AccountError("API tokens act as a member of staff")
    if not name.strip():
        raise AccountError("a token needs a name saying what uses it")
    full, key_id, secret_hash = ApiToken.new_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip(),
            key_id=key_id,
            secret_hash=secret_hash,
            expires_at=expires_at,
        )
        record_event(
            "accounts.api_token.create",
            actor=actor,
            subject=user,
            details={"token": key_id, "name": name},
        )
    return token, full


def do_revoke_api_token(token: ApiToken, *, actor: Actor) -> None:
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise AccountError("the token is already revoked")
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record_event(
            "accounts.api_token.revoke",
            actor=actor,
            subject=locked.user,
            details={"token": locked.key_id},
        )


def random_password() -> str:
    return secrets.token_urlsafe(18)

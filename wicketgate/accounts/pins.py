"""Checking a prisoner's PIN: wrong PINs slow down further tries, they never lock.

A lock after a few wrong PINs let one prisoner lock another out (and so out of their
calls) by typing their prison number at any kiosk. Instead each wrong PIN is counted in
up to three :class:`~wicketgate.accounts.models.PinThrottle` rows:

- the **device** it was typed on (every account's failures there): past
  ``WICKETGATE_PIN_DEVICE_FAILURE_LIMIT`` the device refuses PIN sign-ins for a while, so
  one device cannot try one PIN on many accounts;
- the **account** (failures anywhere): past ``WICKETGATE_PIN_FAILURE_LIMIT`` the account
  refuses sign-ins for a while — but only on devices it has not signed in on lately;
- the **account at that device**: on a device the account signed in on within
  ``WICKETGATE_PIN_TRUSTED_DEVICE_DAYS`` this row holds instead of the account row, so
  wrong PINs typed on other devices never keep the owner out at their own.

"For a while" starts at ``WICKETGATE_PIN_BACKOFF_SECONDS`` and doubles with each further
wrong PIN, up to ``WICKETGATE_PIN_BACKOFF_MAX_SECONDS``; a try in that time is refused
without the PIN being checked, and is not counted. Counts start again
``WICKETGATE_PIN_FAILURE_WINDOW_HOURS`` after their first failure. A right PIN clears
the account-at-device row only: an owner signing in does not give a guesser a fresh set
of tries. Staff clear rows with ``do_unlock_prisoner_account`` and
``do_unlock_pin_device``.

The state is in the database, so every web worker sees the same counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wicketgate.accounts.models import PinThrottle, PrisonerAccount, User
from wicketgate.audit.log import Actor, record_event

if TYPE_CHECKING:
    from wicketgate.gateway.models import Device

THROTTLE_START = "accounts.pin_throttle.start"
SIGN_IN_SERVICE = Actor.system("sign-in")


@dataclass(frozen=True)
class PinCheck:
    """What a PIN sign-in came to: the user, or a refusal (and until when, if throttled)."""

    user: User | None
    throttled_until: dt.datetime | None = None

    @property
    def throttled(self) -> bool:
        return self.throttled_until is not None


def check_prisoner_pin(prison_number: str, pin: str, *, device: Device | None = None) -> PinCheck:
    """Sign-in with prison number and PIN on ``device`` (None: a device we cannot tell).

    A prison number without an account, a suspended (inactive) user and a wrong PIN are
    refused alike; only a throttled try says so, with the time it may be made again.
    """
    number = prison_number.strip().upper()
    now = timezone.now()
    with transaction.atomic():
        # The account row first, then the device's: one lock order for every sign-in.
        account = (
            PrisonerAccount.objects.select_for_update()
            .select_related("user", "prisoner__establishment")
            .filter(prisoner__prison_number=number)
            .first()
        )
        device_row = _row(None, device) if device is not None else None
        own = _row(account, device) if account is not None and device is not None else None
        account_row = _row(account, None) if account is not None else None
        holding = [device_row, own if is_trusted(own, now) else account_row]
        waits = [row.blocked_until for row in holding if row is not None and row.blocks_at(now)]
        if waits:
            return PinCheck(None, throttled_until=max(w for w in waits if w is not None))
        if account is None:
            # Hash anyway, so an unknown prison number takes as long as a known one.
            User().set_password(pin)
        elif account.user.is_active and account.user.check_password(pin):
            if own is not None:
                own.failures = 0
                own.window_started_at = own.last_failure_at = own.blocked_until = None
                own.last_success_at = now
                own.save()
            return PinCheck(account.user)
        for row in (device_row, account_row, own):
            if row is not None:
                _count_failure(row, now, account=account, device=device)
        return PinCheck(None)


def is_trusted(own: PinThrottle | None, now: dt.datetime) -> bool:
    """Has the account signed in on this device lately (so the device is its own)?"""
    if own is None or own.last_success_at is None:
        return False
    days = settings.WICKETGATE_PIN_TRUSTED_DEVICE_DAYS
    return own.last_success_at > now - dt.timedelta(days=days)


def backoff(failures: int, limit: int) -> dt.timedelta | None:
    """How long tries are refused after the ``failures``-th wrong PIN (None: not yet)."""
    if failures < limit:
        return None
    base = settings.WICKETGATE_PIN_BACKOFF_SECONDS
    cap = settings.WICKETGATE_PIN_BACKOFF_MAX_SECONDS
    # The exponent is bounded: past 2**20 times the base every cap is reached anyway.
    return dt.timedelta(seconds=min(base * 2 ** min(failures - limit, 20), cap))


def _row(account: PrisonerAccount | None, device: Device | None) -> PinThrottle:
    """The row for this account and/or device, locked (made if there was none)."""
    found = PinThrottle.objects.select_for_update().filter(account=account, device=device).first()
    if found is not None:
        return found
    # get_or_create: two sign-ins making the same row at once both end up with it.
    made, _ = PinThrottle.objects.get_or_create(account=account, device=device)
    return PinThrottle.objects.select_for_update().get(pk=made.pk)


def _count_failure(
    row: PinThrottle, now: dt.datetime, *, account: PrisonerAccount | None, device: Device | None
) -> None:
    window = dt.timedelta(hours=settings.WICKETGATE_PIN_FAILURE_WINDOW_HOURS)
    if row.window_started_at is None or row.window_started_at <= now - window:
        row.failures = 0
        row.window_started_at = now
    row.failures += 1
    row.last_failure_at = now
    device_wide = row.account_id is None
    limit = (
        settings.WICKETGATE_PIN_DEVICE_FAILURE_LIMIT
        if device_wide
        else settings.WICKETGATE_PIN_FAILURE_LIMIT
    )
    wait = backoff(row.failures, limit)
    if wait is not None:
        row.blocked_until = now + wait
    row.save()
    if wait is None:
        return
    scope = "device" if device_wide else "account" if row.device_id is None else "account_device"
    details: dict[str, Any] = {
        "scope": scope,
        "failures": row.failures,
        "seconds": int(wait.total_seconds()),
        "until": row.blocked_until.isoformat() if row.blocked_until else None,
    }
    if device is not None:
        details["device"] = device.device_id
    subject: Any = device if device_wide else account.prisoner if account is not None else None
    record_event(
        THROTTLE_START,
        actor=SIGN_IN_SERVICE,
        subject=subject,
        establishment=(
            device.establishment
            if device_wide and device is not None
            else account.prisoner.establishment
            if account is not None
            else None
        ),
        details=details,
    )

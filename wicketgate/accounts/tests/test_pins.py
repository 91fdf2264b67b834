"""PIN sign-in: wrong PINs slow down further tries per account and per device, never lock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from wicketgate.accounts.actions import (
    AccountError,
    do_set_prisoner_pin,
    do_unlock_pin_device,
    do_unlock_prisoner_account,
)
from wicketgate.accounts.models import PinThrottle
from wicketgate.accounts.pins import backoff, check_prisoner_pin
from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.actions import do_register_device
from wicketgate.gateway.models import Device
from wicketgate.testing.personas import PRISONER_PIN, SETUP, Estate

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
WRONG = "2468"


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


def device(estate: Estate, device_id: str) -> Device:
    made, _key = do_register_device(
        device_id=device_id,
        establishment=estate.a,
        location=estate.a_cell,
        kind="laptop",
        actor=SETUP,
    )
    return made


def test_the_wait_doubles_from_30_seconds_up_to_the_cap(settings: Any) -> None:
    settings.WICKETGATE_PIN_BACKOFF_MAX_SECONDS = 600
    waits = [backoff(n, 5) for n in range(1, 12)]
    assert waits[:4] == [None] * 4
    assert [w.total_seconds() for w in waits[4:] if w] == [30, 60, 120, 240, 480, 600, 600]
    assert backoff(10**6, 5) == dt.timedelta(seconds=600)


def test_it_refuses_unchecked_while_slowed_down_and_lets_in_after(
    estate: Estate, clock: Any
) -> None:
    for _ in range(5):
        assert check_prisoner_pin("A1234BC", WRONG).user is None
    check = check_prisoner_pin("A1234BC", PRISONER_PIN)
    assert check.user is None
    assert check.throttled_until == START + dt.timedelta(seconds=30)
    # Tries while refused are not counted: they do not make the wait longer.
    assert PinThrottle.objects.get(device=None).failures == 5
    clock.shift(dt.timedelta(seconds=30))
    assert check_prisoner_pin("A1234BC", PRISONER_PIN).user == estate.prisoner_user


def test_each_further_wrong_pin_doubles_the_wait(estate: Estate, clock: Any) -> None:
    for _ in range(5):
        check_prisoner_pin("A1234BC", WRONG)
    waits = []
    for _ in range(4):
        until = check_prisoner_pin("A1234BC", WRONG).throttled_until
        assert until is not None
        clock.move_to(until)
        assert check_prisoner_pin("A1234BC", WRONG).user is None  # checked, and wrong
        row = PinThrottle.objects.get(device=None)
        assert row.blocked_until is not None
        waits.append((row.blocked_until - until).total_seconds())
    assert waits == [60, 120, 240, 480]
    started = AuditEvent.objects.filter(action="accounts.pin_throttle.start").order_by("seq")
    assert [e.details["seconds"] for e in started] == [30, 60, 120, 240, 480]
    assert {e.subject_label for e in started} == {str(estate.prisoner_a)}


def test_the_throttle_holds_through_a_day_of_guessing(
    estate: Estate, clock: Any, settings: Any
) -> None:
    """An attacker trying every 30 seconds for a day gets a handful of PINs checked."""
    laptops = [device(estate, f"NGT-LAPTOP-{n}") for n in range(3)]
    checked = 0
    for step in range(24 * 3600 // 30):
        check = check_prisoner_pin("A1234BC", f"{1000 + step % 9000}", device=laptops[step % 3])
        assert check.user is None
        checked += not check.throttled
        clock.shift(dt.timedelta(seconds=30))
    # 5 before the wait starts, then 30 s, 1, 2, … minutes up to 4 hours: about 18.
    assert checked <= 20
    assert PinThrottle.objects.get(account__isnull=False, device=None).failures == checked


def test_wrong_pins_elsewhere_never_keep_the_owner_out_of_their_own_device(
    estate: Estate, clock: Any
) -> None:
    own, kiosk = device(estate, "NGT-LAPTOP-1"), device(estate, "NGT-KIOSK-1")
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=own).user == estate.prisoner_user
    clock.shift(dt.timedelta(hours=1))
    for _ in range(12):
        check_prisoner_pin("A1234BC", WRONG, device=kiosk)
        check_prisoner_pin("A1234BC", WRONG)  # and where no device can be told
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=kiosk).throttled
    assert check_prisoner_pin("A1234BC", PRISONER_PIN).throttled
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=own).user == estate.prisoner_user
    # Signing in there does not give the guesser a fresh set of tries elsewhere.
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=kiosk).throttled


def test_a_device_is_the_accounts_own_only_for_the_trust_period(
    estate: Estate, clock: Any, settings: Any
) -> None:
    settings.WICKETGATE_PIN_TRUSTED_DEVICE_DAYS = 30
    own = device(estate, "NGT-LAPTOP-1")
    check_prisoner_pin("A1234BC", PRISONER_PIN, device=own)
    clock.shift(dt.timedelta(days=31))
    for _ in range(5):
        check_prisoner_pin("A1234BC", WRONG)
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=own).throttled


def test_wrong_pins_on_the_owners_device_slow_down_that_device_for_the_account(
    estate: Estate, clock: Any
) -> None:
    own = device(estate, "NGT-LAPTOP-1")
    check_prisoner_pin("A1234BC", PRISONER_PIN, device=own)
    for _ in range(5):
        check_prisoner_pin("A1234BC", WRONG, device=own)
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=own).throttled
    scopes = AuditEvent.objects.filter(action="accounts.pin_throttle.start")
    assert {e.details["scope"] for e in scopes} == {"account", "account_device"}


def test_one_device_trying_many_accounts_is_slowed_down(
    estate: Estate, clock: Any, settings: Any
) -> None:
    settings.WICKETGATE_PIN_DEVICE_FAILURE_LIMIT = 10
    kiosk, other = device(estate, "NGT-KIOSK-1"), device(estate, "NGT-KIOSK-2")
    for n in range(10):
        assert not check_prisoner_pin(f"A{1000 + n}ZZ", "1357", device=kiosk).throttled
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=kiosk).throttled
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=other).user is not None
    started = AuditEvent.objects.get(action="accounts.pin_throttle.start")
    assert (started.details["scope"], started.subject_label, started.establishment) == (
        "device",
        "NGT-KIOSK-1",
        estate.a,
    )


def test_counts_start_again_after_the_window(estate: Estate, clock: Any, settings: Any) -> None:
    settings.WICKETGATE_PIN_FAILURE_WINDOW_HOURS = 24
    for _ in range(4):
        check_prisoner_pin("A1234BC", WRONG)
    clock.shift(dt.timedelta(hours=24, seconds=1))
    for _ in range(4):
        check_prisoner_pin("A1234BC", WRONG)
    assert PinThrottle.objects.get(device=None).failures == 4
    assert check_prisoner_pin("A1234BC", PRISONER_PIN).user is not None


def test_a_suspended_account_is_refused_with_the_right_pin(estate: Estate) -> None:
    estate.prisoner_user.is_active = False
    estate.prisoner_user.save()
    check = check_prisoner_pin("A1234BC", PRISONER_PIN)
    assert (check.user, check.throttled) == (None, False)


def test_staff_clear_an_account_and_a_device(estate: Estate, clock: Any, settings: Any) -> None:
    settings.WICKETGATE_PIN_DEVICE_FAILURE_LIMIT = 5
    kiosk = device(estate, "NGT-KIOSK-1")
    for _ in range(5):
        check_prisoner_pin("A1234BC", WRONG, device=kiosk)
    clerk = Actor.of_user(estate.clerk_a)
    do_unlock_prisoner_account(estate.prisoner_a.account, actor=clerk)
    # The device still refuses: its count is every account's.
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=kiosk).throttled
    do_unlock_pin_device(kiosk, actor=clerk)
    assert check_prisoner_pin("A1234BC", PRISONER_PIN, device=kiosk).user is not None
    with pytest.raises(AccountError, match="no wrong PINs are counted"):
        do_unlock_pin_device(kiosk, actor=clerk)
    with pytest.raises(AccountError, match="no wrong PINs are counted"):
        do_unlock_prisoner_account(estate.prisoner_a.account, actor=clerk)
    events = AuditEvent.objects.filter(action__endswith=".unlock").order_by("seq")
    assert [(e.action, e.actor_label, e.details["was_refusing"]) for e in events] == [
        ("accounts.prisoner_account.unlock", "clerk.a", True),
        ("accounts.pin_device.unlock", "clerk.a", True),
    ]


def test_a_new_pin_clears_the_wrong_ones(estate: Estate, clock: Any) -> None:
    for _ in range(5):
        check_prisoner_pin("A1234BC", WRONG)
    do_set_prisoner_pin(estate.prisoner_a, "7391", actor=SETUP)
    assert check_prisoner_pin("A1234BC", "7391").user is not None
    event = AuditEvent.objects.filter(action="accounts.prisoner_pin.set").order_by("seq").last()
    assert event is not None and event.details == {"throttles_cleared": 1}

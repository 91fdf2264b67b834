"""Sign-in on a device through the API its agent calls."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from wicketgate.accounts.models import PinThrottle
from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.actions import (
    do_close_device_session,
    do_register_device,
    do_start_lockdown,
)
from wicketgate.gateway.models import CloseReason, DeviceSession, hash_secret
from wicketgate.testing.personas import PRISONER_PIN, SETUP, Estate

URL = "/api/v1/device/sessions"


@pytest.fixture
def device_key(estate: Estate) -> str:
    _device, key = do_register_device(
        device_id="NGT-KIOSK-1",
        establishment=estate.a,
        location=estate.a_cell,
        kind="kiosk",
        actor=SETUP,
    )
    return f"NGT-KIOSK-1:{key}"


def sign_in(client: Client, key: str, pin: str = PRISONER_PIN, number: str = "A1234BC") -> Any:
    return client.post(
        URL,
        data=json.dumps({"prison_number": number, "pin": pin}),
        content_type="application/json",
        headers={"X-Wicketgate-Device": key},
    )


def test_it_opens_a_session_and_returns_credentials_that_match_it(
    estate: Estate, device_key: str
) -> None:
    response = sign_in(Client(), device_key)
    assert response.status_code == 201, response.content
    body = response.json()
    session = DeviceSession.objects.get(username=body["username"])
    assert session.password_hash == hash_secret(body["password"])
    assert (session.prisoner, session.location) == (estate.prisoner_a, estate.a_cell)
    assert session.is_live()


def test_it_refuses_a_wrong_pin_and_counts_it_for_the_account_and_the_device(
    estate: Estate, device_key: str
) -> None:
    response = sign_in(Client(), device_key, pin="9911")
    assert response.status_code == 401
    assert not DeviceSession.objects.exists()
    counts = {
        (row.account_id is not None, row.device_id is not None): row.failures
        for row in PinThrottle.objects.all()
    }
    assert counts == {(True, False): 1, (False, True): 1, (True, True): 1}
    event = AuditEvent.objects.get(action="accounts.sign_in", outcome="denied")
    assert (event.details["reason"], event.details["device"]) == ("pin", "NGT-KIOSK-1")


@pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_it_answers_429_with_the_time_to_try_again_when_slowed_down(
    estate: Estate, device_key: str, settings: Any
) -> None:
    for _ in range(settings.WICKETGATE_PIN_FAILURE_LIMIT):
        assert sign_in(Client(), device_key, pin="9911").status_code == 401
    response = sign_in(Client(), device_key)
    assert response.status_code == 429
    assert response.json()["retry_at"] == "2026-03-02T09:00:30Z"
    assert not DeviceSession.objects.exists()


def test_wrong_pins_on_another_device_do_not_keep_the_owner_out_of_their_own(
    estate: Estate, device_key: str, settings: Any, time_machine: Any
) -> None:
    """The attack the lock allowed: a prisoner types someone else's number with wrong PINs."""
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    # The owner has signed in on their own laptop before.
    assert sign_in(Client(), device_key).status_code == 201
    do_close_device_session(DeviceSession.objects.get(), reason=CloseReason.SIGNED_OUT, actor=SETUP)
    _device, other_key = do_register_device(
        device_id="NGT-KIOSK-2",
        establishment=estate.a,
        location=estate.a_cell,
        kind="kiosk",
        actor=SETUP,
    )
    other = f"NGT-KIOSK-2:{other_key}"
    # An attacker keeps at it on another device, as fast as they are let...
    answers = []
    for _ in range(40):
        answers.append(sign_in(Client(), other, pin="9911").status_code)
        time_machine.shift(dt.timedelta(seconds=10))
    # ...and is refused unchecked most of the time...
    assert answers.count(401) < 15
    assert answers.count(429) > 25
    # ...while the owner signs in on their own device at once.
    assert sign_in(Client(), device_key).status_code == 201
    # The attacker's own device is held up for the account, and says so in the record.
    assert sign_in(Client(), other).status_code == 429
    started = AuditEvent.objects.filter(action="accounts.pin_throttle.start")
    assert {e.details["scope"] for e in started} == {"account", "account_device"}
    assert {e.details["device"] for e in started} == {"NGT-KIOSK-2"}


def test_it_refuses_an_unknown_device_or_a_wrong_key(estate: Estate, device_key: str) -> None:
    assert sign_in(Client(), "NGT-KIOSK-1:not-the-key").status_code == 401
    assert sign_in(Client(), "NGT-KIOSK-9:" + device_key.split(":")[1]).status_code == 401
    assert sign_in(Client(), "").status_code == 401
    assert not DeviceSession.objects.exists()


def test_it_refuses_a_prisoner_held_elsewhere(estate: Estate, device_key: str) -> None:
    from wicketgate.accounts.actions import do_set_prisoner_pin

    do_set_prisoner_pin(estate.prisoner_b, "7391", actor=SETUP)
    response = sign_in(Client(), device_key, pin="7391", number="B2345CD")
    assert response.status_code == 409
    assert "not held at NGT" in response.json()["detail"]


def test_it_refuses_during_a_lockdown(estate: Estate, device_key: str, settings: Any) -> None:
    do_start_lockdown(establishment=estate.a, reason="Incident on A wing", actor=SETUP)
    response = sign_in(Client(), device_key)
    assert response.status_code == 409
    assert "Incident on A wing" in response.json()["detail"]


def test_signing_out_closes_the_devices_session(estate: Estate, device_key: str) -> None:
    client = Client()
    username = sign_in(client, device_key).json()["username"]
    response = client.delete(URL + "/current", headers={"X-Wicketgate-Device": device_key})
    assert response.status_code == 204
    session = DeviceSession.objects.get(username=username)
    assert (session.is_live(), session.close_reason) == (False, "signed_out")
    assert (
        client.delete(URL + "/current", headers={"X-Wicketgate-Device": device_key}).status_code
        == 404
    )


def test_a_phone_handset_is_refused_before_any_pin_is_checked(estate: Estate) -> None:
    """Security review: a handset's key must not make it a PIN oracle (409 for a right PIN,
    401 for a wrong one); it never browses."""
    _device, key = do_register_device(
        device_id="NGT-PH-1",
        establishment=estate.a,
        location=estate.a_wing,
        kind="phone",
        address="127.0.0.1",
        actor=SETUP,
    )
    before = AuditEvent.objects.count()
    right = sign_in(Client(), f"NGT-PH-1:{key}")
    wrong = sign_in(Client(), f"NGT-PH-1:{key}", pin="9753")
    assert (right.status_code, wrong.status_code) == (409, 409)
    assert right.json() == wrong.json()
    assert not PinThrottle.objects.exists() and not DeviceSession.objects.exists()
    assert AuditEvent.objects.count() == before

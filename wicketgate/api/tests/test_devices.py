"""Sign-in on a device through the API its agent calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from wicketgate.accounts.models import PrisonerAccount
from wicketgate.gateway.actions import do_register_device, do_start_lockdown
from wicketgate.gateway.models import DeviceSession, hash_secret
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


def test_it_refuses_a_wrong_pin_and_counts_it_towards_the_lockout(
    estate: Estate, device_key: str
) -> None:
    response = sign_in(Client(), device_key, pin="9911")
    assert response.status_code == 401
    assert not DeviceSession.objects.exists()
    assert PrisonerAccount.objects.get(prisoner=estate.prisoner_a).failed_attempts == 1


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

"""The people app's staff pages and forms for the persona suite (wicketgate/tests/test_access.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from wicketgate.accounts.actions import do_set_prisoner_pin
from wicketgate.accounts.pins import check_prisoner_pin
from wicketgate.gateway.actions import do_register_device
from wicketgate.gateway.models import Device
from wicketgate.people.actions import do_add_alert
from wicketgate.people.models import Prisoner
from wicketgate.testing.endpoints import PROFILE, Endpoint
from wicketgate.testing.personas import SETUP, Estate


def _active_alert(estate: Estate) -> tuple[str, dict[str, Any]]:
    alert = do_add_alert(estate.prisoner_a, "ACCT", actor=SETUP)
    return f"{PROFILE}alerts/{alert.pk}/end", {}


def _other_prisoner_with_wrong_pins(estate: Estate, device: Device | None = None) -> None:
    # Someone other than the prisoner persona, so no test's own sign-in is in the way.
    other, made = Prisoner.objects.get_or_create(
        prison_number="A7777AA",
        defaults={
            "given_name": "Owen",
            "family_name": "Other",
            "date_of_birth": dt.date(1992, 3, 4),
            "establishment": estate.a,
            "location": estate.a_cell,
            "security_category": "C",
            "incentive_level": "STD",
            "legal_status": "REMAND",
        },
    )
    if made:
        do_set_prisoner_pin(other, "8642", actor=SETUP)
    for _ in range(5):
        check_prisoner_pin("A7777AA", "1111", device=device)


def _locked_account(estate: Estate) -> tuple[str, dict[str, Any]]:
    _other_prisoner_with_wrong_pins(estate)
    return "/staff/prisoners/A7777AA/account/unlock", {}


def _throttled_device(estate: Estate) -> tuple[str, dict[str, Any]]:
    device = Device.objects.filter(device_id="NGT-KIOSK-7").first()
    if device is None:
        device, _key = do_register_device(
            device_id="NGT-KIOSK-7",
            establishment=estate.a,
            location=estate.a_cell,
            kind="kiosk",
            actor=SETUP,
        )
    _other_prisoner_with_wrong_pins(estate, device)
    return f"/staff/prisoners/A7777AA/account/devices/{device.pk}/unlock", {}


PAGES = [
    Endpoint("prisoner list", "get", lambda e: ("/staff/prisoners/", {}), scoped=False),
    Endpoint("prisoner profile", "get", lambda e: (PROFILE, {})),
    Endpoint("add alert page", "get", lambda e: (f"{PROFILE}alerts/new", {})),
    Endpoint("incentive review page", "get", lambda e: (f"{PROFILE}incentive-review", {})),
    Endpoint("move page", "get", lambda e: (f"{PROFILE}move", {})),
]

FORMS = [
    Endpoint("add alert", "post", lambda e: (f"{PROFILE}alerts/new", {"code": "ESCAPE"}), 302),
    Endpoint("end alert", "post", _active_alert, 302),
    Endpoint(
        "incentive review",
        "post",
        lambda e: (f"{PROFILE}incentive-review", {"level": "ENH", "comment": "Good behaviour"}),
        302,
    ),
    Endpoint("move", "post", lambda e: (f"{PROFILE}move", {"location": e.a_video_suite.pk}), 302),
    Endpoint("unlock device account", "post", _locked_account, 302),
    Endpoint("clear a device's wrong PINs", "post", _throttled_device, 302),
]

# Changes to one prisoner's record: each goes back to the profile and is recorded.
ENDPOINTS = [*PAGES, *(replace(endpoint, returns_to_profile=True) for endpoint in FORMS)]

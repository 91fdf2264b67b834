"""What Kamailio asks Wicketgate, asked here directly: wrong PINs typed on one handset
stop that handset trying that account for a while, and no other handset (one prisoner
typing wrong PINs for another's prison number cannot keep them off the phone)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wicketgate.gateway.actions import do_register_device
from wicketgate.phone.actions import do_set_phone_pin
from wicketgate.phone.kamailio import ask_key
from wicketgate.phone.models import HandsetPinTries, PhoneAccount
from wicketgate.testing.personas import SETUP, Estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_phones(estate: Estate, settings: Any) -> Estate:
    settings.WICKETGATE_PIN_FAILURE_LIMIT = 2
    for device, address in (("NGT-PH-1", "10.20.0.5"), ("NGT-PH-2", "10.20.0.6")):
        do_register_device(
            device_id=device,
            establishment=estate.a,
            location=estate.a_wing,
            kind="phone",
            address=address,
            actor=SETUP,
        )
    do_set_phone_pin(estate.prisoner_a, "2468", actor=SETUP)
    return estate


def ask(client: Client, question: str, address: str) -> int:
    url = f"/phone/kamailio/{ask_key()}/{question}?user=A1234BC&address={address}"
    return client.get(url).status_code


def test_wrong_pins_on_one_handset_stop_that_handset_only(two_phones: Estate) -> None:
    client = Client()
    assert ask(client, "credentials", "10.20.0.5") == 200
    for _ in range(2):
        assert ask(client, "failed", "10.20.0.5") == 204
    assert ask(client, "credentials", "10.20.0.5") == 404  # this handset waits
    assert ask(client, "credentials", "10.20.0.6") == 200  # the prisoner's next phone does not
    tries = HandsetPinTries.objects.get()
    assert (tries.handset, tries.failures) == ("NGT-PH-1", 2) and tries.blocked_until
    account = PhoneAccount.objects.get(prisoner=two_phones.prisoner_a)
    assert (account.failures, account.blocked_until) == (0, None)  # the account is untouched


def test_a_wrong_pin_from_an_address_that_is_no_phone_counts_nothing(two_phones: Estate) -> None:
    assert ask(Client(), "failed", "10.9.9.9") == 204
    assert not HandsetPinTries.objects.exists()

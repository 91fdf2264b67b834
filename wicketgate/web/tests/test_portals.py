"""The prisoner portal (prison number and PIN) and the family portal (email and password)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from wicketgate.accounts.models import PinThrottle, PrisonerAccount, User
from wicketgate.accounts.pins import check_prisoner_pin
from wicketgate.audit.models import AuditEvent
from wicketgate.estate.models import Establishment
from wicketgate.gateway.actions import do_register_device
from wicketgate.testing.personas import PASSWORD, PRISONER_PIN, SETUP, Estate

SLOWED = "The wrong PIN was entered too many times."


def pin_sign_in(client: Client, number: str, pin: str) -> Any:
    return client.post("/portal/sign-in", {"prison_number": number, "password": pin})


def account(estate: Estate) -> PrisonerAccount:
    return PrisonerAccount.objects.get(prisoner=estate.prisoner_a)


def test_it_signs_a_prisoner_in_with_their_pin(client_anon: Client, estate: Estate) -> None:
    response = pin_sign_in(client_anon, "a1234bc", PRISONER_PIN)
    assert response["Location"] == "/portal/"
    home = client_anon.get("/portal/").content.decode()
    assert "Hello, Alan" in home
    assert 'href="/portal/video-calls/">Video calls</a>' in home
    event = AuditEvent.objects.get(action="accounts.sign_in", outcome="success")
    assert event.details["portal"] == "prisoner"


def test_it_lists_only_the_services_the_establishment_has_on(
    client_anon: Client, estate: Estate
) -> None:
    Establishment.objects.filter(pk=estate.a.pk).update(features={"video_calls": False})
    pin_sign_in(client_anon, "A1234BC", PRISONER_PIN)
    assert "Video calls" not in client_anon.get("/portal/").content.decode()


def test_coming_soon_lists_only_services_not_built_yet(client_anon: Client, estate: Estate) -> None:
    Establishment.objects.filter(pk=estate.a.pk).update(
        features={"web_access": True, "messaging": True}
    )
    pin_sign_in(client_anon, "A1234BC", PRISONER_PIN)
    home = client_anon.get("/portal/").content.decode()
    coming = home.split("Coming soon", 1)[1]
    assert "Secure messages with your approved contacts" in coming
    # Websites work: they are offered above, never as on their way.
    assert "Approved websites" not in coming
    assert 'href="/portal/access/"' in home.split("Coming soon", 1)[0]


def test_it_refuses_a_wrong_pin(client_anon: Client, estate: Estate) -> None:
    response = pin_sign_in(client_anon, "A1234BC", "9999")
    assert "The prison number or PIN is not right." in response.content.decode()
    assert PinThrottle.objects.get(account=account(estate), device=None).failures == 1
    assert client_anon.get("/portal/").status_code == 302
    event = AuditEvent.objects.get(action="accounts.sign_in", outcome="denied")
    assert event.details == {
        **event.details,
        "portal": "prisoner",
        "username": "A1234BC",
        "reason": "pin",
    }


def test_it_checks_the_prison_number_format(client_anon: Client, estate: Estate) -> None:
    content = pin_sign_in(client_anon, "12345", "12ab").content.decode()
    assert "Enter a prison number in the right format, like A1234BC" in content
    assert "Your PIN must only include numbers" in content


@pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_it_slows_down_wrong_pins_and_says_until_when(
    client_anon: Client, estate: Estate, settings: Any
) -> None:
    settings.WICKETGATE_PIN_FAILURE_LIMIT = 3
    responses = [pin_sign_in(client_anon, "A1234BC", "9999") for _ in range(3)]
    assert SLOWED not in responses[1].content.decode()
    assert "The prison number or PIN is not right." in responses[2].content.decode()

    # The right PIN is not even checked for the next 30 seconds, and the page says so.
    content = pin_sign_in(client_anon, "A1234BC", PRISONER_PIN).content.decode()
    assert f"{SLOWED} Try again after 09:00:30, or ask a member of staff." in content
    assert client_anon.get("/portal/").status_code == 302
    refused = (
        AuditEvent.objects.filter(action="accounts.sign_in", outcome="denied")
        .order_by("seq")
        .last()
    )
    assert refused is not None
    assert (refused.details["reason"], refused.details["until"]) == (
        "throttled",
        "2026-03-02T09:00:30+00:00",
    )
    started = AuditEvent.objects.get(action="accounts.pin_throttle.start")
    assert started.details == {
        "scope": "account",
        "failures": 3,
        "seconds": 30,
        "until": "2026-03-02T09:00:30+00:00",
    }


def test_it_lets_a_prisoner_in_once_the_wait_is_over(
    client_anon: Client, estate: Estate, time_machine: Any
) -> None:
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
    for _ in range(settings.WICKETGATE_PIN_FAILURE_LIMIT):
        pin_sign_in(client_anon, "A1234BC", "9999")
    assert SLOWED in pin_sign_in(client_anon, "A1234BC", PRISONER_PIN).content.decode()
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 0, 31, tzinfo=dt.UTC), tick=False)
    assert pin_sign_in(client_anon, "A1234BC", PRISONER_PIN)["Location"] == "/portal/"


def test_it_lets_a_prisoner_back_in_once_staff_clear_their_wrong_pins(
    client_anon: Client, client_a: Client, estate: Estate
) -> None:
    responses = [
        pin_sign_in(client_anon, "A1234BC", "9999")
        for _ in range(settings.WICKETGATE_PIN_FAILURE_LIMIT + 1)
    ]
    assert SLOWED in responses[-1].content.decode()
    client_a.post("/staff/prisoners/A1234BC/account/unlock")
    assert pin_sign_in(client_anon, "A1234BC", PRISONER_PIN)["Location"] == "/portal/"


def test_it_does_not_hold_up_other_prisoners_at_the_same_kiosk(
    client_anon: Client, estate: Estate, settings: Any
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT * 3):
        pin_sign_in(client_anon, "Z9999ZZ", "1357")
    assert pin_sign_in(client_anon, "A1234BC", PRISONER_PIN)["Location"] == "/portal/"


def test_it_counts_wrong_pins_against_the_kiosk_registered_at_the_address(
    estate: Estate, settings: Any
) -> None:
    settings.WICKETGATE_PIN_DEVICE_FAILURE_LIMIT = 3
    device, _key = do_register_device(
        device_id="NGT-KIOSK-1",
        establishment=estate.a,
        location=estate.a_cell,
        kind="kiosk",
        address="10.1.2.3",
        actor=SETUP,
    )
    at_kiosk = Client(REMOTE_ADDR="10.1.2.3")
    # One kiosk trying one PIN on many accounts is held up, whoever it tries next...
    for number in ("A1111AA", "A2222AA", "A3333AA"):
        pin_sign_in(at_kiosk, number, "1357")
    assert SLOWED in pin_sign_in(at_kiosk, "A1234BC", PRISONER_PIN).content.decode()
    assert PinThrottle.objects.get(device=device, account=None).failures == 3
    # ...but only that kiosk.
    assert pin_sign_in(Client(), "A1234BC", PRISONER_PIN)["Location"] == "/portal/"


def test_it_keeps_a_prisoners_session_when_their_pin_is_slowed_down(
    client_prisoner: Client, estate: Estate
) -> None:
    assert client_prisoner.get("/portal/").status_code == 200
    for _ in range(settings.WICKETGATE_PIN_FAILURE_LIMIT + 2):
        check_prisoner_pin("A1234BC", "1111")
    assert client_prisoner.get("/portal/").status_code == 200


def test_it_ends_a_prisoners_session_when_their_account_is_suspended(
    client_prisoner: Client, estate: Estate
) -> None:
    assert client_prisoner.get("/portal/").status_code == 200
    User.objects.filter(pk=estate.prisoner_user.pk).update(is_active=False)
    assert client_prisoner.get("/portal/")["Location"].startswith("/portal/sign-in")


def test_it_signs_a_prisoner_out(client_prisoner: Client) -> None:
    assert client_prisoner.post("/portal/sign-out")["Location"] == "/portal/sign-in"
    assert client_prisoner.get("/portal/").status_code == 302


def test_it_signs_a_family_member_in(client_anon: Client, estate: Estate) -> None:
    response = client_anon.post(
        "/family/sign-in", {"email": "Family@Example.org", "password": PASSWORD}
    )
    assert response["Location"] == "/family/"
    assert "Hello, Fay" in client_anon.get("/family/").content.decode()


def test_it_refuses_a_wrong_family_password(client_anon: Client, estate: Estate) -> None:
    response = client_anon.post(
        "/family/sign-in", {"email": "family@example.org", "password": "nope"}
    )
    assert "The email address or password is not right." in response.content.decode()
    assert client_anon.get("/family/").status_code == 302


def test_it_refuses_staff_on_the_family_portal(client_anon: Client, estate: Estate) -> None:
    response = client_anon.post(
        "/family/sign-in", {"email": "clerk.a@example.org", "password": PASSWORD}
    )
    assert "The email address or password is not right." in response.content.decode()
    estate.clerk_a.username = "clerk.a@example.org"
    estate.clerk_a.save()
    response = client_anon.post(
        "/family/sign-in", {"email": "clerk.a@example.org", "password": PASSWORD}
    )
    assert "The email address or password is not right." in response.content.decode()
    events = AuditEvent.objects.filter(action="accounts.sign_in")
    assert any(event.details.get("reason") == "not_family" for event in events)


def test_it_signs_a_family_member_out(client_family: Client) -> None:
    assert client_family.post("/family/sign-out")["Location"] == "/family/sign-in"
    assert client_family.get("/family/").status_code == 302


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("client_a", "/portal/"),
        ("client_family", "/portal/"),
        ("client_a", "/family/"),
        ("client_prisoner", "/family/"),
    ],
)
def test_it_admits_only_its_own_kind_of_user(
    who: str, url: str, request: pytest.FixtureRequest
) -> None:
    assert request.getfixturevalue(who).get(url).status_code == 404


@pytest.mark.parametrize(
    ("url", "sign_in"), [("/portal/", "/portal/sign-in"), ("/family/", "/family/sign-in")]
)
def test_it_sends_anonymous_visitors_to_the_portals_sign_in(
    client_anon: Client, url: str, sign_in: str
) -> None:
    assert client_anon.get(url)["Location"] == f"{sign_in}?next={url}"


def test_the_device_address_is_believed_from_a_trusted_gateway_only(settings: Any) -> None:
    from django.test import RequestFactory

    from wicketgate.web.signin import device_address

    settings.WICKETGATE_TRUSTED_GATEWAYS = ["10.0.0.1"]
    factory = RequestFactory()
    header = {"X-Wicketgate-Device-Address": "10.20.0.7"}
    assert device_address(factory.get("/", REMOTE_ADDR="10.0.0.1", headers=header)) == "10.20.0.7"
    # From anyone else, the connection's own address, whatever the header says.
    assert device_address(factory.get("/", REMOTE_ADDR="10.20.0.9", headers=header)) == "10.20.0.9"
    # Through the gateway, but no device named (or nonsense): no device.
    assert device_address(factory.get("/", REMOTE_ADDR="10.0.0.1")) is None
    bad = {"X-Wicketgate-Device-Address": "10.20.0.7, 1.2.3.4"}
    assert device_address(factory.get("/", REMOTE_ADDR="10.0.0.1", headers=bad)) is None

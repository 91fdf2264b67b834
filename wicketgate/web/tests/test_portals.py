"""The prisoner portal (prison number and PIN) and the family portal (email and password)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from wicketgate.accounts.models import PrisonerAccount
from wicketgate.audit.models import AuditEvent
from wicketgate.estate.models import Establishment
from wicketgate.testing.personas import PASSWORD, PRISONER_PIN, Estate

LOCKED = "Your account is locked"


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


def test_it_refuses_a_wrong_pin(client_anon: Client, estate: Estate) -> None:
    response = pin_sign_in(client_anon, "A1234BC", "9999")
    assert "The prison number or PIN is not right." in response.content.decode()
    assert account(estate).failed_attempts == 1
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


def test_it_locks_the_account_after_the_pin_failure_limit(
    client_anon: Client, estate: Estate, settings: Any
) -> None:
    settings.WICKETGATE_PIN_FAILURE_LIMIT = 3
    responses = [pin_sign_in(client_anon, "A1234BC", "9999") for _ in range(3)]
    assert LOCKED not in responses[1].content.decode()
    assert LOCKED in responses[2].content.decode()
    assert "Ask a member of staff to unlock it" in responses[2].content.decode()
    assert account(estate).is_locked

    # The right PIN does not open a locked account.
    response = pin_sign_in(client_anon, "A1234BC", PRISONER_PIN)
    assert LOCKED in response.content.decode()
    assert client_anon.get("/portal/").status_code == 302


def test_it_lets_a_prisoner_back_in_once_staff_unlock_them(
    client_anon: Client, client_a: Client, estate: Estate
) -> None:
    # At the default limits django-axes and the PIN lock trip together.
    responses = [
        pin_sign_in(client_anon, "A1234BC", "9999")
        for _ in range(settings.WICKETGATE_PIN_FAILURE_LIMIT)
    ]
    assert LOCKED in responses[-1].content.decode()
    assert account(estate).is_locked
    client_a.post("/staff/prisoners/A1234BC/account/unlock")
    assert not account(estate).is_locked
    assert pin_sign_in(client_anon, "A1234BC", PRISONER_PIN)["Location"] == "/portal/"


def test_it_does_not_lock_other_prisoners_at_the_same_kiosk(
    client_anon: Client, estate: Estate, settings: Any
) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        pin_sign_in(client_anon, "Z9999ZZ", "1357")
    assert pin_sign_in(client_anon, "A1234BC", PRISONER_PIN)["Location"] == "/portal/"


def test_it_ends_a_prisoners_session_when_their_account_is_locked(
    client_prisoner: Client, estate: Estate
) -> None:
    assert client_prisoner.get("/portal/").status_code == 200
    PrisonerAccount.objects.filter(pk=account(estate).pk).update(locked_at="2025-01-01T00:00:00Z")
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

"""Staff sign-in: username, password and a second factor on one form, throttled by axes."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from wicketgate.accounts.actions import do_issue_backup_codes
from wicketgate.accounts.models import User
from wicketgate.audit.models import AuditEvent
from wicketgate.testing.personas import PASSWORD, SETUP, Estate

GENERIC_ERROR = "The username, password or security code is not right."


def app_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def sign_in(client: Client, username: str, password: str, code: str, **extra: str) -> Any:
    return client.post(
        "/staff/sign-in", {"username": username, "password": password, "otp_token": code, **extra}
    )


def sign_in_events(outcome: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="accounts.sign_in", outcome=outcome).order_by("seq")
    )


def test_it_shows_the_sign_in_form(client_anon: Client) -> None:
    response = client_anon.get("/staff/sign-in")
    assert response.status_code == 200
    assert b"<title>Sign in \xe2\x80\x93 Wicketgate</title>" in response.content
    assert b'autocomplete="one-time-code"' in response.content


def test_it_signs_in_with_the_authenticator_app(client_anon: Client, estate: Estate) -> None:
    response = sign_in(client_anon, "clerk.a", PASSWORD, app_code(estate.clerk_a))
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert client_anon.get("/staff/prisoners/").status_code == 200
    [event] = sign_in_events("success")
    assert event.actor_label == "clerk.a"
    assert event.details["second_factor"] == "authenticator_app"


def test_it_signs_in_with_a_backup_code_once_only(client_anon: Client, estate: Estate) -> None:
    [code] = do_issue_backup_codes(estate.clerk_a, actor=SETUP, count=1)
    assert sign_in(client_anon, "clerk.a", PASSWORD, code.upper()).status_code == 302
    assert sign_in_events("success")[0].details["second_factor"] == "backup_code"
    assert not StaticToken.objects.filter(token=code).exists()

    again = Client()
    response = sign_in(again, "clerk.a", PASSWORD, code)
    assert response.status_code == 200
    assert GENERIC_ERROR in response.content.decode()
    assert again.get("/staff/").status_code == 302


def test_it_refuses_a_wrong_password(client_anon: Client, estate: Estate) -> None:
    response = sign_in(client_anon, "clerk.a", "not the password", app_code(estate.clerk_a))
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert GENERIC_ERROR in content
    assert content.count('class="govuk-error-summary"') == 1
    assert client_anon.get("/staff/").status_code == 302
    [event] = sign_in_events("denied")
    assert event.actor_kind == "system"
    assert event.actor_label == "web"
    assert event.details["username"] == "clerk.a"
    assert event.details["reason"] == "password"


def test_it_refuses_a_wrong_code(client_anon: Client, estate: Estate) -> None:
    response = sign_in(client_anon, "clerk.a", PASSWORD, "000000")
    assert GENERIC_ERROR in response.content.decode()
    assert client_anon.get("/staff/").status_code == 302
    [event] = sign_in_events("denied")
    assert event.details["reason"] == "second_factor"
    assert event.subject_id == str(estate.clerk_a.pk)


def test_it_never_writes_a_password_or_code_to_the_audit_log(
    client_anon: Client, estate: Estate
) -> None:
    sign_in(client_anon, "clerk.a", "s3cret-typo-password", "123456")
    sign_in(client_anon, "clerk.a", PASSWORD, "987654")
    for event in AuditEvent.objects.filter(action="accounts.sign_in"):
        text = str(event.details)
        assert "s3cret-typo-password" not in text
        assert PASSWORD not in text
        assert "123456" not in text and "987654" not in text


@pytest.mark.parametrize("persona", ["family_user", "prisoner_user"])
def test_it_refuses_someone_who_is_not_staff(
    client_anon: Client, estate: Estate, persona: str
) -> None:
    user = getattr(estate, persona)
    response = sign_in(client_anon, user.username, PASSWORD, "123456")
    assert GENERIC_ERROR in response.content.decode()
    assert client_anon.get("/staff/").status_code == 302


def test_it_asks_for_each_missing_answer(client_anon: Client, estate: Estate) -> None:
    content = sign_in(client_anon, "", "", "").content.decode()
    assert '<a href="#id_username">Enter your username</a>' in content
    assert '<a href="#id_password">Enter your password</a>' in content
    assert "Enter the security code from your authenticator app, or a backup code" in content
    assert 'aria-describedby="id_username_error"' in content
    assert not AuditEvent.objects.filter(action="accounts.sign_in").exists()


def test_it_locks_out_after_the_failure_limit(client_anon: Client, estate: Estate) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    responses = [sign_in(client_anon, "clerk.a", f"wrong-{n}", "123456") for n in range(limit)]
    assert all(r.status_code == 200 for r in responses[:-1])
    assert responses[-1].status_code == 429
    assert "You cannot sign in at the moment" in responses[-1].content.decode()

    # Now even the right answers are refused until the cool-off ends.
    response = sign_in(client_anon, "clerk.a", PASSWORD, app_code(estate.clerk_a))
    assert response.status_code == 429
    assert client_anon.get("/staff/").status_code == 302
    assert sign_in_events("denied")[-1].details["reason"] == "locked_out"


def test_it_counts_wrong_codes_towards_the_lockout(client_anon: Client, estate: Estate) -> None:
    responses = [
        sign_in(client_anon, "clerk.a", PASSWORD, f"{n:06d}")
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert responses[-1].status_code == 429


def test_it_does_not_lock_out_other_staff(client_anon: Client, estate: Estate) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client_anon, "clerk.b", f"wrong-{n}", "123456")
    assert sign_in(client_anon, "clerk.a", PASSWORD, app_code(estate.clerk_a)).status_code == 302


def test_it_gives_a_new_session_on_sign_in(client_anon: Client, estate: Estate) -> None:
    client_anon.get("/staff/sign-in")
    session = client_anon.session
    session["planted"] = "by someone else"
    session.save()
    before = session.session_key
    sign_in(client_anon, "clerk.a", PASSWORD, app_code(estate.clerk_a))
    assert client_anon.session.session_key != before


def test_it_goes_to_the_page_asked_for(client_anon: Client, estate: Estate) -> None:
    response = sign_in(
        client_anon, "clerk.a", PASSWORD, app_code(estate.clerk_a), next="/staff/prisoners/A1234BC/"
    )
    assert response["Location"] == "/staff/prisoners/A1234BC/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/staff/", "/portal/", "/api/v1/"]
)
def test_it_ignores_a_next_page_outside_the_staff_site(
    client_anon: Client, estate: Estate, target: str
) -> None:
    response = sign_in(client_anon, "clerk.a", PASSWORD, app_code(estate.clerk_a), next=target)
    assert response["Location"] == "/staff/"


def test_it_signs_out(client_a: Client, estate: Estate) -> None:
    response = client_a.post("/staff/sign-out")
    assert response["Location"] == "/staff/sign-in"
    assert client_a.get("/staff/").status_code == 302
    assert AuditEvent.objects.filter(action="accounts.sign_out", actor_label="clerk.a").exists()
    assert "You have signed out." in client_a.get("/staff/sign-in").content.decode()


def test_it_sends_signed_in_staff_from_the_sign_in_page_home(client_a: Client) -> None:
    assert client_a.get("/staff/sign-in")["Location"] == "/staff/"


def test_it_asks_a_session_without_a_second_factor_to_sign_in_again(
    client_unverified: Client,
) -> None:
    assert client_unverified.get("/staff/sign-in").status_code == 200

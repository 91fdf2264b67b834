from __future__ import annotations

import datetime as dt

import pytest
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.utils import timezone
from ninja.errors import HttpError

from wicketgate.accounts.actions import do_revoke_api_token
from wicketgate.accounts.models import ApiToken
from wicketgate.api.auth import VerifiedStaffSession
from wicketgate.api.tests.helpers import (
    A_ENDPOINTS,
    TokenClient,
    signed_in_without_second_factor,
    token_for,
)
from wicketgate.testing.personas import SETUP, Estate


@pytest.mark.parametrize("path", A_ENDPOINTS)
def test_it_refuses_a_request_without_credentials(estate: Estate, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization" in response.json()["detail"]


@pytest.mark.parametrize("path", A_ENDPOINTS)
def test_it_answers_the_owner_with_a_token(token_a: TokenClient, path: str) -> None:
    assert token_a.get(path).status_code == 200


@pytest.mark.parametrize("path", A_ENDPOINTS)
def test_it_answers_the_owner_with_a_verified_session(client_a: Client, path: str) -> None:
    assert client_a.get(path).status_code == 200


@pytest.mark.parametrize("path", A_ENDPOINTS)
def test_it_refuses_a_revoked_token(estate: Estate, token_a: TokenClient, path: str) -> None:
    do_revoke_api_token(ApiToken.objects.get(user=estate.clerk_a), actor=SETUP)
    response = token_a.get(path)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


@pytest.mark.parametrize("path", A_ENDPOINTS)
def test_it_refuses_an_expired_token(estate: Estate, path: str) -> None:
    expired = token_for(estate.clerk_a, expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert TokenClient(expired).get(path).status_code == 401


@pytest.mark.parametrize(
    "token",
    ["", "wg_nope", "wg_000000000000_wrong", "xx_a_b", "not-a-token"],
)
def test_it_refuses_a_malformed_or_unknown_token(estate: Estate, token: str) -> None:
    assert TokenClient(token).get("/api/v1/me").status_code == 401


def test_it_refuses_a_token_with_the_right_key_id_and_the_wrong_secret(
    token_a: TokenClient,
) -> None:
    prefix, key_id, _secret = token_a.token.split("_", 2)
    assert TokenClient(f"{prefix}_{key_id}_guessed").get("/api/v1/me").status_code == 401


def test_it_refuses_the_token_of_a_deactivated_member_of_staff(
    estate: Estate, token_a: TokenClient
) -> None:
    estate.clerk_a.is_active = False
    estate.clerk_a.save()
    assert token_a.get("/api/v1/me").status_code == 401


def test_it_does_not_fall_back_to_the_session_when_a_token_is_wrong(
    client_a: Client,
) -> None:
    response = client_a.get("/api/v1/me", headers={"Authorization": "Bearer wg_0_0"})
    assert response.status_code == 401


@pytest.mark.parametrize("path", A_ENDPOINTS)
@pytest.mark.parametrize("who", ["prisoner_user", "family_user"])
def test_it_gives_a_prisoner_or_family_session_nothing(estate: Estate, path: str, who: str) -> None:
    response = signed_in_without_second_factor(getattr(estate, who)).get(path)
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("path", A_ENDPOINTS)
def test_it_refuses_a_staff_session_without_its_second_factor(estate: Estate, path: str) -> None:
    response = signed_in_without_second_factor(estate.clerk_a).get(path)
    assert response.status_code == 401


def test_it_notes_when_a_token_was_last_used_at_most_once_a_minute(
    estate: Estate, token_a: TokenClient
) -> None:
    token = ApiToken.objects.get(user=estate.clerk_a)
    assert token.last_used_at is None

    token_a.get("/api/v1/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    token_a.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == first

    earlier = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    token_a.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > earlier + dt.timedelta(minutes=1)


def _verified_post(
    estate: Estate, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str] | None = None
) -> HttpRequest:
    request = RequestFactory().post("/api/v1/me", headers=headers)
    user = estate.clerk_a
    # What OTPMiddleware installs on the user once the second factor is passed.
    monkeypatch.setattr(user, "is_verified", lambda: True, raising=False)
    request.user = user
    return request


def test_it_keeps_csrf_protection_for_unsafe_methods_on_a_session(
    estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No endpoint changes anything yet; the session authenticator is what will guard them.
    with pytest.raises(HttpError) as refused:
        VerifiedStaffSession()(_verified_post(estate, monkeypatch))
    assert refused.value.status_code == 403


def test_it_accepts_an_unsafe_session_request_that_carries_the_csrf_token(
    estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "a" * 32
    request = _verified_post(estate, monkeypatch, {"X-CSRFToken": token})
    request.COOKIES["csrftoken"] = token
    assert VerifiedStaffSession()(request) == estate.clerk_a

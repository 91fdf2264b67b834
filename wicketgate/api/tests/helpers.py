"""What the API tests share: token clients, sign-ins without a second factor, endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from wicketgate.accounts.actions import do_create_api_token
from wicketgate.accounts.models import User
from wicketgate.testing.personas import SETUP


class TokenClient(Client):
    """A client that sends ``Authorization: Bearer <token>`` with every request."""

    def __init__(self, token: str, **kwargs: Any) -> None:
        super().__init__(headers={"Authorization": f"Bearer {token}"}, **kwargs)
        self.token = token


def token_for(user: User, *, expires_at: dt.datetime | None = None) -> str:
    return do_create_api_token(user, "test integration", actor=SETUP, expires_at=expires_at)[1]


def signed_in_without_second_factor(user: User) -> Client:
    """A session as prisoners and families have one: signed in, no staff second factor."""
    client = Client()
    client.force_login(user, backend="wicketgate.accounts.backends.PasswordBackend")
    return client


# Every endpoint, each with the path to A's records, for the checks that apply to all.
A_ENDPOINTS = [
    "/api/v1/me",
    "/api/v1/establishments",
    "/api/v1/establishments/NGT",
    "/api/v1/establishments/NGT/locations",
    "/api/v1/prisoners",
    "/api/v1/prisoners/A1234BC",
    "/api/v1/prisoners/A1234BC/sanctions",
    "/api/v1/conduct/alerts",
    "/api/v1/courses",
    "/api/v1/prisoners/A1234BC/learning",
]

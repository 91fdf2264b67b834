from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wicketgate.accounts.roles import StaffRole
from wicketgate.testing.personas import Estate, staff_client


@pytest.fixture
def client_anon(estate: Estate) -> Client:
    return Client()


@pytest.fixture
def client_prisoner(estate: Estate) -> Client:
    client = Client()
    client.force_login(
        estate.prisoner_user, backend="wicketgate.accounts.backends.PrisonerPinBackend"
    )
    return client


@pytest.fixture
def client_family(estate: Estate) -> Client:
    client = Client()
    client.force_login(estate.family_user, backend="wicketgate.accounts.backends.PasswordBackend")
    return client


@pytest.fixture
def client_unverified(estate: Estate) -> Client:
    """The clerk at A, signed in with a password but no second factor."""
    client = Client()
    client.force_login(estate.clerk_a, backend="wicketgate.accounts.backends.PasswordBackend")
    return client


@pytest.fixture
def plain_http(settings: Any) -> None:
    """Cookies over plain HTTP, as the test client and the live server use."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def teacher(estate: Estate) -> Client:
    """Education staff at A: may propose policy there, not approve it."""
    return staff_client(estate, "teacher.a", StaffRole.EDUCATION)


@pytest.fixture
def security(estate: Estate) -> Client:
    """The security department at A: may propose and approve policy there."""
    return staff_client(estate, "security.a", StaffRole.SECURITY)

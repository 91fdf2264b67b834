from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wicketgate.testing.personas import Estate, build_estate, sign_in_staff


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Any) -> None:
    # The hashed-name storage needs collectstatic first; tests serve files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is deliberately slow; tests that are not about hashing need not pay for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def estate(db: Any) -> Estate:
    return build_estate()


@pytest.fixture
def client_a(estate: Estate) -> Client:
    """Signed in as the clerk at establishment A."""
    return sign_in_staff(Client(), estate.clerk_a)


@pytest.fixture
def client_b(estate: Estate) -> Client:
    """Signed in as the clerk at establishment B: the outsider for A's records."""
    return sign_in_staff(Client(), estate.clerk_b)


@pytest.fixture
def client_admin(estate: Estate) -> Client:
    return sign_in_staff(Client(), estate.estate_admin)

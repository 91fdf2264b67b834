from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from wicketgate.accounts.roles import StaffRole
from wicketgate.testing.personas import Estate, build_estate, sign_in_staff, staff_client


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Any) -> None:
    # The hashed-name storage needs collectstatic first; tests serve files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _audit_guards_lifted_for_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that empty the database between runs need the append-only guards lifted.

    Only for those tests, and only after the test itself has run with the guards in place.
    """
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db")  # so that its flush runs after our teardown
    from django.db import connection

    from wicketgate.audit import guards

    guards.install(connection)
    yield
    guards.remove(connection)


@pytest.fixture(autouse=True)
def _fresh_policy_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own process-wide engine: the database is rolled back between tests, so
    policy-change ids come round again and an engine kept from an earlier test could take
    a new change for one it has already seen."""
    from wicketgate.policy import engine as engine_module

    monkeypatch.setattr(engine_module, "_engine", engine_module.Engine(refresh_every=0))


@pytest.fixture(autouse=True)
def _phone_folder_of_its_own(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Phone keys and recordings in a folder of the test's own, not the data folder; and no
    media relay unless the test starts its own (never a demo's running on this machine)."""
    settings.WICKETGATE_PHONE_DIR = tmp_path_factory.mktemp("phone")
    settings.WICKETGATE_PHONE_MEDIA_CONTROL = "127.0.0.1:9"  # discard: nothing answers


@pytest.fixture(autouse=True)
def _learning_folders_of_its_own(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The offline library and the credential keys in folders of the test's own."""
    settings.WICKETGATE_LIBRARY_DIR = tmp_path_factory.mktemp("library")
    settings.WICKETGATE_LEARNING_KEYS_DIR = tmp_path_factory.mktemp("keys")


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


@pytest.fixture
def load_policy(tmp_path: Path) -> Callable[..., Any]:
    """Import a policy YAML text as an administrator would."""
    from wicketgate.testing.policy import import_policy

    return lambda text, establishment=None: import_policy(tmp_path, text, establishment)


# --- signed in as each persona, for every app's page tests ---------------------------------


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

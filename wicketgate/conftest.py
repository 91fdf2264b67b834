from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
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

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import transaction

from wicketgate.gateway.tests.fuzz.targets import Helper, build_helper
from wicketgate.testing.policy import POLICY_WEEK


@pytest.fixture(scope="module")
def helper(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Helper]:
    """One world for a module's questions (the gatekeeper never reads the database after
    it is built), rolled back after them; the clock stopped in the policy week, and the
    gatekeeper's a minute after the session opened. Tests that use it are marked
    ``django_db``, so that pytest-django sets up the test database."""
    with (
        time_machine.travel(POLICY_WEEK, tick=False),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_helper(tmp_path_factory.mktemp("fuzz"), POLICY_WEEK + dt.timedelta(minutes=1))
        transaction.set_rollback(True)

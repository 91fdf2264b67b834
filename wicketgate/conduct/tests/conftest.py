from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from wicketgate.conduct.codes import Status
from wicketgate.conduct.models import Incident
from wicketgate.people.models import Prisoner
from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import SETUP, Estate
from wicketgate.testing.policy import POLICY


@pytest.fixture
def world(estate: Estate, load_policy: Callable[[str], Any]) -> Estate:
    load_policy(POLICY)
    return estate


@pytest.fixture
def engine() -> Engine:
    return Engine(refresh_every=0)


def incident_in(prisoner: Prisoner, status: str = Status.PROVED, **fields: Any) -> Incident:
    """An incident put straight into ``status`` (as if its earlier moves had happened)."""
    return Incident.objects.create(
        establishment_id=prisoner.establishment_id,
        prisoner=prisoner,
        occurred_at=timezone.now() - dt.timedelta(hours=3),
        service="web",
        summary="Tried to reach blocked sites",
        description="Repeated attempts at a forbidden category.",
        status=status,
        reported_by=SETUP.label,
        **fields,
    )

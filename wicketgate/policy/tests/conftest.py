from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import SETUP, Estate
from wicketgate.testing.policy import POLICY


@pytest.fixture
def policy(estate: Estate, load_policy: Callable[[str], Any]) -> Estate:
    load_policy(POLICY)
    return estate


@pytest.fixture
def fresh_engine() -> Engine:
    return Engine(refresh_every=0)


@pytest.fixture
def forbid_all_for_cyber(policy: Estate, load_policy: Callable[[str], Any]) -> Estate:
    import datetime as dt

    from wicketgate.people.actions import do_add_alert

    load_policy(
        "rules:\n  - {id: nothing-for-cyber, forbid: ALL, when: {alert: [CYBER]}}\n"
        "exceptions:\n  - {prisoner: A1234BC, allow: {category: NEWS}, until: 2099-01-01, reason: test}\n"
    )
    do_add_alert(policy.prisoner_a, "CYBER", actor=SETUP, starts_on=dt.date(2025, 1, 1))
    return policy

"""The adversarial suite: every known way around the web gateway, tried through the real
Squid that ``wicketgate up`` starts, each asserting the refusal and what is recorded.

A bypass found or reported becomes a test here, and stays. The prisoner is Alan
(A1234BC, a laptop in his cell at HMP Northgate); a second prisoner, Bilal, shares the
gateway where a test needs someone else's traffic beside the attacker's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from wicketgate.gateway.actions import do_open_device_session, do_register_device
from wicketgate.policy.codes import DEFAULT_CATEGORIES
from wicketgate.policy.models import Category
from wicketgate.testing.gateway import RunningGateway, running_gateway, wait_for
from wicketgate.testing.personas import SETUP, Estate, build_estate

POLICY = """
sites:
  - {name: NHS, hosts: [www.nhs.uk], category: HEALTH}
  - {name: OpenLearn, hosts: [www.open.edu], category: EDUCATION, paths: [/openlearn/]}
  - {name: Example News, hosts: [blocked.example.com], category: NEWS}
rules:
  - {id: learning, allow: [HEALTH, EDUCATION]}
  - {id: no-news, forbid: [NEWS], description: News sites are not part of this trial.}
"""


@dataclass
class Browsing:
    """A prisoner's proxy credentials (``user:password``) on the gateway."""

    gateway: RunningGateway
    alan: str
    bilal: str


@pytest.fixture
def world(transactional_db: Any, load_policy: Callable[..., Any]) -> Estate:
    for code, name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name})
    estate = build_estate()
    load_policy(POLICY)
    return estate


def open_session(gateway: RunningGateway, estate: Estate, who: str) -> str:
    alan = who == "alan"
    prisoner, establishment = (
        (estate.prisoner_a, estate.a) if alan else (estate.prisoner_b, estate.b)
    )
    location = estate.a_cell if alan else estate.b_cell
    device, _key = do_register_device(
        device_id=f"LAPTOP-{who.upper()}",
        establishment=establishment,
        location=location,
        kind="laptop",
        actor=SETUP,
    )
    session, password = do_open_device_session(prisoner=prisoner, device=device, actor=SETUP)
    wait_for(lambda: gateway.service is not None and gateway.service.sessions.get(session.username))
    return f"{session.username}:{password}"


@pytest.fixture
def browsing(world: Estate, settings: Any) -> Iterator[Browsing]:
    with running_gateway(settings) as gateway:
        yield Browsing(
            gateway, open_session(gateway, world, "alan"), open_session(gateway, world, "bilal")
        )

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

from wicketgate.testing.gateway import (
    RunningGateway,
    device_session,
    gateway_world,
    running_gateway,
)
from wicketgate.testing.personas import Estate

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
    return gateway_world(load_policy, POLICY)


def open_session(gateway: RunningGateway, estate: Estate, who: str) -> str:
    """``user:password`` of a session for Alan ("alan") or Bilal, once the gateway has it."""
    letter = "a" if who == "alan" else "b"
    session, password = device_session(estate, f"LAPTOP-{who.upper()}", who=letter, gateway=gateway)
    return f"{session.username}:{password}"


@pytest.fixture
def browsing(world: Estate, settings: Any) -> Iterator[Browsing]:
    with running_gateway(settings) as gateway:
        yield Browsing(
            gateway, open_session(gateway, world, "alan"), open_session(gateway, world, "bilal")
        )

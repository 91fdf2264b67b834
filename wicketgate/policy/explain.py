"""A decision with the facts it was made on, for the staff's "why?" tool.

The facts are the prisoner's Cedar entity as the engine built it for that day (their
category, level, age, alerts in force) and the exceptions in force for them, read from
the same snapshot as the decision, so what staff see is what was decided on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from wicketgate.policy.compiler import principal_at
from wicketgate.policy.engine import Decision, Engine


@dataclass(frozen=True)
class ExceptionFact:
    effect: str
    site: str | None  # the site's name
    category: str | None
    until: dt.date
    reason: str


@dataclass(frozen=True)
class Explanation:
    decision: Decision
    at: dt.datetime
    day: dt.date  # in establishment time
    attrs: dict[str, Any]  # the prisoner's Cedar attributes on that day
    exceptions: list[ExceptionFact]


def explain(
    engine: Engine, prison_number: str, url: str, at: dt.datetime, location: str | None
) -> Explanation:
    """Raises what ``Engine.decide`` raises: UnknownPrisoner, hosts.BadResource."""
    decision = engine.decide(prison_number, url, at=at, location=location)
    snap = engine.snapshot()
    slice_ = snap.prisoners[prison_number.strip().upper()]
    day = at.astimezone(snap.zone).date()
    exceptions = [
        ExceptionFact(
            effect=effect,
            site=(snap.sites[site_id].name if site_id in snap.sites else f"#{site_id}")
            if site_id
            else None,
            category=category,
            until=until,
            reason=reason,
        )
        for effect, site_id, category, until, reason in slice_.exceptions
        if day <= until
    ]
    return Explanation(
        decision=decision,
        at=at,
        day=day,
        attrs=principal_at(slice_, at, snap.courses, snap.zone)["attrs"],
        exceptions=sorted(exceptions, key=lambda e: e.until),
    )

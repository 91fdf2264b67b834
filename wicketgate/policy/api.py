"""Policy decisions: the same question the gateway asks, for integrations and the "why?" tool."""

# No ``from __future__ import annotations``: ninja reads the signatures at import time.

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from wicketgate.accounts.roles import Action
from wicketgate.api.auth import caller
from wicketgate.api.schemas import INVALID, NOT_FOUND
from wicketgate.estate.codes import LocationKind
from wicketgate.people.models import Prisoner
from wicketgate.policy.engine import UnknownPrisoner, decide
from wicketgate.policy.hosts import BadResource

router = Router(tags=["policy"])


class DecisionIn(Schema):
    prisoner: str = Field(
        description="Prison number, e.g. A1234BC", pattern=r"^[A-Za-z][0-9]{4}[A-Za-z]{2}$"
    )
    url: str = Field(
        description="The address asked for, or a bare host (as for HTTPS)", max_length=2000
    )
    at: dt.datetime | None = Field(None, description="When (ISO-8601 with a zone); default now")
    location: LocationKind | None = Field(None, description="Where the request comes from")


class DecisionOut(Schema):
    decision: str = Field(description="allow or deny")
    rules: list[str]
    reasons: list[str]
    obligations: dict[str, Any]
    site: str | None
    category: str | None
    policy_version: int


@router.post("/decisions", response={200: DecisionOut, **NOT_FOUND, **INVALID})
def make_decision(request: HttpRequest, body: DecisionIn) -> dict[str, Any]:
    """Decide whether a prisoner may reach a URL at a time and place, and why.

    The prisoner must be at one of the caller's establishments (else 404, as for any
    record out of scope). A malformed URL is a 422 and never an allow.
    """
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(caller(request), Action.VIEW), prison_number=body.prisoner.upper()
    )
    if body.at is not None and body.at.tzinfo is None:
        raise HttpError(422, "at: give a time zone, e.g. 2026-11-26T10:00:00+00:00")
    try:
        decision = decide(prisoner.prison_number, body.url, at=body.at, location=body.location)
    except BadResource as exc:
        raise HttpError(422, f"url: {exc}") from exc
    except UnknownPrisoner as exc:  # in the database but not yet in the snapshot
        raise HttpError(
            503, "the policy snapshot does not have this prisoner yet; try again"
        ) from exc
    return decision.as_json()

"""Sanctions and conduct alerts, as the caller's scope allows; sanctions given and quashed."""

# No ``from __future__ import annotations`` here: ninja reads the view signatures at
# import time.

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from wicketgate.accounts.roles import Action
from wicketgate.api.auth import caller
from wicketgate.api.schemas import INVALID, NOT_FOUND, ErrorOut
from wicketgate.audit.log import Actor
from wicketgate.conduct.actions import ConductError, do_add_sanction, do_quash_sanction
from wicketgate.conduct.codes import AlertKind, AlertStatus, Service
from wicketgate.conduct.models import ConductAlert, Incident, Sanction
from wicketgate.people.models import Prisoner

router = Router(tags=["conduct"])

REFUSED = {**NOT_FOUND, 422: ErrorOut}


class SanctionOut(Schema):
    id: int
    prison_number: str
    service: Service
    categories: list[str]
    includes_education: bool
    privilege: str
    restricts: str
    days: int
    state: str = Field(description="quashed, suspended, lapsed, pending, in_force or served")
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    suspended_until: dt.datetime | None
    incident: int | None
    reason: str
    given_by: str
    quashed_at: dt.datetime | None
    quash_reason: str

    @staticmethod
    def resolve_prison_number(obj: Sanction) -> str:
        return obj.prisoner.prison_number

    @staticmethod
    def resolve_state(obj: Sanction) -> str:
        return obj.state(timezone.now())

    @staticmethod
    def resolve_incident(obj: Sanction) -> int | None:
        return obj.incident_id


class SanctionIn(Schema):
    prison_number: str
    service: Service
    days: int = Field(ge=1)
    reason: str = Field(min_length=1, max_length=300)
    categories: list[str] = Field(default_factory=list, description="Web only; empty: all")
    privilege: str = Field("", description="For service 'privileges': which one")
    incident: int | None = Field(None, description="The proved incident it is given for")
    starts_at: dt.datetime | None = None
    suspend_months: int | None = Field(None, ge=1)
    includes_education: bool = Field(
        False, description="Web only: stop the learner's courses' sites and books too"
    )


class QuashIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class AlertOut(Schema):
    id: int
    prison_number: str
    establishment: str
    kind: AlertKind
    summary: str
    status: AlertStatus
    count: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    evidence: list[int]
    incident: int | None

    @staticmethod
    def resolve_prison_number(obj: ConductAlert) -> str:
        return obj.prisoner.prison_number

    @staticmethod
    def resolve_establishment(obj: ConductAlert) -> str:
        return obj.establishment.code

    @staticmethod
    def resolve_incident(obj: ConductAlert) -> int | None:
        return obj.incident_id


@router.get("/prisoners/{prison_number}/sanctions", response={200: list[SanctionOut], **NOT_FOUND})
def list_sanctions(request: HttpRequest, prison_number: str) -> QuerySet[Sanction]:
    """Every sanction of a prisoner held at one of your establishments, newest first."""
    user = caller(request)
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(user, Action.REPORT_INCIDENTS),
        prison_number=prison_number.strip().upper(),
    )
    return Sanction.objects.filter(prisoner=prisoner).select_related("prisoner")


@router.post("/sanctions", response={201: SanctionOut, **REFUSED, **INVALID})
def add_sanction(request: HttpRequest, body: SanctionIn) -> Status[Any]:
    """Give a sanction (adjudicators): enforced everywhere within a second."""
    user = caller(request)
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(user, Action.ADJUDICATE),
        prison_number=body.prison_number.strip().upper(),
    )
    incident = None
    if body.incident is not None:
        incident = get_object_or_404(
            Incident.objects.for_user(user, Action.ADJUDICATE), pk=body.incident
        )
    try:
        given = do_add_sanction(
            prisoner=prisoner,
            service=body.service,
            days=body.days,
            reason=body.reason,
            categories=body.categories,
            privilege=body.privilege,
            incident=incident,
            starts_at=body.starts_at,
            suspend_months=body.suspend_months,
            includes_education=body.includes_education,
            actor=Actor.of_user(user),
        )
    except ConductError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, given)


@router.post("/sanctions/{sanction_id}/quash", response={200: SanctionOut, **REFUSED, **INVALID})
def quash_sanction(request: HttpRequest, sanction_id: int, body: QuashIn) -> Sanction:
    """Quash a sanction (adjudicators): it stops applying at once."""
    user = caller(request)
    found = get_object_or_404(
        Sanction.objects.for_user(user, Action.ADJUDICATE).select_related("prisoner"),
        pk=sanction_id,
    )
    try:
        do_quash_sanction(found, reason=body.reason, actor=Actor.of_user(user))
    except ConductError as exc:
        raise HttpError(422, str(exc)) from exc
    return found


@router.get("/conduct/alerts", response={200: list[AlertOut], **INVALID})
@paginate
def list_alerts(
    request: HttpRequest, status: AlertStatus = AlertStatus.OPEN
) -> QuerySet[ConductAlert]:
    """Conduct alerts at your establishments (security), most recent first."""
    user = caller(request)
    return (
        ConductAlert.objects.for_user(user, Action.REVIEW_ALERTS)
        .filter(status=status)
        .select_related("prisoner", "establishment")
    )

"""People in custody, as the caller's scope allows."""

# No ``from __future__ import annotations`` here: ninja reads the view signatures at
# import time and cannot resolve ``Query[...]`` from a string.

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError
from ninja.pagination import paginate

from wicketgate.accounts.models import User
from wicketgate.accounts.roles import Action
from wicketgate.api.auth import caller
from wicketgate.api.schemas import INVALID, NOT_FOUND
from wicketgate.estate.codes import IncentiveLevel, LocationKind
from wicketgate.estate.models import Establishment, Location
from wicketgate.people.codes import LegalStatus, SecurityCategory
from wicketgate.people.models import (
    AlertCode,
    IncentiveReview,
    Movement,
    Prisoner,
    PrisonerAlert,
    PrisonerQuerySet,
)

router = Router(tags=["people"])


class PrisonerFilters(Schema):
    establishment: str | None = Field(None, description="Establishment code, e.g. NGT")
    wing: str | None = Field(None, description="Location code of a wing, e.g. NGT-A")
    category: SecurityCategory | None = None
    incentive_level: IncentiveLevel | None = None
    alert: str | None = Field(None, description="Code of an active alert, e.g. ESCAPE")
    q: str | None = Field(None, max_length=100, description="Prison number, or words of a name")


class PrisonerItem(Schema):
    prison_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    establishment: str
    location: str | None
    security_category: SecurityCategory
    incentive_level: IncentiveLevel
    legal_status: LegalStatus
    youth: bool
    active_alerts: list[str]

    @staticmethod
    def resolve_establishment(obj: Prisoner) -> str:
        return obj.establishment.code

    @staticmethod
    def resolve_location(obj: Prisoner) -> str | None:
        return obj.location.code if obj.location else None

    @staticmethod
    def resolve_active_alerts(obj: Prisoner) -> list[str]:
        return [alert.code.code for alert in obj.current_alerts]  # type: ignore[attr-defined]  # prefetched


class AlertOut(Schema):
    code: str
    description: str
    starts_on: dt.date
    ends_on: dt.date | None

    @staticmethod
    def resolve_code(obj: PrisonerAlert) -> str:
        return obj.code.code

    @staticmethod
    def resolve_description(obj: PrisonerAlert) -> str:
        return obj.code.description


class IncentiveReviewOut(Schema):
    level: IncentiveLevel
    previous_level: str
    reason: IncentiveReview.Reason
    establishment: str
    reviewed_on: dt.date
    next_review_due: dt.date
    reviewed_by: str
    comment: str

    @staticmethod
    def resolve_establishment(obj: IncentiveReview) -> str:
        return obj.establishment.code


class MovementOut(Schema):
    kind: Movement.Kind
    occurred_at: dt.datetime
    from_establishment: str | None
    to_establishment: str
    from_location: str | None
    to_location: str | None
    recorded_by: str
    comment: str

    @staticmethod
    def resolve_from_establishment(obj: Movement) -> str | None:
        return obj.from_establishment.code if obj.from_establishment else None

    @staticmethod
    def resolve_to_establishment(obj: Movement) -> str:
        return obj.to_establishment.code

    @staticmethod
    def resolve_from_location(obj: Movement) -> str | None:
        return obj.from_location.code if obj.from_location else None

    @staticmethod
    def resolve_to_location(obj: Movement) -> str | None:
        return obj.to_location.code if obj.to_location else None


class PrisonerDetail(PrisonerItem):
    alerts: list[AlertOut]
    incentive_history: list[IncentiveReviewOut]
    movements: list[MovementOut]

    @staticmethod
    def resolve_alerts(obj: Prisoner) -> list[PrisonerAlert]:
        return list(obj.current_alerts)  # type: ignore[attr-defined]  # prefetched

    @staticmethod
    def resolve_incentive_history(obj: Prisoner) -> list[IncentiveReview]:
        return list(obj.history)  # type: ignore[attr-defined]  # prefetched

    @staticmethod
    def resolve_movements(obj: Prisoner) -> list[Movement]:
        return list(obj.movement_list)  # type: ignore[attr-defined]  # prefetched


@router.get("/prisoners", response={200: list[PrisonerItem], **INVALID})
@paginate
def list_prisoners(request: HttpRequest, filters: Query[PrisonerFilters]) -> QuerySet[Prisoner]:
    user = caller(request)
    prisoners = _prisoners(user)
    if filters.establishment:
        establishment = (
            Establishment.objects.for_user(user, Action.VIEW)
            .filter(code=filters.establishment)
            .first()
        )
        if establishment is None:
            raise _bad_filter(
                "establishment", f"{filters.establishment!r} is not an establishment you can see"
            )
        prisoners = prisoners.filter(establishment=establishment)
    if filters.wing:
        wing = (
            Location.objects.for_user(user, Action.VIEW)
            .filter(code=filters.wing, kind=LocationKind.WING)
            .first()
        )
        if wing is None:
            raise _bad_filter("wing", f"{filters.wing!r} is not a wing you can see")
        prisoners = prisoners.in_wing(wing.pk)
    if filters.category:
        prisoners = prisoners.filter(security_category=filters.category)
    if filters.incentive_level:
        prisoners = prisoners.filter(incentive_level=filters.incentive_level)
    if filters.alert:
        if not AlertCode.objects.filter(code=filters.alert).exists():
            raise _bad_filter("alert", f"{filters.alert!r} is not an alert code")
        prisoners = prisoners.with_active_alert(filters.alert)
    if filters.q:
        prisoners = prisoners.search(filters.q)
    return prisoners


@router.get("/prisoners/{prison_number}", response={200: PrisonerDetail, **NOT_FOUND})
def get_prisoner(request: HttpRequest, prison_number: str) -> Prisoner:
    user = caller(request)
    prisoners = _prisoners(user).prefetch_related(
        Prefetch(
            "incentive_reviews",
            queryset=IncentiveReview.objects.for_user(user, Action.VIEW).select_related(
                "establishment"
            ),
            to_attr="history",
        ),
    )
    # One Prefetch a call: django-stubs cannot type two of different models in one.
    prisoners = prisoners.prefetch_related(
        Prefetch(
            "movements",
            queryset=Movement.objects.for_user(user, Action.VIEW).select_related(
                "from_establishment", "to_establishment", "from_location", "to_location"
            ),
            to_attr="movement_list",
        ),
    )
    return get_object_or_404(prisoners, prison_number=prison_number)


def _prisoners(user: User) -> PrisonerQuerySet:
    """The caller's prisoners, with what every representation of one needs loaded."""
    today = timezone.localdate()
    active = (
        PrisonerAlert.objects.for_user(user, Action.VIEW)
        .filter(Q(starts_on__lte=today), Q(ends_on__isnull=True) | Q(ends_on__gt=today))
        .select_related("code")
        .order_by("code__code")
    )
    return (
        Prisoner.objects.for_user(user, Action.VIEW)
        .select_related("establishment", "location")
        .prefetch_related(Prefetch("alerts", queryset=active, to_attr="current_alerts"))
    )


def _bad_filter(name: str, message: str) -> ValidationError:
    # The same shape as pydantic's own complaints about a query parameter.
    return ValidationError([{"type": "value_error", "loc": ["query", name], "msg": message}])

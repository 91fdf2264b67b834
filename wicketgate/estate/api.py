"""Establishments and their locations, as the caller's scope allows."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from wicketgate.accounts.roles import Action
from wicketgate.api.auth import caller
from wicketgate.api.schemas import NOT_FOUND, UNAUTHENTICATED
from wicketgate.estate.codes import FEATURE_DEFAULTS, LocationKind
from wicketgate.estate.models import Establishment, Location

router = Router(tags=["estate"])


class InfrastructureOut(Schema):
    in_cell_cabling: bool
    wifi: bool
    in_cell_laptops: bool
    kiosks: int
    video_suites: int


class EstablishmentOut(Schema):
    code: str
    name: str
    kind: str
    youth: bool
    in_wales: bool
    welsh_name: str
    study_hours: str
    capacity: int | None
    infrastructure: InfrastructureOut
    incentive_levels: list[str]
    default_incentive_level: str
    features: dict[str, bool]

    @staticmethod
    def resolve_infrastructure(obj: Establishment) -> InfrastructureOut:
        return InfrastructureOut(
            in_cell_cabling=obj.in_cell_cabling,
            wifi=obj.wifi,
            in_cell_laptops=obj.in_cell_laptops,
            kiosks=obj.kiosks,
            video_suites=obj.video_suite_count,  # type: ignore[attr-defined]  # annotated
        )

    @staticmethod
    def resolve_incentive_levels(obj: Establishment) -> list[str]:
        return obj.offered_levels

    @staticmethod
    def resolve_features(obj: Establishment) -> dict[str, bool]:
        # Every flag, with the default filled in where the establishment has not chosen.
        return {name: obj.feature(name) for name in FEATURE_DEFAULTS}


class LocationOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    secure_area: bool
    capacity: int | None

    @staticmethod
    def resolve_parent(obj: Location) -> str | None:
        return obj.parent.code if obj.parent else None


@router.get("/establishments", response={200: list[EstablishmentOut], **UNAUTHENTICATED})
def list_establishments(request: HttpRequest) -> QuerySet[Establishment]:
    return _establishments(request)


@router.get("/establishments/{code}", response={200: EstablishmentOut, **NOT_FOUND})
def get_establishment(request: HttpRequest, code: str) -> Establishment:
    return get_object_or_404(_establishments(request), code=code)


@router.get("/establishments/{code}/locations", response={200: list[LocationOut], **NOT_FOUND})
def list_locations(request: HttpRequest, code: str) -> QuerySet[Location]:
    user = caller(request)
    establishment = get_object_or_404(Establishment.objects.for_user(user, Action.VIEW), code=code)
    return (
        Location.objects.for_user(user, Action.VIEW)
        .filter(establishment=establishment)
        .select_related("parent")
        .order_by("code")
    )


def _establishments(request: HttpRequest) -> QuerySet[Establishment]:
    # Explicit order: Meta.ordering does not apply to a query with GROUP BY.
    return (
        Establishment.objects.for_user(caller(request), Action.VIEW)
        .annotate(
            video_suite_count=Count("locations", filter=Q(locations__kind=LocationKind.VIDEO_SUITE))
        )
        .order_by("name")
    )

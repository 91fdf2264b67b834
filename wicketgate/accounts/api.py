"""Who the caller is, and where they may look."""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpRequest
from ninja import Router, Schema

from wicketgate.accounts.roles import Action
from wicketgate.api.auth import caller
from wicketgate.api.schemas import UNAUTHENTICATED
from wicketgate.estate.models import Establishment

router = Router(tags=["accounts"])


class ScopeOut(Schema):
    code: str
    name: str
    roles: list[str]


class MeOut(Schema):
    username: str
    kind: str
    estate_admin: bool
    establishments: list[ScopeOut]


@router.get("/me", response={200: MeOut, **UNAUTHENTICATED})
def me(request: HttpRequest) -> MeOut:
    """The caller, and every establishment they can see with their roles there.

    An estate administrator sees every establishment, with roles only where they
    also hold one.
    """
    user = caller(request)
    roles: dict[int, list[str]] = defaultdict(list)
    for establishment_id, role in user.staff_memberships.order_by("role").values_list(
        "establishment_id", "role"
    ):
        roles[establishment_id].append(role)
    return MeOut(
        username=user.username,
        kind=user.kind,
        estate_admin=user.is_estate_admin,
        establishments=[
            ScopeOut(code=e.code, name=e.name, roles=roles[e.pk])
            for e in Establishment.objects.for_user(user, Action.VIEW).order_by("code")
        ],
    )

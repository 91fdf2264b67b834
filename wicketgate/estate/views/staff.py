"""An establishment's facts, settings and places, for staff who may view it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wicketgate.accounts.roles import Action
from wicketgate.estate.codes import FEATURE_DEFAULTS, IncentiveLevel, LocationKind
from wicketgate.estate.models import Establishment, Location
from wicketgate.estate.text import FEATURE_LABELS
from wicketgate.people.models import Prisoner
from wicketgate.web.decorators import staff_required


@dataclass
class LocationNode:
    location: Location
    children: list[LocationNode] = field(default_factory=list)


@require_GET
@staff_required
def establishment_detail(request: HttpRequest, code: str) -> HttpResponse:
    establishment = get_object_or_404(
        Establishment.objects.for_user(request.user, Action.VIEW), code=code.upper()
    )
    locations = list(
        Location.objects.for_user(request.user, Action.VIEW)
        .filter(establishment=establishment)
        .order_by("code")
    )
    prisoner_count = (
        Prisoner.objects.for_user(request.user, Action.VIEW)
        .filter(establishment=establishment)
        .count()
    )
    level_labels = dict(IncentiveLevel.choices)
    yes, no = _("Yes"), _("No")
    facts = [
        (_("Code"), establishment.code),
        (_("Type"), establishment.get_kind_display()),
        (_("Holds people under 18"), yes if establishment.youth else no),
        (_("In Wales (Welsh and English)"), yes if establishment.in_wales else no),
        *([(_("Name in Welsh"), establishment.welsh_name)] if establishment.welsh_name else []),
        (
            _("Capacity"),
            establishment.capacity if establishment.capacity is not None else _("Not recorded"),
        ),
        (_("People here now"), prisoner_count),
        (_("In-cell cabling"), yes if establishment.in_cell_cabling else no),
        (_("Wi-Fi"), yes if establishment.wifi else no),
        (_("In-cell laptops"), yes if establishment.in_cell_laptops else no),
        (_("Kiosks"), establishment.kiosks),
        (_("Video suites"), sum(1 for loc in locations if loc.kind == LocationKind.VIDEO_SUITE)),
        (_("In-cell study hours (courses)"), establishment.study_hours),
    ]
    incentives = [
        (
            _("Levels offered"),
            ", ".join(str(level_labels[level]) for level in establishment.offered_levels),
        ),
        (_("Level on arrival"), level_labels.get(establishment.default_incentive_level, "")),
    ]
    features = [
        (FEATURE_LABELS.get(name, name), establishment.feature(name)) for name in FEATURE_DEFAULTS
    ]
    return render(
        request,
        "estate/staff/establishment.html",
        {
            "establishment": establishment,
            "facts": facts,
            "incentives": incentives,
            "features": features,
            "tree": location_tree(locations),
            "location_count": len(locations),
            "can_supervise_devices": Establishment.objects.for_user(
                request.user, Action.SUPERVISE_DEVICES
            )
            .filter(pk=establishment.pk)
            .exists(),
            "can_review_alerts": Establishment.objects.for_user(request.user, Action.REVIEW_ALERTS)
            .filter(pk=establishment.pk)
            .exists(),
            "can_manage": Establishment.objects.for_user(request.user, Action.MANAGE_ESTABLISHMENT)
            .filter(pk=establishment.pk)
            .exists(),
        },
    )


def location_tree(locations: list[Location]) -> list[LocationNode]:
    """The locations as a forest, each level in code order; built without further queries."""
    nodes = {location.pk: LocationNode(location) for location in locations}
    roots: list[LocationNode] = []
    for location in locations:
        parent = nodes.get(location.parent_id) if location.parent_id else None
        (parent.children if parent else roots).append(nodes[location.pk])
    return roots

"""The prisoner portal's conduct pages: my sanctions, the charges against me, and appealing.

A prisoner sees only their own records: every read goes through the signed-in prisoner,
so another prisoner's charge is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.audit.log import Actor
from wicketgate.conduct.actions import ConductError, do_move_incident
from wicketgate.conduct.codes import Status
from wicketgate.conduct.forms import PrisonerAppealForm
from wicketgate.conduct.models import Incident, Sanction
from wicketgate.conduct.text import (
    INCIDENT_STATUS_FOR_PRISONER,
    SANCTION_STATES,
    restricts_for_prisoner,
)
from wicketgate.policy.models import Category
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.portals import signed_in_prisoner

PAST = ("served", "quashed", "lapsed")


@dataclass(frozen=True)
class MySanction:
    sanction: Sanction
    state: str
    state_label: str
    colour: str
    restricts: str


@require_GET
@prisoner_required
def my_sanctions(request: HttpRequest) -> HttpResponse:
    sanctions = list(_own_sanctions(request))
    names = dict(Category.objects.values_list("code", "name"))
    now = timezone.now()
    rows = []
    for sanction in sanctions:
        state = sanction.state(now)
        _staff, plain, colour = SANCTION_STATES[state]
        rows.append(
            MySanction(sanction, state, str(plain), colour, restricts_for_prisoner(sanction, names))
        )
    charges = [
        (incident, INCIDENT_STATUS_FOR_PRISONER[incident.status])
        for incident in _own_incidents(request)
    ]
    return render(
        request,
        "conduct/portal/sanctions.html",
        {
            "in_force": [row for row in rows if row.state == "in_force"],
            "coming": [row for row in rows if row.state == "pending"],
            "suspended": [row for row in rows if row.state == "suspended"],
            "past": [row for row in rows if row.state in PAST],
            "charges": charges,
            "proved": Status.PROVED,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@prisoner_required
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(_own_incidents(request), pk=pk)
    if incident.status != Status.PROVED:
        messages.info(
            request,
            _("You cannot appeal %(reference)s now. Where it has got to: %(status)s.")
            % {
                "reference": incident.reference,
                "status": INCIDENT_STATUS_FOR_PRISONER[incident.status],
            },
        )
        return redirect("conduct:portal-sanctions")
    form = PrisonerAppealForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_move_incident(
                incident,
                Status.APPEALED,
                actor=Actor.of_user(request.user),
                notes=form.cleaned_data["grounds"],
            )
        except ConductError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("Your appeal against %(reference)s has been sent. You will be told the decision.")
                % {"reference": incident.reference},
            )
            return redirect("conduct:portal-sanctions")
    names = dict(Category.objects.values_list("code", "name"))
    return render(
        request,
        "conduct/portal/appeal.html",
        {
            "form": form,
            "incident": incident,
            "sanctions": [
                restricts_for_prisoner(sanction, names)
                for sanction in _own_sanctions(request).filter(incident=incident)
            ],
        },
    )


def _own_sanctions(request: HttpRequest) -> QuerySet[Sanction]:
    return (
        Sanction.objects.for_prisoner(signed_in_prisoner(request))
        .select_related("incident")
        .order_by("-created_at", "-pk")
    )


def _own_incidents(request: HttpRequest) -> QuerySet[Incident]:
    return Incident.objects.for_prisoner(signed_in_prisoner(request)).order_by(
        "-occurred_at", "-pk"
    )

"""The staff home page and the establishment switcher."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.conduct.codes import AlertStatus
from wicketgate.conduct.models import ConductAlert, Incident
from wicketgate.web.decorators import staff_required
from wicketgate.web.switcher import (
    choose_establishment,
    current_establishment,
    visible_establishments,
)
from wicketgate.web.views.auth import safe_next_url


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    return redirect("web:home")


@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    active_alert = Q(prisoners__alerts__starts_on__lte=today) & (
        Q(prisoners__alerts__ends_on__isnull=True) | Q(prisoners__alerts__ends_on__gt=today)
    )
    # Explicit order: Meta.ordering does not apply to a query with GROUP BY.
    establishments = (
        visible_establishments(request)
        .annotate(
            prisoner_count=Count("prisoners", distinct=True),
            alerted_count=Count("prisoners", filter=active_alert, distinct=True),
            # Accounts refusing PIN tries for now (on devices that are not their own).
            locked_count=Count(
                "prisoners",
                filter=Q(
                    prisoners__account__pin_throttles__device__isnull=True,
                    prisoners__account__pin_throttles__blocked_until__gt=timezone.now(),
                ),
                distinct=True,
            ),
        )
        .order_by("name")
    )
    current = current_establishment(request)
    incidents = Incident.objects.for_user(request.user, Action.REPORT_INCIDENTS).open()
    alerts = ConductAlert.objects.for_user(request.user, Action.REVIEW_ALERTS).filter(
        status=AlertStatus.OPEN
    )
    if current is not None:
        incidents = incidents.filter(prisoner__establishment=current)
        alerts = alerts.filter(prisoner__establishment=current)
    return render(
        request,
        "web/staff/home.html",
        {
            "establishments": establishments,
            "current": current,
            # Counted only if the page shows them (the lists are for some roles alone).
            "open_incidents": incidents.count,
            "open_alerts": alerts.count,
        },
    )


@require_POST
@staff_required
def switch_establishment(request: HttpRequest) -> HttpResponse:
    if not choose_establishment(request, request.POST.get("establishment", "").strip().upper()):
        raise Http404
    return redirect(safe_next_url(request, "/staff/") or "web:home")

"""The security department's conduct alerts: the queue, dismissing one, making one an
incident, and each establishment's alert triggers.

Every page needs ``REVIEW_ALERTS`` and reads through ``for_user`` with it, so another
establishment's alert or triggers are a 404, as is every page for staff whose role lacks
it. Making an incident also needs ``REPORT_INCIDENTS`` for the prisoner.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import may_at, may_somewhere
from wicketgate.audit.log import Actor
from wicketgate.conduct.actions import ConductError, do_dismiss_alert, do_set_alert_trigger
from wicketgate.conduct.alerts import trigger_for
from wicketgate.conduct.codes import AlertKind, AlertStatus, IncidentService
from wicketgate.conduct.forms import AlertTriggerForm, DismissAlertForm
from wicketgate.conduct.models import AlertTrigger, ConductAlert, ConductAlertQuerySet
from wicketgate.conduct.views.staff import report_form, submit_report
from wicketgate.estate.models import Establishment
from wicketgate.people.models import Prisoner
from wicketgate.web.decorators import somewhere_required, staff_required
from wicketgate.web.switcher import current_establishment

REVIEW = Action.REVIEW_ALERTS
PER_PAGE = 50
EVIDENCE_SHOWN = 5  # evidence links in a row of the queue; the alert's page shows them all


@dataclass(frozen=True)
class TriggerRow:
    kind: str
    label: str
    trigger: AlertTrigger
    source: str  # this establishment's own, the estate's, or the default


@require_GET
@staff_required
@somewhere_required(REVIEW)
def alert_queue(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    alerts = _alerts(request).filter(status=AlertStatus.OPEN)
    if current is not None:
        alerts = alerts.filter(prisoner__establishment=current)
    alerts = alerts.select_related("prisoner", "establishment").order_by("-last_seen_at", "-pk")
    paginator = Paginator(alerts, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "conduct/staff/alerts.html",
        {
            "page": page,
            "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "ellipsis": Paginator.ELLIPSIS,
            "current": current,
            "show_establishment": current is None,
            "evidence_shown": EVIDENCE_SHOWN,
            "may_view_audit": may_somewhere(request.user, Action.VIEW_AUDIT),
            "may_report": may_somewhere(request.user, Action.REPORT_INCIDENTS),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def dismiss_alert(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _open_alert(request, pk)
    form = DismissAlertForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_dismiss_alert(
                alert, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
            )
        except ConductError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("%(reference)s dismissed: %(name)s, %(kind)s.")
                % {
                    "reference": alert.reference,
                    "name": alert.prisoner.full_name,
                    "kind": alert.get_kind_display().lower(),
                },
            )
            return redirect("conduct:conduct-alerts")
    return render(
        request,
        "conduct/staff/dismiss_alert.html",
        {
            "form": form,
            "alert": alert,
            "may_view_audit": may_at(request.user, Action.VIEW_AUDIT, alert.establishment_id),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def alert_to_incident(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _open_alert(request, pk)
    number = alert.prisoner.prison_number
    if (
        not Prisoner.objects.for_user(request.user, Action.REPORT_INCIDENTS)
        .filter(pk=alert.prisoner_id)
        .exists()
    ):
        raise Http404
    first = timezone.localtime(alert.first_seen_at)
    form = report_form(
        request,
        number,
        initial={
            "prisoner": number,
            "service": IncidentService.WEB,
            "occurred_on": first.date(),
            "occurred_time": first.strftime("%H:%M"),
            "summary": alert.summary[:200],
            "evidence": ", ".join(str(seq) for seq in alert.evidence),
        },
    )
    if form.is_bound and form.is_valid():
        incident = submit_report(form, request, alert=alert)
        if incident is not None:
            return redirect("conduct:conduct-incident", pk=incident.pk)
    return render(request, "conduct/staff/incident_form.html", {"form": form, "alert": alert})


@require_GET
@staff_required
def alert_triggers(request: HttpRequest, code: str) -> HttpResponse:
    establishment = _establishment(request, code)
    return render(
        request,
        "conduct/staff/triggers.html",
        {"establishment": establishment, "rows": _trigger_rows(establishment)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def change_alert_trigger(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    establishment = _establishment(request, code)
    if kind not in AlertKind.values:
        raise Http404
    current = trigger_for(kind, establishment.pk)
    form = AlertTriggerForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        initial={
            "enabled": "yes" if current.enabled else "no",
            "threshold": current.threshold,
            "window_minutes": current.window_minutes,
            "quiet_from": current.quiet_from.strftime("%H:%M"),
            "quiet_until": current.quiet_until.strftime("%H:%M"),
        },
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            _trigger, changed = do_set_alert_trigger(
                establishment,
                kind,
                enabled=data["enabled"],
                threshold=data.get("threshold", current.threshold),
                window_minutes=data.get("window_minutes", current.window_minutes),
                quiet_from=data.get("quiet_from") or current.quiet_from,
                quiet_until=data.get("quiet_until") or current.quiet_until,
                actor=Actor.of_user(request.user),
            )
        except ConductError as exc:
            form.add_action_error(exc)
        else:
            label = AlertKind(kind).label
            if changed:
                messages.success(
                    request,
                    _("Saved: %(kind)s at %(name)s.") % {"kind": label, "name": establishment.name},
                )
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("conduct:conduct-triggers", code=establishment.code)
    return render(
        request,
        "conduct/staff/trigger_form.html",
        {
            "form": form,
            "establishment": establishment,
            "kind": kind,
            "kind_label": AlertKind(kind).label,
        },
    )


# --- internals -----------------------------------------------------------------------------


def _alerts(request: HttpRequest) -> ConductAlertQuerySet:
    return ConductAlert.objects.for_user(request.user, REVIEW)


def _open_alert(request: HttpRequest, pk: int) -> ConductAlert:
    alert = get_object_or_404(
        _alerts(request).select_related("prisoner__establishment", "establishment", "incident"),
        pk=pk,
    )
    if alert.status != AlertStatus.OPEN:
        raise Http404  # dealt with already: nothing left to do on this page
    return alert


def _establishment(request: HttpRequest, code: str) -> Establishment:
    return get_object_or_404(
        Establishment.objects.for_user(request.user, REVIEW), code=code.upper()
    )


def _trigger_rows(establishment: Establishment) -> list[TriggerRow]:
    rows = []
    for kind, label in AlertKind.choices:
        trigger = trigger_for(kind, establishment.pk)
        if trigger.establishment_id == establishment.pk:
            source = _("Set for %(name)s") % {"name": establishment.name}
        elif trigger.pk is not None:
            source = _("Estate-wide setting")
        else:
            source = _("Default")
        rows.append(TriggerRow(kind, label, trigger, source))
    return rows

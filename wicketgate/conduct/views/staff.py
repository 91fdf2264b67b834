"""Staff pages for conduct: incidents and their adjudication, sanctions, and a prisoner's
conduct record.

Reading and reporting need ``REPORT_INCIDENTS``; hearing a charge, giving, activating
and quashing sanctions need ``ADJUDICATE`` (an appeal may be lodged for the prisoner
with either). Every read goes through ``for_user`` with that action, so another
establishment's record is a 404, as is every page for staff whose role lacks the action;
every change goes through ``conduct.actions``, which records it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import may_at
from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.conduct import limits
from wicketgate.conduct.actions import (
    ConductError,
    IllegalTransition,
    do_activate_sanction,
    do_add_sanction,
    do_move_incident,
    do_quash_sanction,
    do_report_incident,
)
from wicketgate.conduct.codes import PUNISHABLE, TRANSITIONS, IncidentService, Status
from wicketgate.conduct.forms import (
    ANY_OPEN,
    MOVE_FORMS,
    MOVE_STEPS,
    ActivateSanctionForm,
    AppealForm,
    IncidentFilterForm,
    MoveForm,
    QuashSanctionForm,
    ReportIncidentForm,
    SanctionForm,
)
from wicketgate.conduct.models import ConductAlert, Incident, Sanction
from wicketgate.conduct.queries import (
    OPEN,
    Entry,
    activating_charges,
    conduct_timeline,
    incident_history,
    open_first,
)
from wicketgate.conduct.text import SANCTION_STATES, restricts_for_staff
from wicketgate.estate.models import Location
from wicketgate.people.models import Prisoner
from wicketgate.policy.models import Category
from wicketgate.web.decorators import somewhere_required, staff_required
from wicketgate.web.switcher import current_establishment

REPORT = Action.REPORT_INCIDENTS
ADJUDICATE = Action.ADJUDICATE
PER_PAGE = 50


@dataclass(frozen=True)
class SanctionRow:
    """A sanction as the staff pages show it."""

    sanction: Sanction
    state: str
    state_label: str
    state_colour: str
    restricts: str
    may_adjudicate: bool


# --- incidents -----------------------------------------------------------------------------


@require_GET
@staff_required
@somewhere_required(REPORT)
def incident_list(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    incidents = Incident.objects.for_user(request.user, REPORT)
    if current is not None:
        incidents = incidents.filter(prisoner__establishment=current)
    form = IncidentFilterForm(request.GET if _has_filters(request) else None)
    chosen: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # errors are shown; the filters that are valid still apply
        chosen = {name: value for name, value in form.cleaned_data.items() if value}
    if chosen.get("status") == ANY_OPEN:
        incidents = incidents.filter(status__in=OPEN)
    elif "status" in chosen:
        incidents = incidents.filter(status=chosen["status"])
    if "prisoner" in chosen:
        found = Prisoner.objects.for_user(request.user, REPORT).search(chosen["prisoner"])
        incidents = incidents.filter(prisoner__in=found)
    if "service" in chosen:
        incidents = incidents.filter(service=chosen["service"])
    incidents = open_first(incidents.select_related("prisoner", "establishment"))
    paginator = Paginator(incidents, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "conduct/staff/incidents.html",
        {
            "form": form,
            "filtered": bool(chosen),
            "page": page,
            "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "ellipsis": Paginator.ELLIPSIS,
            "current": current,
            "show_establishment": current is None,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
@somewhere_required(REPORT)
def report_incident(request: HttpRequest) -> HttpResponse:
    number = (request.POST or request.GET).get("prisoner", "")
    form = report_form(request, number, initial={"prisoner": number.strip().upper()})
    if form.is_bound and form.is_valid():
        incident = submit_report(form, request)
        if incident is not None:
            return redirect("conduct:conduct-incident", pk=incident.pk)
    return render(request, "conduct/staff/incident_form.html", {"form": form})


def report_form(
    request: HttpRequest, number: str, *, initial: dict[str, Any]
) -> ReportIncidentForm:
    """The report form, its places those of the prisoner's establishment (or the chosen one)."""
    prisoners = Prisoner.objects.for_user(request.user, REPORT)
    locations = Location.objects.for_user(request.user, REPORT)
    prisoner = prisoners.filter(prison_number=number.strip().upper()).first() if number else None
    where = (
        prisoner.establishment_id
        if prisoner
        else getattr(current_establishment(request), "pk", None)
    )
    if where is not None:
        locations = locations.filter(establishment_id=where)
    return ReportIncidentForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        prisoners=prisoners.select_related("establishment"),
        locations=locations.select_related("establishment").order_by("establishment__code", "code"),
    )


def submit_report(
    form: ReportIncidentForm, request: HttpRequest, *, alert: ConductAlert | None = None
) -> Incident | None:
    """Report what a valid form holds; on a refusal the form shows it and None is returned."""
    data = form.cleaned_data
    try:
        incident = do_report_incident(
            prisoner=data["prisoner"],
            occurred_at=data["occurred_at"],
            service=data["service"],
            summary=data["summary"],
            description=data["description"],
            location=data["location"],
            late_reason=data["late_reason"],
            evidence=data["evidence"],
            alert=alert,
            actor=Actor.of_user(request.user),
        )
    except ConductError as exc:
        form.add_action_error(exc)
        return None
    messages.success(
        request,
        _("%(reference)s reported: %(summary)s")
        % {"reference": incident.reference, "summary": incident.summary},
    )
    return incident


@require_GET
@staff_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _incident_page(request, _incident(request, pk, REPORT))


@require_POST
@staff_required
def move_incident(request: HttpRequest, pk: int) -> HttpResponse:
    form_class = MOVE_STEPS.get(request.POST.get("step", "")) or MOVE_FORMS.get(
        request.POST.get("to", "")
    )
    # Lodging an appeal is for whoever may report incidents; every other step is the
    # adjudicator's: the incident is found through the scope of the action the step needs.
    needs = REPORT if form_class is None or form_class is AppealForm else ADJUDICATE
    incident = _incident(request, pk, needs)
    if form_class is None:
        messages.error(request, _("Choose what to record."))
        return redirect("conduct:conduct-incident", pk=incident.pk)
    form = form_class(request.POST)
    if form.is_valid():
        to = form.cleaned_data["to"]
        try:
            do_move_incident(
                incident,
                to,
                actor=Actor.of_user(request.user),
                notes=form.notes_text(),
                hearing_at=form.hearing_at(),
            )
        except IllegalTransition as exc:
            # Someone else moved it first, or a form from an old page: nothing changed.
            messages.error(request, capfirst(str(exc)))
            return redirect("conduct:conduct-incident", pk=incident.pk)
        except ConductError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("%(reference)s is now: %(status)s.")
                % {"reference": incident.reference, "status": Status(to).label.lower()},
            )
            return redirect("conduct:conduct-incident", pk=incident.pk)
    return _incident_page(request, incident, sent=form)


# --- sanctions -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def add_sanction(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk, ADJUDICATE)
    if incident.status not in PUNISHABLE:
        messages.error(
            request,
            _("%(reference)s is %(status)s: sanctions are given only for a proved charge.")
            % {"reference": incident.reference, "status": incident.get_status_display().lower()},
        )
        return redirect("conduct:conduct-incident", pk=incident.pk)
    prisoner = incident.prisoner
    today = timezone.localdate()
    most_days = limits.max_days(prisoner, today)
    most_months = limits.max_suspension_months(prisoner, today)
    form = SanctionForm(
        request.POST if request.method == "POST" else None,
        max_days=most_days,
        max_months=most_months,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            sanction = do_add_sanction(
                prisoner=prisoner,
                incident=incident,
                service=data["service"],
                categories=data["categories"],
                includes_education=data["includes_education"],
                privilege=data["privilege"],
                days=data["days"],
                starts_at=data.get("starts_at"),
                suspend_months=data["suspend_months"],
                reason=data["reason"],
                actor=Actor.of_user(request.user),
            )
        except ConductError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _sanction_given(sanction))
            return redirect("conduct:conduct-incident", pk=incident.pk)
    return render(
        request,
        "conduct/staff/sanction_form.html",
        {
            "form": form,
            "incident": incident,
            "prisoner": prisoner,
            "limits_text": limits.describe_limits(prisoner, today),
            "yoi": limits.rules_for(prisoner, today) == "yoi",
            "max_days": most_days,
            "max_months": most_months,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def activate_sanction(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = _sanction(request, pk, ADJUDICATE)
    state = sanction.state()
    if state != "suspended":
        messages.error(
            request,
            _("%(reference)s is not suspended (%(state)s), so it cannot be activated.")
            % {"reference": sanction.reference, "state": SANCTION_STATES[state][0]},
        )
        return redirect("conduct:prisoner-conduct", prison_number=sanction.prisoner.prison_number)
    charges = activating_charges(Incident.objects.for_user(request.user, ADJUDICATE), sanction)
    form = ActivateSanctionForm(
        request.POST if request.method == "POST" else None,
        initial={"charge": request.GET.get("incident")},
        charges=charges,
        suspended_days=sanction.days,
    )
    if form.is_bound and form.is_valid():
        charge = form.cleaned_data["charge"]
        try:
            activated = do_activate_sanction(
                sanction,
                incident=charge,
                days=form.cleaned_data["days"],
                actor=Actor.of_user(request.user),
            )
        except ConductError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("%(reference)s activated by %(charge)s: in force until %(end)s.")
                % {
                    "reference": activated.reference,
                    "charge": charge.reference,
                    "end": _when(activated.ends_at),
                },
            )
            return redirect("conduct:conduct-incident", pk=charge.pk)
    return render(
        request,
        "conduct/staff/activate.html",
        {"form": form, "row": _rows(request, [sanction])[0], "has_charges": charges.exists()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def quash_sanction(request: HttpRequest, pk: int) -> HttpResponse:
    sanction = _sanction(request, pk, ADJUDICATE)
    back = _sanction_home(sanction)
    if sanction.quashed_at is not None:
        messages.info(
            request, _("%(reference)s is already quashed.") % {"reference": sanction.reference}
        )
        return redirect(back)
    form = QuashSanctionForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_quash_sanction(
                sanction, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
            )
        except ConductError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("%(reference)s quashed: it no longer applies.")
                % {"reference": sanction.reference},
            )
            return redirect(back)
    return render(
        request,
        "conduct/staff/quash.html",
        {"form": form, "row": _rows(request, [sanction])[0], "back": back},
    )


# --- a prisoner's conduct record -----------------------------------------------------------


@require_GET
@staff_required
def prisoner_conduct(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(request.user, REPORT).select_related("establishment"),
        prison_number=prison_number.upper(),
    )
    incidents = list(
        Incident.objects.for_user(request.user, REPORT)
        .filter(prisoner=prisoner)
        .select_related("location", "establishment")
    )
    sanctions = list(
        Sanction.objects.for_user(request.user, REPORT)
        .filter(prisoner=prisoner)
        .select_related("prisoner", "incident", "activated_by")
    )
    alerts = list(
        ConductAlert.objects.for_user(request.user, Action.REVIEW_ALERTS)
        .filter(prisoner=prisoner)
        .select_related("prisoner", "incident")
    )
    rows = {row.sanction.pk: row for row in _rows(request, sanctions)}
    return render(
        request,
        "conduct/staff/prisoner_conduct.html",
        {
            "prisoner": prisoner,
            "current": [
                rows[s.pk] for s in sanctions if rows[s.pk].state in ("in_force", "pending")
            ],
            "suspended": [rows[s.pk] for s in sanctions if rows[s.pk].state == "suspended"],
            # Sanctions on the timeline as rows: with their state and what they take away.
            "timeline": [
                Entry(entry.at, entry.kind, rows[entry.item.pk])
                if entry.kind == "sanction"
                else entry
                for entry in conduct_timeline(incidents, sanctions, alerts)
            ],
            "limits_text": limits.describe_limits(prisoner, timezone.localdate()),
            "can_review_alerts": may_at(
                request.user, Action.REVIEW_ALERTS, prisoner.establishment_id
            ),
        },
    )


# --- internals -----------------------------------------------------------------------------


def _incident(request: HttpRequest, pk: int, action: str) -> Incident:
    return get_object_or_404(
        Incident.objects.for_user(request.user, action).select_related(
            "prisoner__establishment", "establishment", "location"
        ),
        pk=pk,
    )


def _sanction(request: HttpRequest, pk: int, action: str) -> Sanction:
    return get_object_or_404(
        Sanction.objects.for_user(request.user, action).select_related(
            "prisoner", "incident", "activated_by"
        ),
        pk=pk,
    )


def _sanction_home(sanction: Sanction) -> str:
    """Where a sanction is shown: its incident's page, or the prisoner's conduct record."""
    if sanction.incident_id:
        return reverse("conduct:conduct-incident", kwargs={"pk": sanction.incident_id})
    return reverse(
        "conduct:prisoner-conduct", kwargs={"prison_number": sanction.prisoner.prison_number}
    )


def _has_filters(request: HttpRequest) -> bool:
    return any(key in request.GET for key in IncidentFilterForm.base_fields)


def _when(moment: dt.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "j F Y, H:i") if moment else ""


def _sanction_given(sanction: Sanction) -> str:
    names = _category_names()
    words = {"reference": sanction.reference, "what": restricts_for_staff(sanction, names)}
    if sanction.suspended_until is not None:
        return _("%(reference)s given: %(what)s for %(days)s days, suspended until %(until)s.") % {
            **words,
            "days": sanction.days,
            "until": _when(sanction.suspended_until),
        }
    return _("%(reference)s given: %(what)s from %(start)s until %(end)s.") % {
        **words,
        "start": _when(sanction.starts_at),
        "end": _when(sanction.ends_at),
    }


def _category_names() -> dict[str, str]:
    return dict(Category.objects.values_list("code", "name"))


def _rows(request: HttpRequest, sanctions: list[Sanction]) -> list[SanctionRow]:
    names = _category_names()
    now = timezone.now()
    rows = []
    for sanction in sanctions:
        state = sanction.state(now)
        label, _plain, colour = SANCTION_STATES[state]
        rows.append(
            SanctionRow(
                sanction=sanction,
                state=state,
                state_label=str(label),
                state_colour=colour,
                restricts=restricts_for_staff(sanction, names),
                may_adjudicate=may_at(request.user, ADJUDICATE, sanction.prisoner.establishment_id),
            )
        )
    return rows


def _incident_page(
    request: HttpRequest, incident: Incident, *, sent: MoveForm | None = None
) -> HttpResponse:
    """The incident, its history and sanctions, and a form for each step it may take next."""
    may_adjudicate = may_at(request.user, ADJUDICATE, incident.prisoner.establishment_id)
    steps = TRANSITIONS[incident.status]
    move_forms: list[MoveForm] = []
    for form_class in dict.fromkeys(MOVE_FORMS[step] for step in steps):
        if form_class is not AppealForm and not may_adjudicate:
            continue
        if sent is not None and type(sent) is form_class:
            move_forms.append(sent)
        else:
            move_forms.append(form_class())
    for form in move_forms:
        form.offer_only(steps)
    sanctions = list(
        Sanction.objects.for_user(request.user, REPORT)
        .filter(incident=incident)
        .select_related("prisoner", "incident")
    )
    activated = list(
        Sanction.objects.for_user(request.user, REPORT)
        .filter(activated_by=incident)
        .select_related("prisoner", "incident")
    )
    now = timezone.now()
    could_activate: list[Sanction] = []
    if may_adjudicate and incident.status in PUNISHABLE:
        could_activate = list(
            Sanction.objects.for_user(request.user, ADJUDICATE)
            .filter(
                prisoner=incident.prisoner,
                starts_at__isnull=True,
                quashed_at__isnull=True,
                suspended_until__gt=now,
            )
            .exclude(incident=incident)
            .select_related("prisoner", "incident")
        )
    alerts: QuerySet[ConductAlert] = ConductAlert.objects.for_user(
        request.user, Action.REVIEW_ALERTS
    ).filter(incident=incident)
    return render(
        request,
        "conduct/staff/incident.html",
        {
            "incident": incident,
            "late_by": incident.reported_at - incident.occurred_at if incident.is_late else None,
            # The history is part of the incident, which the user may read (it follows the
            # prisoner): what was recorded before a transfer is read where they are now.
            "history": incident_history(AuditEvent.objects.all(), incident),
            "move_forms": move_forms,
            "form": sent,  # the page's title and error summary speak for the form sent
            "may_adjudicate": may_adjudicate,
            "may_sanction": may_adjudicate and incident.status in PUNISHABLE,
            "can_view_audit": may_at(request.user, Action.VIEW_AUDIT, incident.establishment_id),
            "sanctions": _rows(request, sanctions),
            "activated": _rows(request, activated),
            "could_activate": _rows(request, could_activate),
            "alerts": list(alerts),
            "service_label": IncidentService(incident.service).label,
        },
    )

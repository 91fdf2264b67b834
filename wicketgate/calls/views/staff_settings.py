"""Staff pages for an establishment's video-call sessions and settings.

Both need ``MANAGE_CONTACTS`` at the establishment, read through ``for_user``, so another
establishment's page is a 404; changes go through ``calls.offer``, which records
them.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.calls.booking import settings_for
from wicketgate.calls.forms import CallSettingsForm, SessionForm
from wicketgate.calls.models import SessionTemplate
from wicketgate.calls.offer import (
    CallSettingsError,
    do_add_call_session,
    do_deactivate_call_session,
    do_set_call_settings,
)
from wicketgate.estate.codes import IncentiveLevel
from wicketgate.estate.models import Establishment, Location
from wicketgate.people.models import AlertCode
from wicketgate.web.decorators import staff_required

MANAGE = Action.MANAGE_CONTACTS


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def sessions(request: HttpRequest, code: str) -> HttpResponse:
    establishment = _establishment(request, code)
    suites = list(
        Location.objects.filter(
            establishment=establishment, kind="VIDEO_SUITE", secure_area=True
        ).order_by("code")
    )
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        suites=[(str(s.pk), s.name or s.code) for s in suites],
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        suite = next(s for s in suites if str(s.pk) == data["suite"])
        try:
            do_add_call_session(
                suite,
                weekday=data["weekday"],
                starts=data["starts"],
                minutes=data["minutes"],
                capacity=data["capacity"],
                actor=Actor.of_user(request.user),
            )
        except CallSettingsError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The session is added."))
            return redirect("calls:staff-call-sessions", code=establishment.code)
    return render(
        request,
        "calls/staff/sessions.html",
        {
            "establishment": establishment,
            "form": form,
            "sessions": SessionTemplate.objects.filter(suite__in=suites).select_related("suite"),
        },
    )


@require_POST
@staff_required
def deactivate_session(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    establishment = _establishment(request, code)
    session = get_object_or_404(
        SessionTemplate.objects.for_user(request.user, MANAGE),
        pk=pk,
        suite__establishment=establishment,
    )
    try:
        do_deactivate_call_session(session, actor=Actor.of_user(request.user))
    except CallSettingsError as exc:
        messages.error(request, capfirst(exc.message))
    else:
        messages.success(request, _("The session is no longer offered."))
    return redirect("calls:staff-call-sessions", code=establishment.code)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def call_settings(request: HttpRequest, code: str) -> HttpResponse:
    establishment = _establishment(request, code)
    current = settings_for(establishment.pk)
    levels = list(IncentiveLevel.choices)
    initial = {
        "lead_hours": current.lead_hours,
        "window_days": current.window_days,
        "ineligible_alerts": list(current.ineligible_alerts or []),
        **{f"minutes_{level}": current.minutes_for(level) for level, _label in levels},
    }
    form = CallSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        levels=levels,
        alerts=[(a.code, f"{a.code}: {a.description}") for a in AlertCode.objects.all()],
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            do_set_call_settings(
                establishment,
                monthly_minutes={level: data[f"minutes_{level}"] for level, _label in levels},
                lead_hours=data["lead_hours"],
                window_days=data["window_days"],
                ineligible_alerts=data["ineligible_alerts"],
                actor=Actor.of_user(request.user),
            )
        except CallSettingsError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The video-call settings are saved."))
            return redirect("calls:staff-call-settings", code=establishment.code)
    return render(
        request,
        "calls/staff/settings.html",
        {"establishment": establishment, "form": form},
    )


def _establishment(request: HttpRequest, code: str) -> Establishment:
    return get_object_or_404(
        Establishment.objects.for_user(request.user, MANAGE), code=code.upper()
    )

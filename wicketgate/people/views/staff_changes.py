"""Changes staff make to a prisoner's record. Each needs Action.CHANGE at the prisoner's
establishment; anyone else gets a 404, as for a prisoner they cannot see at all.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from wicketgate.accounts.actions import (
    AccountError,
    do_unlock_pin_device,
    do_unlock_prisoner_account,
)
from wicketgate.accounts.models import PrisonerAccount
from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.estate.models import Location
from wicketgate.gateway.models import Device
from wicketgate.lib.errors import ActionError
from wicketgate.people.actions import (
    do_add_alert,
    do_end_alert,
    do_move_prisoner,
    do_review_incentive_level,
)
from wicketgate.people.forms import AddAlertForm, IncentiveReviewForm, MoveForm
from wicketgate.people.models import Prisoner, PrisonerAlert
from wicketgate.web.decorators import staff_required


def prisoner_to_change(request: HttpRequest, prison_number: str) -> Prisoner:
    return get_object_or_404(
        Prisoner.objects.for_user(request.user, Action.CHANGE).select_related(
            "establishment", "location"
        ),
        prison_number=prison_number.upper(),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def add_alert(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = prisoner_to_change(request, prison_number)
    form = AddAlertForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            alert = do_add_alert(
                prisoner,
                data["code"].code,
                actor=Actor.of_user(request.user),
                comment=data["comment"].strip(),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(alert)s alert added for %(name)s.")
                % {"alert": alert.code.description, "name": prisoner.full_name},
            )
            return redirect("people:prisoner", prison_number=prisoner.prison_number)
    return render(request, "people/staff/add_alert.html", {"prisoner": prisoner, "form": form})


@require_POST
@staff_required
def end_alert(request: HttpRequest, prison_number: str, alert_id: int) -> HttpResponse:
    alert = get_object_or_404(
        PrisonerAlert.objects.for_user(request.user, Action.CHANGE).select_related(
            "prisoner", "code"
        ),
        pk=alert_id,
        prisoner__prison_number=prison_number.upper(),
    )
    try:
        do_end_alert(alert, actor=Actor.of_user(request.user))
    except ActionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(alert)s alert ended.") % {"alert": alert.code.description})
    return redirect("people:prisoner", prison_number=alert.prisoner.prison_number)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def review_incentive(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = prisoner_to_change(request, prison_number)
    offered = prisoner.establishment.offered_levels
    form = IncentiveReviewForm(
        request.POST if request.method == "POST" else None,
        offered=offered,
        initial={"level": prisoner.incentive_level},
    )
    if form.is_bound and form.is_valid():
        try:
            do_review_incentive_level(
                prisoner,
                form.cleaned_data["level"],
                actor=Actor.of_user(request.user),
                comment=form.cleaned_data["comment"],
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Incentive review recorded: %(name)s is now on %(level)s.")
                % {"name": prisoner.full_name, "level": prisoner.get_incentive_level_display()},
            )
            return redirect("people:prisoner", prison_number=prisoner.prison_number)
    return render(
        request, "people/staff/review_incentive.html", {"prisoner": prisoner, "form": form}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def move(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = prisoner_to_change(request, prison_number)
    locations = (
        Location.objects.for_user(request.user, Action.CHANGE)
        .filter(establishment=prisoner.establishment_id)
        .exclude(pk=prisoner.location_id or 0)
        .order_by("code")
    )
    form = MoveForm(request.POST if request.method == "POST" else None, locations=locations)
    if form.is_bound and form.is_valid():
        location = form.cleaned_data["location"]
        try:
            do_move_prisoner(
                prisoner,
                location,
                actor=Actor.of_user(request.user),
                comment=form.cleaned_data["comment"].strip(),
            )
        except ActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s moved to %(place)s.")
                % {"name": prisoner.full_name, "place": location.label},
            )
            return redirect("people:prisoner", prison_number=prisoner.prison_number)
    return render(request, "people/staff/move.html", {"prisoner": prisoner, "form": form})


@require_POST
@staff_required
def unlock_account(request: HttpRequest, prison_number: str) -> HttpResponse:
    account = get_object_or_404(
        PrisonerAccount.objects.select_related("prisoner").filter(
            prisoner__in=Prisoner.objects.for_user(request.user, Action.CHANGE)
        ),
        prisoner__prison_number=prison_number.upper(),
    )
    try:
        do_unlock_prisoner_account(account, actor=Actor.of_user(request.user))
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(name)s can try their PIN again on any device.")
            % {"name": account.prisoner.full_name},
        )
    return redirect("people:prisoner", prison_number=account.prisoner.prison_number)


@require_POST
@staff_required
def unlock_device(request: HttpRequest, prison_number: str, device_pk: int) -> HttpResponse:
    """Clear a device's count of wrong PINs, from the page of a prisoner who typed one there.

    Both must be in the staff member's reach: the prisoner to change, and the device at an
    establishment where they may change things.
    """
    prisoner = prisoner_to_change(request, prison_number)
    device = get_object_or_404(
        Device.objects.for_user(request.user, Action.CHANGE).select_related("establishment"),
        pk=device_pk,
        pin_throttles__account__prisoner=prisoner,
    )
    try:
        do_unlock_pin_device(device, actor=Actor.of_user(request.user))
    except AccountError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(device)s takes PIN sign-ins again.") % {"device": device.device_id},
        )
    return redirect("people:prisoner", prison_number=prisoner.prison_number)

"""The prisoner portal's phone pages: my numbers and credit, and asking for a number.

A prisoner sees only their own: every read goes through the signed-in prisoner.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.audit.log import Actor
from wicketgate.people.models import Prisoner
from wicketgate.phone.actions import (
    PhoneError,
    balance_pence,
    do_change_phone_pin,
    do_request_phone_number,
)
from wicketgate.phone.calling import held_pence
from wicketgate.phone.forms import ChangePinForm, RequestNumberForm
from wicketgate.phone.models import CreditEntry, PhoneCall, PhoneNumber
from wicketgate.phone.queries import calls_of, live_numbers, past_numbers, statement
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.portals import signed_in_prisoner


@require_GET
@prisoner_required
def my_phone(request: HttpRequest) -> HttpResponse:
    prisoner = _phone_user(request)
    numbers = PhoneNumber.objects.for_prisoner(prisoner)
    return render(
        request,
        "phone/portal/phone.html",
        {
            "live": live_numbers(numbers, prisoner),
            "past": past_numbers(numbers, prisoner),
            "balance": balance_pence(prisoner),
            "held": held_pence(prisoner),
            "calls": calls_of(PhoneCall.objects.for_prisoner(prisoner), prisoner),
            "statement": statement(CreditEntry.objects.for_prisoner(prisoner), prisoner),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@prisoner_required
def ask_for_number(request: HttpRequest) -> HttpResponse:
    prisoner = _phone_user(request)
    form = RequestNumberForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            entry = do_request_phone_number(
                prisoner,
                data["number"],
                name=data["name"],
                kind=data["kind"],
                actor=Actor.of_user(request.user),
            )
        except PhoneError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("You asked for %(number)s. Staff will check it before you can call it.")
                % {"number": entry.number},
            )
            return redirect("phone:portal-phone")
    return render(request, "phone/portal/ask.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@sensitive_post_parameters("current", "new", "again")
@prisoner_required
def change_pin(request: HttpRequest) -> HttpResponse:
    prisoner = _phone_user(request)
    form = ChangePinForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_change_phone_pin(
                prisoner,
                form.cleaned_data["current"],
                form.cleaned_data["new"],
                actor=Actor.of_user(request.user),
            )
        except PhoneError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("Your phone PIN is changed. Use the new one from now on."))
            return redirect("phone:portal-phone")
    return render(request, "phone/portal/change_pin.html", {"form": form})


def _phone_user(request: HttpRequest) -> Prisoner:
    """The signed-in prisoner, where their establishment offers phone calls (else 404)."""
    prisoner = signed_in_prisoner(request)
    if not prisoner.establishment.feature("phone_calls"):
        raise Http404
    return prisoner

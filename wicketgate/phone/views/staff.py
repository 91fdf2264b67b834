"""Staff pages for phone calls: a prisoner's numbers, credit and phone PIN.

Every page needs ``MANAGE_PHONE`` and reads through ``for_user`` with it, so a prisoner
at another establishment is a 404, as is every page for staff whose role lacks it;
every change goes through ``phone.actions``, which records it.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.estate.models import Establishment
from wicketgate.people.models import Prisoner
from wicketgate.phone.actions import (
    PhoneError,
    balance_pence,
    do_add_phone_credit,
    do_add_phone_number,
    do_change_phone_settings,
    do_decide_phone_number,
    do_remove_phone_number,
    do_set_phone_pin,
)
from wicketgate.phone.calling import held_pence
from wicketgate.phone.codes import NumberStatus
from wicketgate.phone.decide import phone_settings_for
from wicketgate.phone.forms import (
    AddNumberForm,
    CreditForm,
    DecideNumberForm,
    PhoneSettingsForm,
    RemoveNumberForm,
)
from wicketgate.phone.models import CreditEntry, PhoneCall, PhoneNumber
from wicketgate.phone.queries import (
    approved_contacts,
    calls_of,
    live_numbers,
    past_numbers,
    phone_account,
    statement,
    waiting_for_staff,
)
from wicketgate.phone.text import pounds
from wicketgate.web.decorators import somewhere_required, staff_required
from wicketgate.web.switcher import current_establishment

MANAGE = Action.MANAGE_PHONE


@require_GET
@staff_required
@somewhere_required(MANAGE)
def waiting_numbers(request: HttpRequest) -> HttpResponse:
    """Numbers prisoners asked for, waiting for a decision, at the chosen establishment."""
    current = current_establishment(request)
    numbers = PhoneNumber.objects.for_user(request.user, MANAGE)
    if current is not None:
        numbers = numbers.filter(prisoner__establishment=current)
    return render(
        request,
        "phone/staff/waiting.html",
        {
            "entries": waiting_for_staff(numbers),
            "current": current,
            "show_establishment": current is None,
        },
    )


@require_GET
@staff_required
def prisoner_phone(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number)
    numbers = PhoneNumber.objects.for_user(request.user, MANAGE)
    calls = calls_of(PhoneCall.objects.for_user(request.user, MANAGE), prisoner)
    return render(
        request,
        "phone/staff/prisoner_phone.html",
        {
            "prisoner": prisoner,
            "live": live_numbers(numbers, prisoner),
            "past": past_numbers(numbers, prisoner),
            "balance": balance_pence(prisoner),
            "held": held_pence(prisoner),
            "calls": calls,
            "playable": set(
                PhoneCall.objects.for_user(request.user, Action.VIEW_RECORDINGS)
                .filter(pk__in=[call.pk for call in calls])
                .exclude(recording__in=["", "-"])
                .values_list("pk", flat=True)
            ),
            "statement": statement(CreditEntry.objects.for_user(request.user, MANAGE), prisoner),
            "account": phone_account(prisoner),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def add_number(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number)
    form = AddNumberForm(
        request.POST if request.method == "POST" else None, links=approved_contacts(prisoner)
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            entry = do_add_phone_number(
                prisoner,
                data["number"],
                name=data["name"],
                kind=data["kind"],
                contact_link=form.chosen_link(),
                actor=Actor.of_user(request.user),
            )
        except PhoneError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("%(number)s is approved.") % {"number": entry.number})
            return redirect("phone:prisoner-phone", prison_number=prisoner.prison_number)
    return render(request, "phone/staff/add_number.html", {"prisoner": prisoner, "form": form})


@require_GET
@staff_required
def number(request: HttpRequest, prison_number: str, pk: int) -> HttpResponse:
    entry = _number(request, prison_number, pk)
    return _number_page(request, entry)


@require_POST
@staff_required
def decide_number(request: HttpRequest, prison_number: str, pk: int) -> HttpResponse:
    entry = _number(request, prison_number, pk)
    form = DecideNumberForm(request.POST, links=approved_contacts(entry.prisoner))
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            do_decide_phone_number(
                entry,
                approve=approve,
                reason=form.cleaned_data["reason"],
                contact_link=form.chosen_link(),
                actor=Actor.of_user(request.user),
            )
        except PhoneError as exc:
            form.add_action_error(exc)
        else:
            done = _("%(number)s is approved.") if approve else _("%(number)s is refused.")
            messages.success(request, done % {"number": entry.number})
            return redirect("phone:prisoner-phone", prison_number=entry.prisoner.prison_number)
    return _number_page(request, entry, decide_form=form)


@require_POST
@staff_required
def remove_number(request: HttpRequest, prison_number: str, pk: int) -> HttpResponse:
    entry = _number(request, prison_number, pk)
    form = RemoveNumberForm(request.POST)
    if form.is_valid():
        try:
            do_remove_phone_number(
                entry, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
            )
        except PhoneError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("%(number)s is removed.") % {"number": entry.number})
            return redirect("phone:prisoner-phone", prison_number=entry.prisoner.prison_number)
    return _number_page(request, entry, remove_form=form)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def add_credit(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = _prisoner(request, prison_number)
    form = CreditForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            entry = do_add_phone_credit(
                prisoner,
                form.pence(),
                reason=form.cleaned_data["reason"],
                actor=Actor.of_user(request.user),
            )
        except PhoneError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("Credit added. %(name)s has %(balance)s to spend on calls.")
                % {"name": prisoner.full_name, "balance": pounds(entry.balance_after)},
            )
            return redirect("phone:prisoner-phone", prison_number=prisoner.prison_number)
    return render(
        request,
        "phone/staff/add_credit.html",
        {"prisoner": prisoner, "form": form, "balance": balance_pence(prisoner)},
    )


@require_POST
@never_cache
@staff_required
def new_pin(request: HttpRequest, prison_number: str) -> HttpResponse:
    """A new random phone PIN, shown once on this page (never stored as it is)."""
    prisoner = _prisoner(request, prison_number)
    pin = do_set_phone_pin(prisoner, actor=Actor.of_user(request.user))
    return render(request, "phone/staff/new_pin.html", {"prisoner": prisoner, "pin": pin})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def phone_settings(request: HttpRequest, code: str) -> HttpResponse:
    """An establishment's phone hours, longest call and tariff: the governor's choice."""
    establishment = get_object_or_404(
        Establishment.objects.for_user(request.user, Action.MANAGE_ESTABLISHMENT),
        code=code.upper(),
    )
    current = phone_settings_for(establishment.pk)
    form = PhoneSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "hours": current.hours,
            "max_call_minutes": current.max_call_minutes,
            **{
                name: current.pence_a_minute(name)
                for name in ("uk_landline", "uk_mobile", "international")
            },
        },
    )
    if form.is_bound and form.is_valid():
        try:
            do_change_phone_settings(
                establishment,
                actor=Actor.of_user(request.user),
                hours=form.cleaned_data["hours"],
                max_call_minutes=form.cleaned_data["max_call_minutes"],
                tariff=form.tariff(),
            )
        except PhoneError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("The phone settings are saved."))
            return redirect("phone:settings", code=establishment.code)
    return render(
        request, "phone/staff/settings.html", {"establishment": establishment, "form": form}
    )


# --- internals -----------------------------------------------------------------------------


def _prisoner(request: HttpRequest, prison_number: str) -> Prisoner:
    return get_object_or_404(
        Prisoner.objects.for_user(request.user, MANAGE).select_related("establishment"),
        prison_number=prison_number.upper(),
    )


def _number(request: HttpRequest, prison_number: str, pk: int) -> PhoneNumber:
    return get_object_or_404(
        PhoneNumber.objects.for_user(request.user, MANAGE).select_related(
            "prisoner__establishment", "contact_link__contact"
        ),
        pk=pk,
        prisoner__prison_number=prison_number.upper(),
    )


def _number_page(
    request: HttpRequest,
    entry: PhoneNumber,
    *,
    decide_form: DecideNumberForm | None = None,
    remove_form: RemoveNumberForm | None = None,
) -> HttpResponse:
    links = approved_contacts(entry.prisoner)
    waiting = entry.status == NumberStatus.REQUESTED
    return render(
        request,
        "phone/staff/number.html",
        {
            "entry": entry,
            "prisoner": entry.prisoner,
            "waiting": waiting,
            "decide_form": decide_form or DecideNumberForm(links=links),
            "remove_form": remove_form or RemoveNumberForm(),
            "form": decide_form or remove_form,  # the one sent, for the page title's "Error:"
        },
    )

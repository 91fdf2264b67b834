"""Staff pages for video calls: the bookings at your establishments, booking on behalf of
a prisoner, cancelling with a reason the family sees, and the live calls to oversee.

Booking and cancelling need ``MANAGE_CONTACTS``, the live calls ``OVERSEE_CALLS``; every
read goes through ``for_user`` with that action, so another establishment's booking or
prisoner is a 404, as is every page for staff whose role lacks the action. Changes go
through ``calls.booking``, which records them.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.calls.booking import BookingError, do_book_video_call, do_cancel_booking
from wicketgate.calls.codes import BookingStatus
from wicketgate.calls.forms import CancelCallForm, StaffBookCallForm
from wicketgate.calls.models import Booking
from wicketgate.calls.queries import coming_slots
from wicketgate.calls.views.family import parse_slot, slot_label
from wicketgate.contacts.models import ContactLink
from wicketgate.people.models import Prisoner
from wicketgate.web.decorators import somewhere_required, staff_required
from wicketgate.web.switcher import current_establishment

MANAGE = Action.MANAGE_CONTACTS
OVERSEE = Action.OVERSEE_CALLS


@require_GET
@staff_required
@somewhere_required(MANAGE)
def bookings(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    found = Booking.objects.for_user(request.user, MANAGE).filter(
        status=BookingStatus.BOOKED, ends_at__gt=timezone.now()
    )
    if current is not None:
        found = found.filter(prisoner__establishment=current)
    number = request.GET.get("prison_number", "").strip().upper()
    if number:
        return redirect("calls:staff-call-book", prison_number=number)
    today = timezone.localdate()
    rows = list(
        found.select_related("prisoner__establishment", "main_caller", "suite").prefetch_related(
            "participants__contact"
        )
    )
    return render(
        request,
        "calls/staff/bookings.html",
        {
            "today": [b for b in rows if timezone.localdate(b.starts_at) == today],
            "later": [b for b in rows if timezone.localdate(b.starts_at) != today],
            "current": current,
            "show_establishment": current is None,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def book(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(request.user, MANAGE).select_related("establishment"),
        prison_number=prison_number,
    )
    slots = coming_slots(prisoner)
    contacts = [
        link.contact
        for link in ContactLink.objects.approved()
        .filter(prisoner=prisoner)
        .select_related("contact")
        .order_by("contact__family_name", "contact__given_name", "pk")
    ]
    callers = [(str(c.pk), c.full_name) for c in contacts]
    form = StaffBookCallForm(
        request.POST if request.method == "POST" else None,
        slots=[(s.value, slot_label(s)) for s in slots],
        callers=callers,
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        session, day = parse_slot(data["slot"], prisoner.establishment_id)
        by_pk = {str(c.pk): c for c in contacts}
        others = [by_pk[pk] for pk in data.get("others", []) if pk != data["main_caller"]]
        try:
            booking = do_book_video_call(
                prisoner=prisoner,
                session=session,
                day=day,
                main_caller=by_pk[data["main_caller"]],
                others=others,
                actor=Actor.of_user(request.user),
            )
        except BookingError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("Call %(ref)s for %(name)s is booked.")
                % {"ref": booking.reference, "name": prisoner.full_name},
            )
            return redirect("calls:staff-calls")
    return render(
        request,
        "calls/staff/book.html",
        {"form": form, "prisoner": prisoner, "no_slots": not slots},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(
        Booking.objects.for_user(request.user, MANAGE).select_related("prisoner"),
        pk=pk,
        status=BookingStatus.BOOKED,
    )
    form = CancelCallForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_cancel_booking(
                booking, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
            )
        except BookingError as exc:
            form.add_action_error(exc)
        else:
            messages.success(request, _("Call %(ref)s is cancelled.") % {"ref": booking.reference})
            return redirect("calls:staff-calls")
    return render(request, "calls/staff/cancel.html", {"form": form, "booking": booking})


@require_GET
@staff_required
@somewhere_required(OVERSEE)
def live(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    now = timezone.now()
    found = Booking.objects.for_user(request.user, OVERSEE).filter(
        status=BookingStatus.BOOKED, room_opened_at__isnull=False, ended_at__isnull=True
    )
    if current is not None:
        found = found.filter(prisoner__establishment=current)
    rows = [
        (b, max(int((b.ends_at - now).total_seconds() // 60), 0))
        for b in found.select_related("prisoner__establishment", "suite").prefetch_related(
            "participants__contact"
        )
    ]
    return render(
        request,
        "calls/staff/live.html",
        {"rows": rows, "show_establishment": current is None},
    )

"""The family portal's video calls: booking one with a prisoner you are an approved
contact of, your calls (upcoming, with Join at the time; cancelled, with why), and
cancelling one you are the main caller of before it starts.

Every read goes through the person behind the signed-in account: a prisoner they are not
an approved contact of, or another family's booking, is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.audit.log import Actor
from wicketgate.calls.booking import (
    BookingError,
    cancelled_by_family,
    do_book_video_call,
    do_cancel_booking,
)
from wicketgate.calls.codes import BookingStatus
from wicketgate.calls.forms import BookCallForm, FamilyCancelCallForm
from wicketgate.calls.models import Booking, SessionTemplate
from wicketgate.calls.queries import (
    Slot,
    approved_prisoners_of,
    coming_slots,
    family_bookings,
    may_join,
    upcoming,
)
from wicketgate.contacts.models import Contact, ContactLink
from wicketgate.web.decorators import family_required
from wicketgate.web.portals import signed_in_contact


@require_GET
@family_required
def my_calls(request: HttpRequest) -> HttpResponse:
    person = signed_in_contact(request)
    bookings = family_bookings(person)
    now = timezone.now()
    return render(
        request,
        "calls/family/calls.html",
        {
            "upcoming": [
                (b, may_join(b, now), b.main_caller_id == person.pk and now < b.starts_at)
                for b in upcoming(bookings, now)
            ],
            "cancelled": [
                (b, cancel_note(b, person)) for b in bookings if b.status == BookingStatus.CANCELLED
            ],
            "can_book": bool(approved_prisoners_of(person)),
        },
    )


@require_GET
@family_required
def choose_prisoner(request: HttpRequest) -> HttpResponse:
    person = signed_in_contact(request)
    return render(request, "calls/family/choose.html", {"prisoners": approved_prisoners_of(person)})


@require_http_methods(["GET", "HEAD", "POST"])
@family_required
def book(request: HttpRequest, pk: int) -> HttpResponse:
    person = signed_in_contact(request)
    prisoner = next((p for p in approved_prisoners_of(person) if p.pk == pk), None)
    if prisoner is None:
        raise Http404
    slots = coming_slots(prisoner)
    # Only the children you added: other people's links are not yours to see.
    children = [
        link.contact
        for link in ContactLink.objects.approved()
        .filter(prisoner=prisoner, contact__added_by=person)
        .select_related("contact")
    ]
    form = BookCallForm(
        request.POST if request.method == "POST" else None,
        slots=[(s.value, slot_label(s)) for s in slots],
        others=[(str(c.pk), c.full_name) for c in children],
    )
    if form.is_bound and form.is_valid():
        session, day = parse_slot(form.cleaned_data["slot"], prisoner.establishment_id)
        chosen = set(form.cleaned_data.get("others", []))
        try:
            booking = do_book_video_call(
                prisoner=prisoner,
                session=session,
                day=day,
                main_caller=person,
                others=[c for c in children if str(c.pk) in chosen],
                actor=Actor.of_user(request.user),
            )
        except BookingError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("Your call %(ref)s with %(name)s is booked.")
                % {"ref": booking.reference, "name": prisoner.full_name},
            )
            return redirect("calls:family-calls")
    return render(
        request,
        "calls/family/book.html",
        {"form": form, "prisoner": prisoner, "no_slots": not slots},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@family_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    person = signed_in_contact(request)
    # Only the main caller's own coming calls: anyone else's, or one that is over or
    # already cancelled, is a 404. Once it has started it stays, and the page says so.
    booking = get_object_or_404(
        Booking.objects.filter(
            main_caller=person, status=BookingStatus.BOOKED, ends_at__gt=timezone.now()
        ).select_related("prisoner"),
        pk=pk,
    )
    form = FamilyCancelCallForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_cancel_booking(
                booking, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
            )
        except BookingError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                _("Your call %(ref)s with %(name)s is cancelled.")
                % {"ref": booking.reference, "name": booking.prisoner.full_name},
            )
            return redirect("calls:family-calls")
    return render(
        request,
        "calls/family/cancel.html",
        {"form": form, "booking": booking, "started": timezone.now() >= booking.starts_at},
    )


def cancel_note(booking: Booking, person: Contact) -> str:
    """Why a call was cancelled, as the family reads it: the prison's reason, or who in
    the family called it off (and why, if they said)."""
    if not cancelled_by_family(booking):
        return booking.cancel_reason
    who = (
        _("You cancelled this call")
        if booking.main_caller_id == person.pk
        else _("%(name)s cancelled this call") % {"name": booking.main_caller.full_name}
    )
    return f"{who}: {booking.cancel_reason}" if booking.cancel_reason else who


def slot_label(slot: Slot) -> str:
    starts = timezone.localtime(slot.starts)
    places = (
        _("full")
        if slot.free == 0
        else ngettext("%(n)s place free", "%(n)s places free", slot.free) % {"n": slot.free}
    )
    return (
        f"{starts:%A %-d %B, %H:%M} ({slot.session.minutes} min, "
        f"{slot.session.suite.name or slot.session.suite.code}) — {places}"
    )


def parse_slot(value: str, establishment_id: int) -> tuple[SessionTemplate, dt.date]:
    pk, day = value.split(":", 1)
    session = SessionTemplate.objects.select_related("suite").get(
        pk=int(pk), suite__establishment_id=establishment_id
    )
    return session, dt.date.fromisoformat(day)

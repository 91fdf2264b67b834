"""The prisoner portal's video calls: my upcoming calls, who is on them, and Join at the
time. Reads go through the signed-in prisoner only."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from wicketgate.calls.booking import cancelled_by_family
from wicketgate.calls.codes import BookingStatus
from wicketgate.calls.models import Booking
from wicketgate.calls.queries import may_join
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.portals import signed_in_prisoner


@require_GET
@prisoner_required
def my_calls(request: HttpRequest) -> HttpResponse:
    prisoner = signed_in_prisoner(request)
    if not prisoner.establishment.feature("video_calls"):
        raise Http404
    now = timezone.now()
    # Calls still to come, and those called off that would have been: the prisoner hears
    # why, and who called it off (the family or the prison).
    bookings = (
        Booking.objects.filter(
            prisoner=prisoner,
            status__in=[BookingStatus.BOOKED, BookingStatus.CANCELLED],
            ends_at__gt=now,
        )
        .select_related("main_caller__user")
        .prefetch_related("participants__contact")
        .order_by("starts_at", "pk")
    )
    return render(
        request,
        "calls/portal/calls.html",
        {"rows": [(b, may_join(b, now), cancelled_by_family(b)) for b in bookings]},
    )

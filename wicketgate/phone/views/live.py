"""Staff pages for live phone calls: those under way at the chosen establishment, and
ending one with a reason.

Both need ``OVERSEE_PHONE`` (security, governors) and read through ``for_user`` with it,
so a call at another establishment is a 404, as is every page for staff without it. The
end goes through ``phone.calling.do_end_live_phone_call``, which records it and has
Kamailio hang up both ends.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.phone.actions import PhoneError
from wicketgate.phone.calling import do_end_live_phone_call
from wicketgate.phone.forms import EndCallForm
from wicketgate.phone.kamailio import KamailioUnreachable
from wicketgate.phone.models import PhoneCall
from wicketgate.phone.queries import live_calls as live_calls_in
from wicketgate.web.decorators import somewhere_required, staff_required
from wicketgate.web.switcher import current_establishment

OVERSEE = Action.OVERSEE_PHONE


@require_GET
@staff_required
@somewhere_required(OVERSEE)
def live_calls(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    calls = PhoneCall.objects.for_user(request.user, OVERSEE)
    if current is not None:
        calls = calls.filter(prisoner__establishment=current)
    now = timezone.now()
    rows = [(call, _minutes_left(call, now)) for call in live_calls_in(calls)]
    return render(
        request,
        "phone/staff/live.html",
        {"rows": rows, "show_establishment": current is None},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def end_call(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(
        PhoneCall.objects.for_user(request.user, OVERSEE).select_related("prisoner__establishment"),
        pk=pk,
    )
    if not call.live:
        messages.info(request, _("That call has already ended."))
        return redirect("phone:live-phone-calls")
    form = EndCallForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            do_end_live_phone_call(
                call, reason=form.cleaned_data["reason"], actor=Actor.of_user(request.user)
            )
        except PhoneError as exc:
            form.add_action_error(exc)
        except KamailioUnreachable:
            messages.error(
                request,
                _(
                    "The call is ended in the record, but the phone system did not confirm "
                    "it hung up: it still ends at its limit. Tell the phone system's "
                    "administrator."
                ),
            )
            return redirect("phone:live-phone-calls")
        else:
            messages.success(
                request,
                _("The call from %(name)s is ended.") % {"name": call.prisoner.full_name},
            )
            return redirect("phone:live-phone-calls")
    return render(request, "phone/staff/end_call.html", {"call": call, "form": form})


def _minutes_left(call: PhoneCall, now: dt.datetime) -> int | None:
    """Minutes until its limit cuts it; None while it rings."""
    if call.answered_at is None:
        return None
    ends = call.answered_at + dt.timedelta(seconds=call.limit_seconds)
    return max(int((ends - now).total_seconds() // 60), 0)

"""Listening to a live call in the browser (security, governors: ``OVERSEE_PHONE``).

The page asks for the media relay's offer, answers it from the browser's own WebRTC, and
plays each side of the call in its own player; see ``phone.listening`` for what is checked.
A legal call, a call at another establishment and another member of staff's listening
are all 404s.
"""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wicketgate.accounts.models import User
from wicketgate.accounts.roles import Action
from wicketgate.phone.codes import NumberKind
from wicketgate.phone.listening import (
    ListeningError,
    do_answer_listening,
    do_start_listening,
    do_stop_listening,
)
from wicketgate.phone.models import PhoneCall, PhoneListening
from wicketgate.web.decorators import staff_required


def _call(request: HttpRequest, pk: int) -> PhoneCall:
    return get_object_or_404(
        PhoneCall.objects.for_user(request.user, Action.OVERSEE_PHONE)
        .exclude(kind=NumberKind.LEGAL)
        .exclude(recorded=False)  # privileged, whatever the number's kind
        .select_related("prisoner__establishment"),
        pk=pk,
    )


def _listening(request: HttpRequest, pk: int, listening: int) -> PhoneListening:
    return get_object_or_404(
        PhoneListening.objects.select_related("call__prisoner__establishment", "listener"),
        pk=listening,
        call=_call(request, pk),
        listener=request.user,
    )


def _refused(exc: ListeningError) -> JsonResponse:
    return JsonResponse({"error": exc.message}, status=409)


@require_GET
@staff_required
def page(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call(request, pk)
    return render(request, "phone/staff/listen.html", {"call": call})


@require_POST
@never_cache
@staff_required
def offer(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        listener = cast(User, request.user)  # staff_required: signed in
        listening, sdp = do_start_listening(_call(request, pk), listener=listener)
    except ListeningError as exc:
        return _refused(exc)
    return JsonResponse({"listening": listening.pk, "sdp": sdp})


@require_POST
@never_cache
@staff_required
def answer(request: HttpRequest, pk: int, listening: int) -> HttpResponse:
    found = _listening(request, pk, listening)
    try:
        do_answer_listening(found, request.POST.get("sdp", ""))
    except ListeningError as exc:
        return _refused(exc)
    return JsonResponse({"listening": found.pk, "started": True})


@require_POST
@never_cache
@staff_required
def stop(request: HttpRequest, pk: int, listening: int) -> HttpResponse:
    found = _listening(request, pk, listening)
    try:
        do_stop_listening(found)
    except ListeningError as exc:
        return _refused(exc)
    return JsonResponse({"listening": found.pk, "stopped": True})

"""The call pages: the family member and the prisoner join, staff watch and end.

Each page is the same template and script (``calls/call.js``); what differs is who may
open it and what its token request returns. Anyone else gets a 404. The page asks for its
tokens when it opens, so a page opened outside the call's window shows why it cannot
join, and tokens are never put in a page that could be cached.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.calls.actions import (
    CallError,
    do_add_call_note,
    do_end_call,
    do_moderate_call,
    join_tokens,
    watch_tokens,
)
from wicketgate.calls.janus import JanusError, configured
from wicketgate.calls.models import Booking, Recording
from wicketgate.calls.recordings import do_view_recording
from wicketgate.policy.engine import engine
from wicketgate.web.decorators import family_required, prisoner_required, staff_required
from wicketgate.web.portals import signed_in_contact, signed_in_prisoner


def _family_booking(request: HttpRequest, pk: int) -> Booking:
    return get_object_or_404(Booking.objects.for_contact(signed_in_contact(request)), pk=pk)


def _prisoner_booking(request: HttpRequest, pk: int) -> Booking:
    return get_object_or_404(Booking.objects.for_prisoner(signed_in_prisoner(request)), pk=pk)


def _staff_booking(request: HttpRequest, pk: int) -> Booking:
    return get_object_or_404(
        Booking.objects.for_user(request.user, Action.OVERSEE_CALLS).select_related("prisoner"),
        pk=pk,
    )


@require_GET
@family_required
def family_call(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _family_booking(request, pk)
    return _page(request, booking, "publish", "calls:family-tokens")


@require_POST
@family_required
def family_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _family_booking(request, pk)
    return _tokens(
        lambda client: join_tokens(
            booking,
            engine=engine(),
            client=client,
            contact=signed_in_contact(request),
        )
    )


@require_GET
@prisoner_required
def prisoner_call(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _prisoner_booking(request, pk)
    return _page(request, booking, "publish", "calls:prisoner-tokens")


@require_POST
@prisoner_required
def prisoner_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _prisoner_booking(request, pk)
    return _tokens(
        lambda client: join_tokens(
            booking, engine=engine(), client=client, actor=Actor.of_user(request.user)
        )
    )


@require_GET
@staff_required
def staff_watch(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _staff_booking(request, pk)
    return _page(request, booking, "watch", "calls:staff-tokens")


@require_POST
@staff_required
def staff_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _staff_booking(request, pk)
    return _tokens(
        lambda client: watch_tokens(booking, client=client, watcher=str(request.user.pk))
    )


@require_POST
@staff_required
def staff_end(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _staff_booking(request, pk)
    reason = request.POST.get("reason", "").strip()
    try:
        do_end_call(
            booking,
            reason=reason or "Ended by staff",
            actor=Actor.of_user(request.user),
            client=configured(),
        )
    except (CallError, JanusError) as exc:
        return render(
            request,
            "calls/call.html",
            _context(request, booking, "watch", "calls:staff-tokens", error=str(exc)),
            status=409,
        )
    return redirect("calls:staff-watch", pk=booking.pk)


@require_POST
@staff_required
def staff_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _staff_booking(request, pk)
    try:
        do_moderate_call(
            booking,
            participant=int(request.POST.get("participant", "0") or 0),
            track=request.POST.get("track", ""),
            mute=request.POST.get("mute") == "1",
            actor=Actor.of_user(request.user),
            client=configured(),
        )
    except (CallError, JanusError, ValueError) as exc:
        context = _context(request, booking, "watch", "calls:staff-tokens", error=str(exc))
        return render(request, "calls/call.html", context, status=409)
    return redirect("calls:staff-watch", pk=booking.pk)


@require_POST
@staff_required
def staff_note(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _staff_booking(request, pk)
    try:
        do_add_call_note(
            booking, text=request.POST.get("text", ""), actor=Actor.of_user(request.user)
        )
    except CallError as exc:
        context = _context(request, booking, "watch", "calls:staff-tokens", error=str(exc))
        return render(request, "calls/call.html", context, status=400)
    return redirect("calls:staff-watch", pk=booking.pk)


@require_GET
@staff_required
def staff_recording(request: HttpRequest, pk: int, recording: int) -> FileResponse:
    """A recording of a call, to staff who may play them; each viewing is audited."""
    found = get_object_or_404(
        Recording.objects.for_user(request.user, Action.VIEW_RECORDINGS)
        .filter(deleted_at__isnull=True)
        .select_related("booking__prisoner__establishment"),
        pk=recording,
        booking_id=pk,
    )
    do_view_recording(found, actor=Actor.of_user(request.user))
    content_type = "audio/ogg" if found.kind == "audio" else "video/webm"
    return FileResponse(open(found.path, "rb"), content_type=content_type)


def _page(request: HttpRequest, booking: Booking, mode: str, tokens: str) -> HttpResponse:
    response = render(request, "calls/call.html", _context(request, booking, mode, tokens))
    # The page talks to Janus's API, on its own origin.
    origin = urlsplit(configured().setup.browser_url)
    response._csp_update = {"connect-src": [f"{origin.scheme}://{origin.netloc}"]}  # type: ignore[attr-defined]  # django-csp's per-response override, as its csp_update decorator sets it
    return response


def _context(
    request: HttpRequest, booking: Booking, mode: str, tokens: str, *, error: str = ""
) -> dict[str, Any]:
    from django.urls import reverse

    participants: list[dict[str, Any]] = []
    if mode == "watch" and booking.is_live:
        try:
            participants = configured().participants(booking.room)
        except JanusError as exc:
            error = error or str(exc)
    return {
        "booking": booking,
        "mode": mode,
        "tokens_url": reverse(tokens, kwargs={"pk": booking.pk}),
        "error": error,
        "participants": _named(booking, [p for p in participants if p.get("publisher")]),
        "notes": list(booking.notes.all()) if mode == "watch" else [],
        "recordings": list(
            Recording.objects.for_user(request.user, Action.VIEW_RECORDINGS).filter(
                booking=booking, deleted_at__isnull=True
            )
        )
        if mode == "watch"
        else [],
        "tracks": [
            ("audio", _("Mute"), _("Unmute")),
            ("video", _("Pause video"), _("Resume video")),
        ],
    }


def _named(booking: Booking, participants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Janus knows people on a call by codes (``prisoner``, ``contact-12``): staff by name."""
    if not participants:
        return []
    names = booking.names_on_call()
    return [
        {**p, "name": names.get(p.get("display", ""), p.get("display", ""))} for p in participants
    ]


def _tokens(make: Any) -> HttpResponse:
    try:
        return JsonResponse(make(configured()))
    except CallError as exc:
        return JsonResponse({"error": str(exc)}, status=409)

"""Staff pages of the web gateway: devices and sessions, lockdowns, what is being blocked,
and a prisoner's browsing history.

Each page reads through ``for_user`` with the action it needs: ``SUPERVISE_DEVICES`` to
see and end sessions, lock down and watch refusals; ``MANAGE_DEVICES`` to register and
retire devices; ``VIEW_BROWSING`` to read what a prisoner opened. Another
establishment's records, and pages for an action the user's role does not have, are a 404.
Every change goes through ``gateway.actions``, which records it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.audit.views.staff import newest_first
from wicketgate.estate.codes import LocationKind
from wicketgate.estate.models import Establishment, Location
from wicketgate.gateway.actions import (
    GatewayError,
    do_close_device_session,
    do_end_lockdown,
    do_register_device,
    do_retire_device,
    do_start_lockdown,
)
from wicketgate.gateway.forms import LockdownForm, RegisterDeviceForm
from wicketgate.gateway.models import CloseReason, Device, DeviceSession, Lockdown
from wicketgate.gateway.queries import (
    codes_on_wing,
    recent_refusals,
    requests_of,
    wings_by_location,
)
from wicketgate.people.models import Prisoner
from wicketgate.web.decorators import staff_required

DEVICES_PER_PAGE = 50
LIVE_WINDOW = dt.timedelta(hours=24)  # how far back "Blocked on this wing" looks
LIVE_LIMIT = 100
LIVE_EVERY = 10  # seconds between updates of the live view


@dataclass
class WingSessions:
    wing: Location | None  # None: places on no wing, such as an education block
    sessions: list[DeviceSession]


# --- devices and sessions ----------------------------------------------------------------


@require_GET
@staff_required
def devices(request: HttpRequest, code: str) -> HttpResponse:
    establishment = _establishment(request, code, Action.SUPERVISE_DEVICES)
    return _devices_page(request, establishment)


@require_POST
@staff_required
def end_session(request: HttpRequest, code: str, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        DeviceSession.objects.for_user(request.user, Action.SUPERVISE_DEVICES).select_related(
            "prisoner", "device"
        ),
        pk=session_id,
        device__establishment__code=code.upper(),
    )
    try:
        closed = do_close_device_session(
            session, reason=CloseReason.ENDED_BY_STAFF, actor=Actor.of_user(request.user)
        )
    except GatewayError as exc:
        messages.error(request, capfirst(str(exc)))
    else:
        if closed:
            messages.success(
                request,
                _("Session ended: %(name)s on %(device)s.")
                % {"name": session.prisoner.full_name, "device": session.device.device_id},
            )
        else:
            messages.info(request, _("That session had already ended."))
    return redirect("gateway:establishment-devices", code=code.upper())


@require_POST
@staff_required
def start_lockdown(request: HttpRequest, code: str) -> HttpResponse:
    establishment = _establishment(request, code, Action.SUPERVISE_DEVICES)
    form = _lockdown_form(request, establishment, request.POST)
    if form.is_valid():
        wing = form.chosen_wing()
        try:
            _lockdown, ended = do_start_lockdown(
                establishment=establishment,
                wing=wing,
                reason=form.cleaned_data["reason"],
                actor=Actor.of_user(request.user),
            )
        except GatewayError as exc:
            form.add_action_error(exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Lockdown of %(where)s started: %(count)s session ended and no new ones "
                    "can start.",
                    "Lockdown of %(where)s started: %(count)s sessions ended and no new ones "
                    "can start.",
                    ended,
                )
                % {"where": wing.label if wing else establishment.name, "count": ended},
            )
            return redirect("gateway:establishment-devices", code=establishment.code)
    return _devices_page(request, establishment, lockdown_form=form)


@require_POST
@staff_required
def lift_lockdown(request: HttpRequest, code: str, lockdown_id: int) -> HttpResponse:
    lockdown = get_object_or_404(
        Lockdown.objects.for_user(request.user, Action.SUPERVISE_DEVICES).select_related(
            "establishment", "wing"
        ),
        pk=lockdown_id,
        establishment__code=code.upper(),
    )
    try:
        do_end_lockdown(lockdown, actor=Actor.of_user(request.user))
    except GatewayError as exc:
        messages.error(request, capfirst(str(exc)))
    else:
        where = lockdown.wing.label if lockdown.wing else lockdown.establishment.name
        messages.success(
            request, _("Lockdown of %(where)s lifted: sessions can start again.") % {"where": where}
        )
    return redirect("gateway:establishment-devices", code=code.upper())


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def register_device(request: HttpRequest, code: str) -> HttpResponse:
    establishment = _establishment(request, code, Action.MANAGE_DEVICES)
    locations = (
        Location.objects.for_user(request.user, Action.MANAGE_DEVICES)
        .filter(establishment=establishment)
        .exclude(kind__in=[LocationKind.WING, LocationKind.LANDING])
        .order_by("code")
    )
    form = RegisterDeviceForm(
        request.POST if request.method == "POST" else None, locations=locations
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            device, key = do_register_device(
                device_id=data["device_id"],
                establishment=establishment,
                location=data["location"],
                kind=data["kind"],
                address=data["address"] or None,
                actor=Actor.of_user(request.user),
            )
        except GatewayError as exc:
            form.add_action_error(exc)
        else:
            # The key is shown on this one response and stored nowhere but as a hash: not
            # in a message, which would keep it in the session.
            return render(
                request,
                "gateway/staff/device_registered.html",
                {"establishment": establishment, "device": device, "key": key},
            )
    return render(
        request,
        "gateway/staff/register_device.html",
        {"establishment": establishment, "form": form},
    )


@require_POST
@staff_required
def retire_device(request: HttpRequest, code: str, device_pk: int) -> HttpResponse:
    device = get_object_or_404(
        Device.objects.for_user(request.user, Action.MANAGE_DEVICES),
        pk=device_pk,
        establishment__code=code.upper(),
    )
    try:
        do_retire_device(device, actor=Actor.of_user(request.user))
    except GatewayError as exc:
        messages.error(request, capfirst(str(exc)))
    else:
        messages.success(
            request,
            _("%(device)s retired: its session has ended and it cannot open another.")
            % {"device": device.device_id},
        )
    return redirect("gateway:establishment-devices", code=code.upper())


# --- what is being blocked ---------------------------------------------------------------


@require_GET
@staff_required
def blocked(request: HttpRequest, code: str) -> HttpResponse:
    establishment = _establishment(request, code, Action.SUPERVISE_DEVICES)
    locations = list(
        Location.objects.for_user(request.user, Action.SUPERVISE_DEVICES).filter(
            establishment=establishment
        )
    )
    wings = sorted((loc for loc in locations if loc.kind == LocationKind.WING), key=_code)
    wing = next((w for w in wings if w.code == request.GET.get("wing", "").upper()), None)
    events = recent_refusals(
        AuditEvent.objects.for_user(request.user, Action.SUPERVISE_DEVICES).filter(
            establishment=establishment
        ),
        since=timezone.now() - LIVE_WINDOW,
        location_codes=codes_on_wing(wing, locations) if wing else None,
        limit=LIVE_LIMIT,
    )
    live = request.GET.get("live") != "off"
    return render(
        request,
        "gateway/staff/blocked.html",
        {
            "establishment": establishment,
            "wings": wings,
            "wing": wing,
            "rows": _rows(request, events),
            "live": live,
            "every": LIVE_EVERY,
            "window_hours": int(LIVE_WINDOW.total_seconds() // 3600),
            "limit": LIVE_LIMIT,
            "now": timezone.now(),
        },
    )


# --- a prisoner's browsing history -------------------------------------------------------


@require_GET
@staff_required
def browsing_history(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(request.user, Action.VIEW_BROWSING).select_related(
            "establishment"
        ),
        prison_number=prison_number.upper(),
    )
    # As on the activity timeline, each request stays with the establishment it was made
    # at: after a transfer, the history from before is read there.
    events = requests_of(
        AuditEvent.objects.for_user(request.user, Action.VIEW_BROWSING), prisoner.pk
    )
    page = newest_first(events, request.GET)
    return render(
        request,
        "gateway/staff/browsing_history.html",
        {
            "prisoner": prisoner,
            "page": page,
            "rows": [(event, event.details) for event in page.events],
        },
    )


# --- internals ---------------------------------------------------------------------------


def _establishment(request: HttpRequest, code: str, action: str) -> Establishment:
    return get_object_or_404(
        Establishment.objects.for_user(request.user, action), code=code.upper()
    )


def _may(request: HttpRequest, action: str, establishment: Establishment) -> bool:
    return Establishment.objects.for_user(request.user, action).filter(pk=establishment.pk).exists()


def _code(location: Location) -> str:
    return location.code


def _lockdown_form(
    request: HttpRequest, establishment: Establishment, data: Any = None
) -> LockdownForm:
    wings = (
        Location.objects.for_user(request.user, Action.SUPERVISE_DEVICES)
        .filter(establishment=establishment, kind=LocationKind.WING)
        .order_by("code")
    )
    return LockdownForm(data, establishment=establishment, wings=list(wings))


def _devices_page(
    request: HttpRequest, establishment: Establishment, *, lockdown_form: LockdownForm | None = None
) -> HttpResponse:
    user = request.user
    locations = Location.objects.for_user(user, Action.SUPERVISE_DEVICES).filter(
        establishment=establishment
    )
    wing_of = wings_by_location(locations)
    sessions = (
        DeviceSession.objects.for_user(user, Action.SUPERVISE_DEVICES)
        .live()
        .filter(device__establishment=establishment)
        .select_related("prisoner", "device", "location")
        .order_by("location__code", "opened_at")
    )
    groups: dict[int | None, WingSessions] = {}
    for session in sessions:
        wing = wing_of.get(session.location_id)
        groups.setdefault(wing.pk if wing else None, WingSessions(wing, [])).sessions.append(
            session
        )
    by_wing = sorted(groups.values(), key=lambda group: (group.wing is None, _wing_code(group)))
    lockdowns = list(
        Lockdown.objects.for_user(user, Action.SUPERVISE_DEVICES)
        .in_force()
        .filter(establishment=establishment)
        .select_related("wing")
    )
    context: dict[str, Any] = {
        "establishment": establishment,
        "by_wing": by_wing,
        "session_count": sum(len(group.sessions) for group in by_wing),
        "lockdowns": lockdowns,
        "lockdown_form": lockdown_form or _lockdown_form(request, establishment),
        # The page's title and error summary speak for the form that was sent.
        "form": lockdown_form,
        "can_manage": _may(request, Action.MANAGE_DEVICES, establishment),
    }
    if context["can_manage"]:
        registered = (
            Device.objects.for_user(user, Action.MANAGE_DEVICES)
            .filter(establishment=establishment)
            .select_related("location")
            .order_by(F("retired_at").asc(nulls_first=True), "device_id")
        )
        paginator = Paginator(registered, DEVICES_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        context.update(
            page=page,
            page_numbers=paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            ellipsis=Paginator.ELLIPSIS,
        )
    return render(request, "gateway/staff/devices.html", context)


def _wing_code(group: WingSessions) -> str:
    return group.wing.code if group.wing else ""


@dataclass(frozen=True)
class BlockedRow:
    event: AuditEvent
    details: dict[str, Any]
    prisoner: Prisoner | None  # None if the user may no longer see them (moved on)


def _rows(request: HttpRequest, events: list[AuditEvent]) -> list[BlockedRow]:
    ids = {int(event.subject_id) for event in events if event.subject_id.isdigit()}
    prisoners = Prisoner.objects.for_user(request.user, Action.VIEW).in_bulk(ids)
    return [
        BlockedRow(
            event,
            event.details,
            prisoners.get(int(event.subject_id)) if event.subject_id.isdigit() else None,
        )
        for event in events
    ]

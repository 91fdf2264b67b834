"""Finding a prisoner and reading their record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wicketgate.accounts.models import PinThrottle, PrisonerAccount
from wicketgate.accounts.pins import is_trusted
from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import may_at
from wicketgate.estate.codes import LocationKind
from wicketgate.estate.models import Location
from wicketgate.gateway.models import Device
from wicketgate.people.forms import PrisonerFilterForm
from wicketgate.people.models import IncentiveReview, Movement, Prisoner, PrisonerAlert
from wicketgate.policy.models import PrisonerException
from wicketgate.web.decorators import staff_required
from wicketgate.web.switcher import current_establishment

PER_PAGE = 25


def active_alerts_on(day: dt.date) -> Q:
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gt=day))


@require_GET
@staff_required
def prisoner_list(request: HttpRequest) -> HttpResponse:
    current = current_establishment(request)
    prisoners = Prisoner.objects.for_user(request.user, Action.VIEW)
    wings = (
        Location.objects.for_user(request.user, Action.VIEW)
        .filter(kind=LocationKind.WING)
        .select_related("establishment")
        .order_by("establishment__name", "code")
    )
    if current is not None:
        prisoners = prisoners.filter(establishment=current)
        wings = wings.filter(establishment=current)
    form = PrisonerFilterForm(request.GET if _has_filters(request) else None, wings=wings)
    chosen: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # errors are shown; the filters that are valid still apply
        chosen = {name: value for name, value in form.cleaned_data.items() if value}
    if "q" in chosen:
        prisoners = prisoners.search(chosen["q"])
    if "wing" in chosen:
        prisoners = prisoners.in_wing(chosen["wing"].pk)
    if "category" in chosen:
        prisoners = prisoners.filter(security_category=chosen["category"])
    if "level" in chosen:
        prisoners = prisoners.filter(incentive_level=chosen["level"])
    if "alert" in chosen:
        prisoners = prisoners.with_active_alert(chosen["alert"].code)
    prisoners = prisoners.select_related("establishment", "location").prefetch_related(
        Prefetch(
            "alerts",
            queryset=PrisonerAlert.objects.for_user(request.user, Action.VIEW)
            .filter(active_alerts_on(timezone.localdate()))
            .select_related("code"),
            to_attr="current_alerts",
        )
    )
    paginator = Paginator(prisoners, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "people/staff/prisoner_list.html",
        {
            "form": form,
            "page": page,
            "page_numbers": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "ellipsis": Paginator.ELLIPSIS,
            "current": current,
            "selected_filters": _selected_filters(request, form, chosen),
            "show_establishment": current is None,
        },
    )


@require_GET
@staff_required
def prisoner_profile(request: HttpRequest, prison_number: str) -> HttpResponse:
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(request.user, Action.VIEW).select_related(
            "establishment", "location__parent__parent", "account__user"
        ),
        prison_number=prison_number.upper(),
    )
    today = timezone.localdate()
    alerts = list(
        PrisonerAlert.objects.for_user(request.user, Action.VIEW)
        .filter(prisoner=prisoner)
        .select_related("code", "created_by")
    )
    reviews = list(
        IncentiveReview.objects.for_user(request.user, Action.VIEW)
        .filter(prisoner=prisoner)
        .select_related("establishment")
    )
    movements = list(
        Movement.objects.for_user(request.user, Action.VIEW)
        .filter(prisoner=prisoner)
        .select_related("from_establishment", "to_establishment", "from_location", "to_location")
    )
    exceptions = list(
        PrisonerException.objects.filter(prisoner=prisoner).select_related("site", "category")
    )
    try:
        account = prisoner.account
    except ObjectDoesNotExist:
        account = None
    return render(
        request,
        "people/staff/prisoner_profile.html",
        {
            "prisoner": prisoner,
            "details": _details(prisoner, today, reviews),
            "active_alerts": [a for a in alerts if a.ends_on is None or a.ends_on > today],
            "past_alerts": [a for a in alerts if a.ends_on is not None and a.ends_on <= today],
            "reviews": reviews,
            "movements": movements,
            "account": account,
            "pins": _pin_status(request, account) if account is not None else None,
            "today": today,
            "can_change": Prisoner.objects.for_user(request.user, Action.CHANGE)
            .filter(pk=prisoner.pk)
            .exists(),
            "can_view_audit": Prisoner.objects.for_user(request.user, Action.VIEW_AUDIT)
            .filter(pk=prisoner.pk)
            .exists(),
            "can_view_browsing": Prisoner.objects.for_user(request.user, Action.VIEW_BROWSING)
            .filter(pk=prisoner.pk)
            .exists(),
            "can_read_conduct": may_at(
                request.user, Action.REPORT_INCIDENTS, prisoner.establishment_id
            ),
            "can_manage_contacts": may_at(
                request.user, Action.MANAGE_CONTACTS, prisoner.establishment_id
            ),
            "can_manage_phone": may_at(
                request.user, Action.MANAGE_PHONE, prisoner.establishment_id
            ),
            # Revoked or past their last day, exceptions stay listed: why access changed.
            "active_exceptions": [e for e in exceptions if _in_force(e, today)],
            "past_exceptions": [e for e in exceptions if not _in_force(e, today)],
            "can_propose_policy": Prisoner.objects.for_user(request.user, Action.PROPOSE_POLICY)
            .filter(pk=prisoner.pk)
            .exists(),
        },
    )


def _in_force(exception: PrisonerException, today: dt.date) -> bool:
    return exception.revoked_at is None and exception.until >= today


def _has_filters(request: HttpRequest) -> bool:
    return any(key in request.GET for key in PrisonerFilterForm.base_fields)


def _details(
    prisoner: Prisoner, today: dt.date, reviews: list[IncentiveReview]
) -> list[tuple[str, Any]]:
    location = prisoner.location
    where = (
        " › ".join(place.label for place in [*location.ancestors(), location])
        if location
        else _("Not recorded")
    )
    next_review = reviews[0].next_review_due if reviews else None
    level = prisoner.get_incentive_level_display()
    if next_review:
        level = _("%(level)s (next review due by %(date)s)") % {
            "level": level,
            "date": date_format(next_review, "j F Y"),
        }
    return [
        (_("Name"), prisoner.full_name),
        (_("Prison number"), prisoner.prison_number),
        (
            _("Date of birth"),
            _("%(date)s (age %(age)s)")
            % {"date": date_format(prisoner.date_of_birth, "j F Y"), "age": prisoner.age_on(today)},
        ),
        (_("Establishment"), prisoner.establishment.name),
        (_("Location"), where),
        (_("Security category"), prisoner.get_security_category_display()),
        (_("Incentive level"), level),
        (_("Legal status"), prisoner.get_legal_status_display()),
    ]


def _selected_filters(
    request: HttpRequest, form: PrisonerFilterForm, chosen: dict[str, Any]
) -> list[dict[str, str]]:
    """The filters in use, each with the address of the list without it."""
    selected = []
    for name, value in chosen.items():
        field = form.fields[name]
        if name == "q":
            text = f"“{value}”"
        elif name == "wing":
            text = value.label
        elif name == "alert":
            text = value.description
        else:
            # A choice field's choices, as its widget (a Select) is given them.
            text = str(dict(cast(forms.Select, field.widget).choices).get(value, value))
        query = request.GET.copy()
        for param in (name, "page"):
            query.pop(param, None)
        remove_url = f"{request.path}?{query.urlencode()}" if query else request.path
        selected.append({"heading": str(field.label), "text": text, "remove_url": remove_url})
    return selected


@dataclass(frozen=True)
class DevicePins:
    """Wrong PINs for one account on one device, and the device's own count."""

    device: Device
    failures: int  # this account's, here
    own: bool  # the account signed in here lately: the account-wide count does not hold
    refusing_until: dt.datetime | None  # this account, here
    device_failures: int  # every account's, here
    device_refusing_until: dt.datetime | None


@dataclass(frozen=True)
class PinStatus:
    failures: int  # the account's, on every device, in the current window
    refusing_until: dt.datetime | None  # on devices that are not its own
    last_failure_at: dt.datetime | None
    devices: list[DevicePins]

    @property
    def counted(self) -> bool:
        return self.failures > 0 or any(d.failures for d in self.devices)


def _pin_status(request: HttpRequest, account: PrisonerAccount) -> PinStatus:
    now = timezone.now()
    # Devices only at establishments this member of staff can see.
    rows = list(
        PinThrottle.objects.filter(account=account)
        .filter(
            Q(device__isnull=True)
            | Q(device__in=Device.objects.for_user(request.user, Action.VIEW))
        )
        .select_related("device")
    )
    whole = next((r for r in rows if r.device_id is None), None)
    at_devices = sorted(
        ((r, r.device) for r in rows if r.device is not None), key=lambda pair: pair[1].device_id
    )
    device_rows = (
        {
            r.device_id: r
            for r in PinThrottle.objects.filter(
                device__in=[device for _row, device in at_devices], account__isnull=True
            )
        }
        if at_devices
        else {}
    )

    def until(row: PinThrottle | None) -> dt.datetime | None:
        return row.blocked_until if row is not None and row.blocks_at(now) else None

    listed = []
    for own, device in at_devices:
        device_row = device_rows.get(device.pk)
        if not (own.failures or (device_row and device_row.failures)):
            continue
        listed.append(
            DevicePins(
                device=device,
                failures=own.failures,
                own=is_trusted(own, now),
                refusing_until=until(own),
                device_failures=device_row.failures if device_row else 0,
                device_refusing_until=until(device_row),
            )
        )
    return PinStatus(
        failures=whole.failures if whole else 0,
        refusing_until=until(whole),
        last_failure_at=whole.last_failure_at if whole else None,
        devices=listed,
    )

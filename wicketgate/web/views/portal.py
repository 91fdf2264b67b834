"""The prisoner portal on in-cell laptops and wing kiosks: PIN sign-in and the home page."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.models import UserKind
from wicketgate.accounts.pins import check_prisoner_pin
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import ContactLink
from wicketgate.estate.text import COMING_SERVICES
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.forms.auth import PinSignInForm
from wicketgate.web.portals import signed_in_prisoner
from wicketgate.web.signin import (
    device_at_address,
    record_failed_pin,
    record_sign_in,
)
from wicketgate.web.signin import (
    sign_out as sign_out_of_portal,
)
from wicketgate.web.views.auth import safe_next_url

PORTAL = "prisoner"
PIN_BACKEND = "wicketgate.accounts.backends.PrisonerPinBackend"


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@sensitive_post_parameters("password")
def sign_in(request: HttpRequest) -> HttpResponse:
    # Back to the page that sent them here, such as "ask for a website" from the block page.
    next_url = safe_next_url(request, "/portal/")
    if request.method != "POST":
        return render(
            request, "web/portal/sign_in.html", {"form": PinSignInForm(), "next": next_url}
        )
    form = PinSignInForm(request.POST)
    if form.is_valid():
        number = form.cleaned_data["prison_number"]
        device = device_at_address(request)
        # Not authenticate(): django-axes would lock the account (all of it, behind the
        # gateway's one address) after wrong PINs. Wrong PINs are slowed down instead.
        check = check_prisoner_pin(number, form.cleaned_data["password"], device=device)
        if check.user is not None:
            login(request, check.user, backend=PIN_BACKEND)
            record_sign_in(request, check.user, portal=PORTAL)
            return redirect(next_url or reverse("web:portal-home"))
        record_failed_pin(request, number, check, portal=PORTAL, device=device)
        if check.throttled_until is not None:
            form.add_error(None, throttled_message(check.throttled_until))
        else:
            form.add_error(
                None, _("The prison number or PIN is not right. Check them and try again.")
            )
    return render(request, "web/portal/sign_in.html", {"form": form, "next": next_url})


def throttled_message(until: dt.datetime) -> str:
    """What a prisoner is told when a PIN try is refused unchecked: when to try again."""
    return _(
        "The wrong PIN was entered too many times. Try again after %(time)s, or ask a member of staff."
    ) % {"time": formats.time_format(timezone.localtime(until), "H:i:s")}


@require_GET
@prisoner_required
def home(request: HttpRequest) -> HttpResponse:
    prisoner = signed_in_prisoner(request)
    establishment = prisoner.establishment
    services = [label for name, label in COMING_SERVICES.items() if establishment.feature(name)]
    return render(
        request,
        "web/portal/home.html",
        {
            "prisoner": prisoner,
            "services": services,
            "web_access": establishment.feature("web_access"),
            "video_calls": establishment.feature("video_calls"),
            "phone_calls": establishment.feature("phone_calls"),
            "contacts_asking": ContactLink.objects.filter(
                prisoner=prisoner, status=LinkStatus.REQUESTED
            ).count(),
        },
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sign_out_of_portal(request, kind=UserKind.PRISONER, portal=PORTAL)
    return redirect("web:portal-sign-in")

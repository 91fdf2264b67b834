"""The prisoner portal on in-cell laptops and wing kiosks: PIN sign-in and the home page."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.models import PrisonerAccount, User, UserKind
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import ContactLink
from wicketgate.people.models import Prisoner
from wicketgate.web.decorators import prisoner_required
from wicketgate.web.forms.auth import PinSignInForm
from wicketgate.web.labels import COMING_SERVICES
from wicketgate.web.signin import record_failed_sign_in, record_sign_in, record_sign_out
from wicketgate.web.views.auth import safe_next_url

PORTAL = "prisoner"


def device_username(prison_number: str) -> str:
    """The username of a prisoner's device account, which django-axes counts failures against."""
    return f"prisoner:{prison_number}"


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
        # username= is only for django-axes, so failures are counted per account and not
        # for everyone at the same kiosk; ModelBackend ignores it without a password.
        user = authenticate(
            request,
            username=device_username(number),
            prison_number=number,
            pin=form.cleaned_data["password"],
        )
        if isinstance(user, User) and user.kind == UserKind.PRISONER:
            login(request, user)
            record_sign_in(request, user, portal=PORTAL)
            return redirect(next_url or reverse("web:portal-home"))
        account = PrisonerAccount.objects.filter(prisoner__prison_number=number).first()
        locked = account is not None and account.is_locked
        record_failed_sign_in(request, number, portal=PORTAL, reason="locked" if locked else "pin")
        if locked:
            form.add_error(
                None,
                _(
                    "Your account is locked because the wrong PIN was entered too many times. Ask a member of staff to unlock it."
                ),
            )
        else:
            form.add_error(
                None, _("The prison number or PIN is not right. Check them and try again.")
            )
    return render(request, "web/portal/sign_in.html", {"form": form, "next": next_url})


def signed_in_prisoner(request: HttpRequest) -> Prisoner:
    """The prisoner whose device account is signed in: every portal page reads through it."""
    account = get_object_or_404(
        PrisonerAccount.objects.select_related("prisoner__establishment"),
        user=cast(User, request.user),
    )
    return account.prisoner


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
            "contacts_asking": ContactLink.objects.filter(
                prisoner=prisoner, status=LinkStatus.REQUESTED
            ).count(),
        },
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    record_sign_out(request, request.user, portal=PORTAL)
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("web:portal-sign-in")

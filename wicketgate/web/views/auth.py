"""Staff sign-in (username, password and a second factor on one form) and sign-out."""

from __future__ import annotations

import django_otp
from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from wicketgate.accounts.models import User, UserKind
from wicketgate.web.decorators import is_verified_staff
from wicketgate.web.forms.auth import StaffSignInForm
from wicketgate.web.signin import (
    count_failure,
    record_failed_sign_in,
    record_sign_in,
    second_factor_method,
    verify_second_factor,
)
from wicketgate.web.signin import (
    sign_out as sign_out_of_portal,
)

PORTAL = "staff"


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@sensitive_post_parameters("password", "otp_token")
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = safe_next_url(request, "/staff/")
    if request.method != "POST":
        if is_verified_staff(request.user):
            return redirect(next_url or reverse("web:home"))
        return render(
            request, "web/staff/sign_in.html", {"form": StaffSignInForm(), "next": next_url}
        )
    form = StaffSignInForm(request.POST)
    if form.is_valid() and _sign_in(request, form) is not None:
        return redirect(next_url or reverse("web:home"))
    return render(request, "web/staff/sign_in.html", {"form": form, "next": next_url})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sign_out_of_portal(request, kind=UserKind.STAFF, portal=PORTAL)
    return redirect("web:sign-in")


def safe_next_url(request: HttpRequest, within: str) -> str:
    """The page to go to after signing in, if it is one of ours under ``within``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith(within) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _sign_in(request: HttpRequest, form: StaffSignInForm) -> User | None:
    """Check all three answers; sign in and return the user, or add the error to ``form``."""
    username = form.cleaned_data["username"]
    user = authenticate(request, username=username, password=form.cleaned_data["password"])
    if getattr(request, "axes_locked_out", False):
        # django-axes replaces this response with its lockout page.
        record_failed_sign_in(request, username, portal=PORTAL, reason="locked_out")
        return None
    reason = ""
    device = None
    if user is None:
        reason = "password"
    elif not isinstance(user, User) or user.kind != UserKind.STAFF:
        reason = "not_staff"
    else:
        device = verify_second_factor(user, form.cleaned_data["otp_token"])
        if device is None:
            reason = "second_factor"
    if user is None or device is None:
        if reason != "password":  # authenticate() has already counted a wrong password
            count_failure(request, username)
        record_failed_sign_in(
            request,
            username,
            portal=PORTAL,
            reason=reason,
            subject=user if reason == "second_factor" else None,
        )
        # One message for every failure, so the form never confirms that a password was right.
        form.add_error(
            None,
            _("The username, password or security code is not right. Check them and try again."),
        )
        return None
    login(request, user)  # a new session key, so a session fixed before sign-in is useless
    django_otp.login(request, device)
    record_sign_in(request, user, portal=PORTAL, second_factor=second_factor_method(device))
    return user

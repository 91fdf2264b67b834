"""The family and friends portal: sign-in and a first home page."""

from __future__ import annotations

from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wicketgate.accounts.models import User, UserKind
from wicketgate.web.decorators import family_required
from wicketgate.web.forms.auth import FamilySignInForm
from wicketgate.web.signin import (
    count_failure,
    record_failed_sign_in,
    record_sign_in,
)
from wicketgate.web.signin import (
    sign_out as sign_out_of_portal,
)
from wicketgate.web.views.auth import safe_next_url

PORTAL = "family"


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@sensitive_post_parameters("password")
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = safe_next_url(request, "/family/")
    if request.method != "POST":
        return render(
            request, "web/family/sign_in.html", {"form": FamilySignInForm(), "next": next_url}
        )
    form = FamilySignInForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"]
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if isinstance(user, User) and user.kind == UserKind.FAMILY:
            login(request, user)
            record_sign_in(request, user, portal=PORTAL)
            return redirect(next_url or "web:family-home")
        if user is not None:
            count_failure(request, email)  # right password, wrong portal: still a failure here
        locked_out = getattr(request, "axes_locked_out", False)
        reason = "locked_out" if locked_out else "not_family" if user is not None else "password"
        record_failed_sign_in(request, email, portal=PORTAL, reason=reason)
        form.add_error(
            None, _("The email address or password is not right. Check them and try again.")
        )
    return render(request, "web/family/sign_in.html", {"form": form, "next": next_url})


@require_GET
@family_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/family/home.html")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sign_out_of_portal(request, kind=UserKind.FAMILY, portal=PORTAL)
    return redirect("web:family-sign-in")

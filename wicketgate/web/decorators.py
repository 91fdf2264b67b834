"""Who may open which part of the site.

Each portal admits only its own kind of user. Anyone else who is signed in gets a 404,
as if the page did not exist; someone not signed in is sent to that portal's sign-in.
The pages these guard are never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from wicketgate.accounts.models import UserKind
from wicketgate.accounts.scoping import may_somewhere

View = Callable[..., HttpResponseBase]


def is_verified_staff(user: Any) -> bool:
    """Active staff who passed the second factor in this session."""
    is_verified = getattr(user, "is_verified", None)
    return bool(
        user.is_authenticated
        and user.is_active
        and getattr(user, "kind", None) == UserKind.STAFF
        and is_verified is not None
        and is_verified()
    )


def staff_required(view: View) -> View:
    """Signed in as active staff with the second factor passed in this session."""
    return _portal_required(view, UserKind.STAFF, "web:sign-in", needs_second_factor=True)


def somewhere_required(action: str) -> Callable[[View], View]:
    """May do ``action`` at some establishment (``accounts.scoping.may_somewhere``); anyone
    else gets a 404. The one permission decorator: it goes beneath ``staff_required``, and
    which records they see is still for ``for_user``, and at one establishment ``may_at``.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not may_somewhere(request.user, action):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def prisoner_required(view: View) -> View:
    return _portal_required(view, UserKind.PRISONER, "web:portal-sign-in")


def family_required(view: View) -> View:
    return _portal_required(view, UserKind.FAMILY, "web:family-sign-in")


def _portal_required(
    view: View, kind: str, sign_in: str, *, needs_second_factor: bool = False
) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return _to_sign_in(request, sign_in)
        if getattr(user, "kind", None) != kind or not user.is_active:
            raise Http404
        if needs_second_factor and not is_verified_staff(user):
            return _to_sign_in(request, sign_in)
        response = view(request, *args, **kwargs)
        # Records about people must not linger in the cache of a shared kiosk or office PC.
        add_never_cache_headers(response)
        return response

    return wrapper


def _to_sign_in(request: HttpRequest, sign_in: str) -> HttpResponse:
    # Only a page can be come back to: after signing in, a form's POST address would 405.
    if request.method not in ("GET", "HEAD"):
        return redirect(sign_in)
    return redirect_to_login(request.get_full_path(), reverse(sign_in))

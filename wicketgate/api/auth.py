"""Who is calling the API: an integration's bearer token, or a verified staff session.

Both resolve to a member of staff, whose establishments then scope every read. Anyone
else (prisoners, families, staff without their second factor) is refused with a 401.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from wicketgate.accounts.models import ApiToken, User, UserKind

# Recording every use would turn each read into a write; a minute is precise enough to
# tell an idle token from a busy one.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def caller(request: HttpRequest) -> User:
    """The member of staff the authenticated request acts as."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):  # pragma: no cover - every operation requires auth
        raise AuthenticationError()
    return user


class BearerToken(HttpBearer):
    """``Authorization: Bearer wg_<keyid>_<secret>``, acting as the token's staff user."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        found = ApiToken.find(token.strip())
        if found is None or found.user.kind != UserKind.STAFF:
            # A caller who presents a token means to be that token: never fall back to
            # whatever session cookie the same client happens to carry.
            raise AuthenticationError(
                message="The token is not valid, or has expired or been revoked."
            )
        _note_use(found)
        return found.user


def _note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    # Conditional, so that concurrent requests write at most once a minute between them.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)


class VerifiedStaffSession(APIKeyCookie):
    """The staff UI's session, once its second factor has been passed.

    Unsafe methods must carry the CSRF token, as they would in the staff UI.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # The CSRF check happens in authenticate, once we know there is a session to
        # protect; a request with no session at all is a 401, not a 403.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        is_verified = getattr(user, "is_verified", None)  # installed by OTPMiddleware
        if user.kind != UserKind.STAFF or is_verified is None or not is_verified():
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        return cast(User, user)

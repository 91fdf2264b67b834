"""Sign-in for prisoner device accounts: prison number and PIN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.http import HttpRequest

from wicketgate.accounts.models import User, UserKind
from wicketgate.accounts.pins import check_prisoner_pin

if TYPE_CHECKING:
    from wicketgate.gateway.models import Device


class PasswordBackend(ModelBackend):
    """Username and password, for staff and families.

    Never a prisoner's device account: its password hash is the PIN, which must only be
    tried through :class:`PrisonerPinBackend`, where failures are counted and slowed down.
    """

    def user_can_authenticate(self, user: Any) -> bool:
        return (
            super().user_can_authenticate(user) and getattr(user, "kind", None) != UserKind.PRISONER
        )


class PrisonerPinBackend(BaseBackend):
    """Authenticates ``prison_number`` + ``pin`` (and the ``device``, if known).

    Only used when both keywords are given, so it never answers a staff sign-in. Wrong
    PINs slow down further tries (see :mod:`wicketgate.accounts.pins`); the sign-in
    pages call :func:`~wicketgate.accounts.pins.check_prisoner_pin` themselves to tell a
    throttled try from a wrong PIN.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        prison_number: str | None = None,
        pin: str | None = None,
        device: Device | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not prison_number or not pin:
            return None
        return check_prisoner_pin(prison_number, pin, device=device).user

    def get_user(self, user_id: int) -> User | None:
        # Being throttled never ends a session: only a suspended (inactive) user is out.
        return User.objects.filter(
            pk=user_id, kind=UserKind.PRISONER, is_active=True, prisoner_account__isnull=False
        ).first()

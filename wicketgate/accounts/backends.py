"""Sign-in for prisoner device accounts: prison number and PIN."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from wicketgate.accounts.models import PrisonerAccount, User, UserKind


class PasswordBackend(ModelBackend):
    """Username and password, for staff and families.

    Never a prisoner's device account: its password hash is the PIN, which must only be
    tried through :class:`PrisonerPinBackend`, where failures count towards its lockout.
    """

    def user_can_authenticate(self, user: Any) -> bool:
        return (
            super().user_can_authenticate(user) and getattr(user, "kind", None) != UserKind.PRISONER
        )


class PrisonerPinBackend(BaseBackend):
    """Authenticates ``prison_number`` + ``pin``; locks the account after repeated failures.

    Only used when both keywords are given, so it never answers a staff sign-in.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        prison_number: str | None = None,
        pin: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not prison_number or not pin:
            return None
        with transaction.atomic():
            account = (
                PrisonerAccount.objects.select_for_update()
                .select_related("user")
                .filter(prisoner__prison_number=prison_number.strip().upper())
                .first()
            )
            if account is None or account.is_locked or not account.user.is_active:
                return None
            if account.user.check_password(pin):
                if account.failed_attempts:
                    account.failed_attempts = 0
                    account.save(update_fields=["failed_attempts"])
                return account.user
            account.failed_attempts += 1
            if account.failed_attempts >= settings.WICKETGATE_PIN_FAILURE_LIMIT:
                account.locked_at = timezone.now()
            account.save(update_fields=["failed_attempts", "locked_at"])
            return None

    def get_user(self, user_id: int) -> User | None:
        user = User.objects.filter(pk=user_id, kind=UserKind.PRISONER, is_active=True).first()
        if user is None:
            return None
        account = PrisonerAccount.objects.filter(user=user).first()
        return None if account is None or account.is_locked else user

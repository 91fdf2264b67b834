"""What the sign-in pages share: second-factor checks, throttling and the audit record."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from wicketgate.accounts.models import User
from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent

SIGN_IN = "accounts.sign_in"
SIGN_OUT = "accounts.sign_out"
WEB = Actor.system("web")


def verify_second_factor(user: User, token: str) -> Device | None:
    """The device that accepts ``token``: the authenticator app for digits, else a backup code.

    Only the device the token can belong to is asked, so a mistyped app code does not
    throttle the backup codes (django-otp slows a device down after each failure). A
    backup code is used up when it is accepted.
    """
    model: type[Device] = TOTPDevice if token.isdigit() else StaticDevice
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(token):
                return device
    return None


def second_factor_method(device: Device) -> str:
    return "backup_code" if isinstance(device, StaticDevice) else "authenticator_app"


def count_failure(request: HttpRequest, username: str) -> None:
    """Tell django-axes about a failure that ``authenticate`` did not see (a wrong code)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def record_sign_in(request: HttpRequest, user: User, *, portal: str, **details: Any) -> None:
    record_event(
        SIGN_IN,
        actor=user,
        subject=user,
        details={"portal": portal, "ip": _client_ip(request), **details},
    )


def record_failed_sign_in(
    request: HttpRequest, attempted: str, *, portal: str, reason: str, subject: Any = None
) -> None:
    """A refused sign-in, with the name that was tried; never anything secret."""
    record_event(
        SIGN_IN,
        actor=WEB,
        subject=subject,
        outcome=AuditEvent.Outcome.DENIED,
        details={
            "portal": portal,
            "username": attempted[:150],
            "reason": reason,
            "ip": _client_ip(request),
        },
    )


def record_sign_out(request: HttpRequest, user: Any, *, portal: str) -> None:
    if user.is_authenticated:
        record_event(SIGN_OUT, actor=user, subject=user, details={"portal": portal})


def _client_ip(request: HttpRequest) -> str | None:
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")

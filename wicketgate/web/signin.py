"""What the sign-in pages share: second-factor checks, throttling and the audit record."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from wicketgate.accounts.models import User
from wicketgate.accounts.pins import PinCheck
from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.gateway import models as gateway

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
        actor=Actor.of_user(user),
        subject=user,
        details={"portal": portal, "ip": client_ip(request), **details},
    )


def record_failed_sign_in(
    request: HttpRequest,
    attempted: str,
    *,
    portal: str,
    reason: str,
    subject: Any = None,
    **details: Any,
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
            "ip": client_ip(request),
            **details,
        },
    )


def record_failed_pin(
    request: HttpRequest,
    number: str,
    check: PinCheck,
    *,
    portal: str,
    device: gateway.Device | None,
) -> None:
    """A refused PIN sign-in: a wrong PIN (or unknown number), or a try while throttled."""
    details: dict[str, Any] = {}
    if device is not None:
        details["device"] = device.device_id
    if check.throttled_until is not None:
        details["until"] = check.throttled_until.isoformat()
    record_failed_sign_in(
        request,
        number,
        portal=portal,
        reason="throttled" if check.throttled else "pin",
        **details,
    )


def device_at_address(request: HttpRequest) -> gateway.Device | None:
    """The one active device registered at the address a request came from, if any.

    A page reached through the gateway comes from the gateway's own address, which is no
    device's; the gateway's portal route says which device it came from
    (:func:`device_address`).
    """
    address = device_address(request)
    if not address:
        return None
    found = list(
        gateway.Device.objects.filter(address=address, retired_at__isnull=True).select_related(
            "establishment"
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def sign_out(request: HttpRequest, *, kind: str, portal: str) -> None:
    """Sign out whoever is signed in to this portal, and record it. A session of another
    kind (a prisoner's, posting to the staff sign-out) is left as it is and nothing is
    recorded: each portal signs out only its own people."""
    user = request.user
    if isinstance(user, User) and user.kind == kind:
        record_event(SIGN_OUT, actor=Actor.of_user(user), subject=user, details={"portal": portal})
        logout(request)
        messages.success(request, _("You have signed out."))


DEVICE_ADDRESS_HEADER = "HTTP_X_WICKETGATE_DEVICE_ADDRESS"


def device_address(request: HttpRequest) -> str | None:
    """The address of the device a request came from: the connection's own, or, for a
    request from a trusted gateway (``WICKETGATE_TRUSTED_GATEWAYS``), the device address
    its portal route writes (Squid removes any the device sent). Never a header from
    anyone else."""
    address = client_ip(request)
    if address and address in settings.WICKETGATE_TRUSTED_GATEWAYS:
        forwarded = request.META.get(DEVICE_ADDRESS_HEADER, "").strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            return None  # through the gateway, but not said from which device: none
    return address


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from: the connection's own (REMOTE_ADDR), never a
    header a client could write. A device session is bound to it, so it must be the
    device's: devices reach the sign-in API directly, not through a proxy."""
    return request.META.get("REMOTE_ADDR")

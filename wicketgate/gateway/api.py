"""Sign-in on a device: the prisoner portal's PIN sign-in, as the device's agent calls it.

A kiosk or laptop agent holds its device key (given once, when the device was
registered). When a prisoner types their prison number and PIN on the device, the agent
sends them here and receives the proxy credentials it configures the browser with; the
session is bound to the prisoner, the device and the device's location. Wrong PINs are
counted for the account and for this device, and slow down further tries (429 with the
time to try again), exactly as on the portal's sign-in page.
"""

# No ``from __future__ import annotations``: ninja reads the signatures at import time.

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyHeader

from wicketgate.accounts.pins import check_prisoner_pin
from wicketgate.audit.log import Actor
from wicketgate.gateway.actions import (
    GatewayError,
    device_by_key,
    do_close_device_session,
    do_open_device_session,
)
from wicketgate.gateway.models import CloseReason, Device, DeviceKind, DeviceSession
from wicketgate.web.signin import client_ip, record_failed_pin

router = Router(tags=["devices"])


class DeviceKey(APIKeyHeader):
    """``X-Wicketgate-Device: DEVICE_ID:KEY``, the key shown when the device was registered."""

    param_name = "X-Wicketgate-Device"

    def authenticate(self, request: HttpRequest, key: str | None) -> Device:
        device_id, _, secret = (key or "").partition(":")
        device = device_by_key(device_id, secret) if device_id and secret else None
        if device is None:
            raise AuthenticationError(
                message="Unknown device, wrong device key, or device retired."
            )
        return device


def calling_device(request: HttpRequest) -> Device:
    """The device the request authenticated as (``DeviceKey`` puts it on the request)."""
    device = getattr(request, "auth", None)
    if not isinstance(device, Device):  # pragma: no cover - every operation requires DeviceKey
        raise AuthenticationError()
    return device


class SignIn(Schema):
    prison_number: str = Field(pattern=r"^[A-Za-z][0-9]{4}[A-Za-z]{2}$")
    pin: str = Field(min_length=4, max_length=8)


class ProxyCredentials(Schema):
    username: str = Field(description="HTTP Basic proxy user name")
    password: str = Field(description="HTTP Basic proxy password (shown only now)")
    proxy: str = Field(description="The gateway's host:port")
    ends_by: dt.datetime = Field(description="The session ends at this time at the latest")
    idle_minutes: int = Field(description="…or after this long without a request")


class Detail(Schema):
    detail: str


class Throttled(Schema):
    detail: str
    retry_at: dt.datetime = Field(description="No PIN is checked for this account here before")


@router.post(
    "/device/sessions",
    auth=DeviceKey(),
    response={201: ProxyCredentials, 401: Detail, 409: Detail, 429: Throttled},
    summary="A prisoner signs in on this device",
)
def sign_in_on_device(request: HttpRequest, body: SignIn) -> Status[Any]:
    device = calling_device(request)
    if device.kind == DeviceKind.PHONE:
        # A handset never browses: refused before any PIN is checked, so it is no oracle.
        return Status(
            409, {"detail": f"device {device.device_id} is a phone handset: it does not browse"}
        )
    number = body.prison_number.upper()
    # Not authenticate(): wrong PINs are counted here per account and per device (and
    # slowed down), not by django-axes.
    check = check_prisoner_pin(number, body.pin, device=device)
    user = check.user
    if user is None:
        record_failed_pin(request, number, check, portal="device", device=device)
        if check.throttled_until is not None:
            return Status(
                429,
                {
                    "detail": "The wrong PIN was entered too many times: try again after "
                    f"{check.throttled_until.isoformat()}, or ask a member of staff.",
                    "retry_at": check.throttled_until,
                },
            )
        return Status(401, {"detail": "The prison number or PIN is not right."})
    prisoner = user.prisoner_account.prisoner
    try:
        session, password = do_open_device_session(
            prisoner=prisoner,
            device=device,
            actor=Actor("prisoner", number, number),
            address=client_ip(request),  # the session is served to this address only
        )
    except GatewayError as exc:
        return Status(409, {"detail": str(exc)})
    return Status(
        201,
        {
            "username": session.username,
            "password": password,
            "proxy": settings.WICKETGATE_GATEWAY_LISTEN,
            "ends_by": session.ends_by,
            "idle_minutes": session.idle_seconds // 60,
        },
    )


@router.delete(
    "/device/sessions/current",
    auth=DeviceKey(),
    response={204: None, 404: Detail},
    summary="Sign out of this device",
)
def sign_out_of_device(request: HttpRequest) -> Status[Any]:
    device = calling_device(request)
    session = DeviceSession.objects.filter(device=device, closed_at__isnull=True).first()
    if session is None:
        raise HttpError(404, "No one is signed in on this device.")
    do_close_device_session(
        session,
        reason=CloseReason.SIGNED_OUT,
        actor=Actor("prisoner", session.prisoner.prison_number, session.prisoner.prison_number),
    )
    return Status(204, None)

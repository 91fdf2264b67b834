"""What Kamailio asks Wicketgate for each call, over HTTP on the key only it knows.

``credentials``: the HA1 to check a handset's digest against, given only for a prisoner
held where a live phone at that address is, whose phone PIN is set and not waiting out
wrong tries (else 404: Kamailio answers 403). ``failed``: a wrong digest, counted.
``decide``: ``decide_call``'s answer, as JSON, with the call's id when it is allowed (the
call is recorded and its credit held). ``answered`` and ``ended``: the call's progress; an
answer to a call that was ended meanwhile gets 410, and Kamailio hangs it up. A wrong key
is a 404, as if the address did not exist.
"""

from __future__ import annotations

import dataclasses
import hmac

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wicketgate.audit.log import Actor
from wicketgate.gateway.models import Device, DeviceKind
from wicketgate.phone.actions import count_wrong_phone_pin
from wicketgate.phone.announcements import announce
from wicketgate.phone.calling import KAMAILIO, do_answer_phone_call, do_end_phone_call, place_call
from wicketgate.phone.codes import CallState, EndedBy
from wicketgate.phone.kamailio import ask_key
from wicketgate.phone.models import HandsetPinTries, PhoneAccount, PhoneCall
from wicketgate.phone.rtpengine import MediaRelayError

# What Kamailio may say ended a call (anything else reads as the called person).
REPORTED_ENDS = {EndedBy.CALLER, EndedBy.CALLED, EndedBy.LIMIT, EndedBy.FAILED}


def _checked(key: str) -> None:
    if not hmac.compare_digest(key.encode(), ask_key().encode()):
        raise Http404


def _handset(address: str) -> Device | None:
    return (
        Device.objects.filter(kind=DeviceKind.PHONE, address=address, retired_at__isnull=True)
        .order_by("pk")
        .first()
    )


@require_GET
@never_cache
def credentials(request: HttpRequest, key: str) -> JsonResponse:
    _checked(key)
    user = request.GET.get("user", "").strip().upper()
    handset = _handset(request.GET.get("address", ""))
    account = (
        PhoneAccount.objects.select_related("prisoner").filter(prisoner__prison_number=user).first()
    )
    now = timezone.now()
    if (
        handset is None
        or account is None
        or account.prisoner.establishment_id != handset.establishment_id
        or (account.blocked_until is not None and account.blocked_until > now)
        or HandsetPinTries.objects.filter(
            account=account, handset=handset.device_id, blocked_until__gt=now
        ).exists()
    ):
        raise Http404
    return JsonResponse({"ha1": account.ha1, "realm": account.realm})


@require_GET
@never_cache
def failed(request: HttpRequest, key: str) -> HttpResponse:
    """A handset's digest did not match: counted against the account, as a wrong PIN on
    the portal is, so a handset cannot try PINs without end."""
    _checked(key)
    user = request.GET.get("user", "").strip().upper()
    handset = _handset(request.GET.get("address", ""))
    with transaction.atomic():
        account = (
            PhoneAccount.objects.select_for_update()
            .select_related("prisoner__establishment")
            .filter(prisoner__prison_number=user)
            .first()
        )
        if account is not None and handset is not None:
            count_wrong_phone_pin(
                account,
                timezone.now(),
                Actor.system(f"handset {handset.device_id}"),
                handset=handset.device_id,
            )
    return HttpResponse(status=204)


@require_GET
@never_cache
def decide(request: HttpRequest, key: str) -> JsonResponse:
    _checked(key)
    address = request.GET.get("address", "")
    handset = _handset(address)
    decision, call = place_call(
        request.GET.get("user", ""),
        request.GET.get("number", ""),
        handset=handset.device_id if handset is not None else "",
        address=address,
        sip_call_id=request.GET.get("call_id", ""),
    )
    return JsonResponse({**dataclasses.asdict(decision), "call": call.pk if call else None})


@require_GET
@never_cache
def answered(request: HttpRequest, key: str) -> HttpResponse:
    _checked(key)
    call = _call(request)
    if call.state != CallState.CONNECTING:  # ended while it rang
        return HttpResponse(status=410)
    try:
        announce(
            call,
            caller_tag=request.GET.get("from_tag", ""),
            called_tag=request.GET.get("to_tag", ""),
        )
    except MediaRelayError as exc:
        # The called person must hear who is calling first: no announcement, no call.
        do_end_phone_call(
            call,
            ended_by=EndedBy.FAILED,
            actor=KAMAILIO,
            reason=f"the announcement could not be played: {exc}"[:300],
        )
        return HttpResponse(status=410)
    if not do_answer_phone_call(call, dialog=request.GET.get("dialog", "")):
        return HttpResponse(status=410)
    return HttpResponse(status=204)


@require_GET
@never_cache
def ended(request: HttpRequest, key: str) -> HttpResponse:
    _checked(key)
    call = _call(request)
    by = request.GET.get("by", "")
    duration = request.GET.get("duration", "")
    do_end_phone_call(
        call,
        ended_by=by if by in REPORTED_ENDS else EndedBy.CALLED,
        actor=KAMAILIO,
        duration_seconds=int(duration) if duration.isdigit() else None,
    )
    return HttpResponse(status=204)


def _call(request: HttpRequest) -> PhoneCall:
    """The call Kamailio reports on, by its id and its SIP Call-ID together."""
    number = request.GET.get("call", "")
    call = PhoneCall.objects.filter(
        pk=int(number) if number.isdigit() else 0,
        sip_call_id=request.GET.get("call_id", ""),
    ).first()
    if call is None:
        raise Http404
    return call

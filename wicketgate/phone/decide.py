"""May this handset place this call, now, for this prisoner, and for how long?

The question Kamailio asks for every call (``decide_call``), answered from the records:
a registered handset at its own address; a prisoner held where the handset is, at an
establishment that offers phones, not already on a call; a number approved on their list
and not barred; phone hours; the contact policy (``Engine.decide_contact`` for a number
that belongs to a contact: bans, victims, child safeguarding, phone sanctions — never a legal adviser) or,
for a number that belongs to no contact, the phone sanctions themselves; and credit.

The answer carries the SIP status to refuse with, plain words and a rule code for the
record, and for an allowed call its limit: the least of the longest call, what the credit
pays for, and the end of phone hours. Deny by default: anything unexpected refuses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from wicketgate.conduct.codes import Service
from wicketgate.conduct.models import Sanction
from wicketgate.contacts.codes import LEGAL
from wicketgate.gateway.models import Device, DeviceKind
from wicketgate.people.models import Prisoner
from wicketgate.phone.actions import balance_pence
from wicketgate.phone.codes import NumberKind, NumberStatus
from wicketgate.phone.models import BarredNumber, PhoneCall, PhoneNumber, PhoneSettings
from wicketgate.phone.numbers import Number, NumberProblem, read_number
from wicketgate.policy.engine import Engine, UnknownPrisoner
from wicketgate.policy.engine import engine as shared_engine
from wicketgate.policy.hours import HoursError, Window, is_open, next_change, parse_hours

FORBIDDEN = 403  # SIP: the call is not allowed
NOT_FOUND = 404  # SIP: no such number on the list
PAYMENT_REQUIRED = 402  # SIP: no credit
BUSY = 486  # SIP: the prisoner is already on a call
TEMPORARILY_UNAVAILABLE = 480  # SIP: outside phone hours
MINUTE = 60
# A call allowed for less than this is not worth connecting (and a limit of nothing would
# read, to Kamailio's dialog module, as no limit at all).
MIN_CALL_SECONDS = 60
# The prisoner's alerts that protect particular people (compiler: VICTIM, CHILD).
PROTECTIVE_ALERTS = frozenset({"VICTIM", "CHILD"})


@dataclass(frozen=True)
class CallDecision:
    allowed: bool
    rule: str  # a code for the record: "ok", "number:not_on_list", "hours:closed", …
    reason: str  # plain words, for the prisoner's record and staff
    status: int = 200  # the SIP status to refuse with (200 when allowed)
    limit_seconds: int = 0  # how long the call may last, when allowed
    record: bool = False  # recorded (never a legal call)
    number: str = ""  # the dialled number in E.164, as the trunk gets it
    entry: int | None = None  # the PhoneNumber it is on the list as
    pence_a_minute: int = 0
    details: dict[str, object] = field(default_factory=dict)


def phone_settings_for(establishment_id: int) -> PhoneSettings:
    """The establishment's settings, or the defaults (unsaved) where it has none."""
    found = PhoneSettings.objects.filter(establishment_id=establishment_id).first()
    return found if found is not None else PhoneSettings(establishment_id=establishment_id)


def decide_call(
    prison_number: str,
    dialled: str,
    *,
    handset: str,
    address: str,
    at: dt.datetime | None = None,
    engine: Engine | None = None,
    ongoing: bool = False,
) -> CallDecision:
    """``handset``: the device id the call comes from; ``address``: the address it came
    from, as Kamailio saw it. ``ongoing``: may a live call go on? (Its own liveness, hours
    and credit were settled in its limit; everything else is asked again.)"""
    now = at or timezone.now()
    device = Device.objects.select_related("establishment").filter(device_id=handset).first()
    if device is None or device.kind != DeviceKind.PHONE or device.retired_at is not None:
        return _refuse("handset:unknown", "this is not a registered phone")
    if device.address != address:
        return _refuse(
            "handset:address",
            "the call did not come from the handset's address",
            details={"address": address, "registered": device.address},
        )
    prisoner = (
        Prisoner.objects.select_related("establishment")
        .filter(prison_number=prison_number.strip().upper())
        .first()
    )
    if prisoner is None or prisoner.establishment_id != device.establishment_id:
        return _refuse("prisoner:elsewhere", f"no prisoner {prison_number} is held here")
    if not prisoner.establishment.feature("phone_calls"):
        return _refuse("feature:off", f"{prisoner.establishment.name} does not offer phone calls")
    # One call at a time: a live call holds its credit, and two would share one balance.
    if not ongoing and PhoneCall.objects.live().filter(prisoner=prisoner).exists():
        return _refuse("call:busy", "already on a call", status=BUSY)
    listed = _listed(prisoner, dialled)
    if isinstance(listed, CallDecision):
        return listed
    number, entry = listed
    if BarredNumber.objects.filter(number=number.e164).exists():
        return _refuse("number:barred", f"{number.e164} is barred for everyone")
    chosen = phone_settings_for(prisoner.establishment_id)
    zone = ZoneInfo(str(settings.TIME_ZONE))
    try:
        hours = parse_hours(chosen.hours)
    except HoursError:
        return _refuse("hours:unreadable", "the phone hours cannot be read")  # fail closed
    if not ongoing and not is_open(hours, now, zone):
        return _refuse(
            "hours:closed",
            "phone calls are not allowed at this time",
            status=TEMPORARILY_UNAVAILABLE,
        )
    outcome = _contact_outcome(prisoner, entry, at=now, engine=engine)
    if isinstance(outcome, CallDecision):
        return outcome
    privileged = outcome
    if ongoing:
        return CallDecision(allowed=True, rule="ok", reason="still allowed", number=number.e164)
    price = chosen.pence_a_minute(number.destination)
    closing = int((_closing(hours, now, zone) - now).total_seconds())
    if closing < MIN_CALL_SECONDS:
        return _refuse(
            "hours:closing",
            "phone hours end in less than a minute",
            status=TEMPORARILY_UNAVAILABLE,
        )
    seconds = [chosen.max_call_minutes * MINUTE, closing]
    if price:
        affordable = balance_pence(prisoner) // price
        if affordable < 1:
            return _refuse(
                "credit:none", "there is not enough phone credit", status=PAYMENT_REQUIRED
            )
        seconds.append(affordable * MINUTE)
    return CallDecision(
        allowed=True,
        rule="ok",
        reason="allowed",
        limit_seconds=min(seconds),
        record=not privileged,
        number=number.e164,
        entry=entry.pk,
        pence_a_minute=price,
        details={"kind": entry.kind, "destination": number.destination},
    )


def _listed(prisoner: Prisoner, dialled: str) -> tuple[Number, PhoneNumber] | CallDecision:
    """The dialled number as read, and its approved entry on the list; or the refusal."""
    try:
        number = read_number(dialled)
    except NumberProblem as exc:
        return _refuse("number:not_on_list", str(exc), status=NOT_FOUND)
    entry = (
        PhoneNumber.objects.select_related("contact_link")
        .filter(prisoner=prisoner, number=number.e164, status=NumberStatus.APPROVED)
        .first()
    )
    if entry is None:
        waiting = PhoneNumber.objects.filter(
            prisoner=prisoner, number=number.e164, status=NumberStatus.REQUESTED
        ).exists()
        if waiting:
            return _refuse(
                "number:waiting", f"{number.e164} is waiting for staff", status=NOT_FOUND
            )
        return _refuse("number:not_on_list", f"{number.e164} is not on the list", status=NOT_FOUND)
    return number, entry


def _contact_outcome(
    prisoner: Prisoner, entry: PhoneNumber, *, at: dt.datetime, engine: Engine | None
) -> CallDecision | bool:
    """A refusal, or whether the call is privileged (a legal adviser's: never recorded).

    A number that belongs to a contact is for the contact policy (bans, victims, child
    safeguarding, phone sanctions; a legal adviser is never stopped by a sanction, and is
    privileged). A number that belongs to no contact is nobody the policy knows: phone
    sanctions stop it, it is never privileged whatever its label, and while the prisoner
    has a victim no-contact or child-contact alert it is not called at all, since no one
    can say the person on the other end is not the one to be protected.
    """
    link = entry.contact_link
    if link is not None:
        asked = engine or shared_engine()
        try:
            decision = asked.decide_contact(
                prisoner.prison_number, "phone", str(link.contact_id), at=at
            )
        except UnknownPrisoner:
            return _refuse("contact:unknown", "the policy does not know this prisoner yet")
        if not decision.allowed:
            return _refuse(
                "contact:" + ",".join(decision.rules),
                "; ".join(decision.reasons) or "the contact policy does not allow this call",
            )
        legal_adviser = entry.kind == NumberKind.LEGAL and link.relationship in LEGAL
        return legal_adviser or bool(decision.obligations.get("privileged"))
    sanction = (
        Sanction.objects.filter(prisoner=prisoner, service=Service.PHONE).in_force(at).first()
    )
    if sanction is not None:
        return _refuse(
            "sanction:phone",
            "phone calls are stopped by a sanction",
            details={"sanction": sanction.pk},
        )
    guarded = {
        alert.code.code
        for alert in prisoner.active_alerts(timezone.localdate(at))
        if alert.code.code in PROTECTIVE_ALERTS
    }
    if guarded:
        return _refuse(
            "contact:unverified",
            "with a victim or child-contact alert, only approved contacts' numbers are called",
            details={"alerts": sorted(guarded)},
        )
    return False


def _closing(hours: tuple[Window, ...], now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """When the open window ``now`` is in closes (windows that meet run on)."""
    edge = next_change(hours, now, zone)
    for _ in range(14):  # at most a fortnight of back-to-back windows
        if not is_open(hours, edge, zone):
            return edge
        edge = next_change(hours, edge, zone)
    return edge


def _refuse(
    rule: str, reason: str, *, status: int = FORBIDDEN, details: dict[str, object] | None = None
) -> CallDecision:
    return CallDecision(
        allowed=False, rule=rule, reason=reason, status=status, details=details or {}
    )

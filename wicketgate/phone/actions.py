"""State changes of the phone service: numbers, bars, phone PINs, credit. Atomic, audited.

A number reaches a prisoner's list by staff adding it (``do_add_phone_number``: approved
at once) or by the prisoner asking (``do_request_phone_number``) and staff deciding
(``do_decide_phone_number``). Social numbers count against the incentive level's cap
(``WICKETGATE_PHONE_SOCIAL_NUMBERS``); a number barred for everyone (its owner asked) is
never added. Whether a call may be made is decided at the call, not here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import unicodedata

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from wicketgate.accounts.pins import backoff
from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.codes import LEGAL, LinkStatus
from wicketgate.contacts.models import ContactLink
from wicketgate.estate.models import Establishment
from wicketgate.lib.errors import ActionError
from wicketgate.people.models import Prisoner
from wicketgate.phone.codes import LIVE, CreditKind, Destination, NumberKind, NumberStatus
from wicketgate.phone.models import (
    BarredNumber,
    CreditEntry,
    HandsetPinTries,
    PhoneAccount,
    PhoneCredit,
    PhoneNumber,
    PhoneSettings,
)
from wicketgate.phone.numbers import Number, NumberProblem, read_number
from wicketgate.phone.text import pounds
from wicketgate.policy.hours import HoursError, parse_hours

MAX_CALL_MINUTES = 120
MAX_PENCE_A_MINUTE = 500
NAME_MAX = 100
# What a prisoner reads of a number barred for everyone (the staff's reason is not theirs).
BARRED = "Barred for everyone at the request of the number's owner"
REASON_MAX = 300
PIN_DIGITS = (4, 8)  # the shortest and longest phone PIN
GENERATED_PIN_DIGITS = 6


class PhoneError(ActionError):
    """A phone change that cannot be made; nothing was changed."""


# --- numbers ---------------------------------------------------------------------------


def do_add_phone_number(
    prisoner: Prisoner,
    number: str,
    *,
    name: str,
    kind: str,
    actor: Actor,
    contact_link: ContactLink | None = None,
) -> PhoneNumber:
    """Staff put a number on the prisoner's list, approved at once."""
    return _new_number(
        prisoner, number, name=name, kind=kind, actor=actor, link=contact_link, approve=True
    )


def do_request_phone_number(
    prisoner: Prisoner, number: str, *, name: str, kind: str, actor: Actor
) -> PhoneNumber:
    """The prisoner asks for a number; staff check it before it can be called."""
    return _new_number(
        prisoner, number, name=name, kind=kind, actor=actor, link=None, approve=False
    )


def do_decide_phone_number(
    entry: PhoneNumber,
    *,
    approve: bool,
    actor: Actor,
    reason: str = "",
    contact_link: ContactLink | None = None,
) -> PhoneNumber:
    """Approve or refuse a number the prisoner asked for (a refusal says why)."""
    words = _plain(reason, field="reason")
    if not approve and not words:
        raise PhoneError("say why the number is refused", field="reason")
    if len(words) > REASON_MAX:
        raise PhoneError(f"use {REASON_MAX} characters or fewer", field="reason")
    with transaction.atomic():
        locked = _locked(entry)
        if locked.status != NumberStatus.REQUESTED:
            raise PhoneError(
                f"{locked.number} is {locked.get_status_display().lower()}, not waiting for staff"
            )
        if approve:
            _check_bar(locked.number, staff=True)
            _check_link(locked.prisoner, locked.kind, contact_link, approving=True)
            _check_cap(locked.prisoner, locked.kind, adding=False)
            locked.contact_link = contact_link
        locked.status = NumberStatus.APPROVED if approve else NumberStatus.REFUSED
        locked.decided_by = actor.label
        locked.decided_at = timezone.now()
        locked.decision_reason = words
        locked.save()
        _record(locked, "approve" if approve else "refuse", actor, reason=words)
    return locked


def do_remove_phone_number(entry: PhoneNumber, *, reason: str, actor: Actor) -> PhoneNumber:
    """Take a number off the list; it can be asked for again."""
    words = _plain(reason, field="reason")
    if not words:
        raise PhoneError("say why the number is removed", field="reason")
    with transaction.atomic():
        locked = _locked(entry)
        if locked.status not in LIVE:
            raise PhoneError(f"{locked.number} is not on the list")
        locked.status = NumberStatus.REMOVED
        locked.decided_by = actor.label
        locked.decided_at = timezone.now()
        locked.decision_reason = words[:REASON_MAX]
        locked.save()
        _record(locked, "remove", actor, reason=words[:REASON_MAX])
    return locked


def do_bar_number(number: str, *, reason: str, actor: Actor) -> BarredNumber:
    """Bar a number for every prisoner (its owner asked not to be called): it comes off
    every list it is on, and cannot be added again until the bar is lifted."""
    found = _read(number)
    words = _plain(reason, field="reason")
    if not words:
        raise PhoneError("say why the number is barred", field="reason")
    with transaction.atomic():
        if BarredNumber.objects.filter(number=found.e164).exists():
            raise PhoneError(f"{found.e164} is barred already", field="number")
        bar = BarredNumber.objects.create(
            number=found.e164,
            reason=words[:REASON_MAX],
            barred_by=actor.label,
            barred_at=timezone.now(),
        )
        record_event(
            "phone.number.bar",
            actor=actor,
            subject=bar,
            details={"number": found.e164, "reason": bar.reason},
        )
        for entry in PhoneNumber.objects.select_for_update().filter(
            number=found.e164, status__in=LIVE
        ):
            entry.status = NumberStatus.REMOVED
            entry.decided_by = actor.label
            entry.decided_at = bar.barred_at
            entry.decision_reason = BARRED
            entry.save()
            _record(entry, "remove", actor, reason=entry.decision_reason, barred=True)
    return bar


def do_lift_number_bar(bar: BarredNumber, *, reason: str, actor: Actor) -> None:
    words = _plain(reason, field="reason")
    if not words:
        raise PhoneError("say why the bar is lifted", field="reason")
    with transaction.atomic():
        record_event(
            "phone.number.unbar",
            actor=actor,
            subject=bar,
            details={"number": bar.number, "reason": words[:REASON_MAX]},
        )
        bar.delete()


# --- phone PIN -------------------------------------------------------------------------


def do_set_phone_pin(prisoner: Prisoner, pin: str | None = None, *, actor: Actor) -> str:
    """Set the prisoner's phone PIN (a new random one if ``pin`` is None); returns it.

    Kept only as the digest SIP authentication checks (see PhoneAccount), in the realm
    of ``WICKETGATE_PHONE_REALM``.
    """
    chosen = pin.strip() if pin is not None else _random_pin()
    _check_pin(chosen)
    realm = settings.WICKETGATE_PHONE_REALM
    with transaction.atomic():
        PhoneAccount.objects.update_or_create(
            prisoner=prisoner,
            defaults={
                "realm": realm,
                "ha1": digest_ha1(prisoner.prison_number, realm, chosen),
                "pin_set_at": timezone.now(),
                "pin_set_by": actor.label,
                "failures": 0,
                "window_started_at": None,
                "blocked_until": None,
            },
        )
        record_event(
            "phone.pin.set",
            actor=actor,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={"generated": pin is None},
        )
    return chosen


def do_change_phone_pin(prisoner: Prisoner, current: str, new: str, *, actor: Actor) -> None:
    """The prisoner changes their own phone PIN, giving the one they have.

    Wrong current PINs count as wrong PINs on a handset will: past
    ``WICKETGATE_PIN_FAILURE_LIMIT`` in a window, tries are refused unchecked for a while,
    doubling each time (``accounts.pins.backoff``); staff setting a PIN clears them.
    """
    now = timezone.now()
    with transaction.atomic():
        account = PhoneAccount.objects.select_for_update().filter(prisoner=prisoner).first()
        if account is None:
            raise PhoneError("you have no phone PIN yet: ask staff for one", field="current")
        if account.blocked_until is not None and account.blocked_until > now:
            until = timezone.localtime(account.blocked_until).strftime("%H:%M")
            raise PhoneError(f"too many wrong phone PINs: try again after {until}", field="current")
        right = hmac.compare_digest(
            account.ha1, digest_ha1(prisoner.prison_number, account.realm, current.strip())
        )
        if not right:
            count_wrong_phone_pin(account, now, actor)
    if not right:  # counted (committed above), then refused
        raise PhoneError("that is not your phone PIN", field="current")
    chosen = new.strip()
    _check_pin(chosen, field="new")
    if chosen == current.strip():
        raise PhoneError("choose a PIN you do not have now", field="new")
    with transaction.atomic():
        # Only if no one (staff giving a new PIN) changed it since it was checked.
        changed = PhoneAccount.objects.filter(pk=account.pk, ha1=account.ha1).update(
            ha1=digest_ha1(prisoner.prison_number, account.realm, chosen),
            pin_set_at=now,
            pin_set_by=actor.label,
            failures=0,
            window_started_at=None,
            blocked_until=None,
        )
        if not changed:
            raise PhoneError("your phone PIN was changed just now: try again", field="current")
        record_event(
            "phone.pin.change",
            actor=actor,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={},
        )


def count_wrong_phone_pin(
    account: PhoneAccount, now: dt.datetime, actor: Actor, *, handset: str = ""
) -> None:
    """A wrong phone PIN: counted, and past ``WICKETGATE_PIN_FAILURE_LIMIT`` in a window
    further tries wait, doubling each time. On the portal, for the account; on a handset,
    for the account on that handset only (``HandsetPinTries``)."""
    tries: PhoneAccount | HandsetPinTries = account
    if handset:
        tries, _ = HandsetPinTries.objects.select_for_update().get_or_create(
            account=account, handset=handset
        )
    window = dt.timedelta(hours=settings.WICKETGATE_PIN_FAILURE_WINDOW_HOURS)
    if tries.window_started_at is None or tries.window_started_at <= now - window:
        tries.failures = 0
        tries.window_started_at = now
    tries.failures += 1
    wait = backoff(tries.failures, settings.WICKETGATE_PIN_FAILURE_LIMIT)
    tries.blocked_until = now + wait if wait is not None else None
    tries.save(update_fields=["failures", "window_started_at", "blocked_until"])
    record_event(
        "phone.pin.wrong",
        actor=actor,
        subject=account.prisoner,
        establishment=account.prisoner.establishment,
        outcome=AuditEvent.Outcome.DENIED,
        details={
            **({"handset": handset} if handset else {}),
            "failures": tries.failures,
            **({"blocked_seconds": int(wait.total_seconds())} if wait is not None else {}),
        },
    )


def digest_ha1(username: str, realm: str, password: str) -> str:
    """HA1 of RFC 2617 digest authentication, as Kamailio's auth_db keeps it."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def _random_pin() -> str:
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(GENERATED_PIN_DIGITS))
        try:
            _check_pin(pin)
        except PhoneError:
            continue
        return pin


def _check_pin(pin: str, *, field: str = "pin") -> None:
    shortest, longest = PIN_DIGITS
    if not pin.isascii() or not pin.isdigit() or not shortest <= len(pin) <= longest:
        raise PhoneError(f"use {shortest} to {longest} digits", field=field)
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if len(set(pin)) == 1 or steps in ({1}, {-1}):
        raise PhoneError("too easy to guess (one digit repeated, or a run like 1234)", field=field)


# --- credit ----------------------------------------------------------------------------


def do_add_phone_credit(
    prisoner: Prisoner, pence: int, *, reason: str, actor: Actor
) -> CreditEntry:
    """Move money from the prisoner's funds to their phone credit, up to their level's
    limit (``WICKETGATE_PHONE_CREDIT_LIMIT_PENCE``)."""
    words = _plain(reason, field="reason")
    if pence <= 0:
        raise PhoneError("add 1 penny or more", field="pence", subject=str(pence))
    if not words:
        raise PhoneError("say where the money comes from", field="reason")
    limit = settings.WICKETGATE_PHONE_CREDIT_LIMIT_PENCE[prisoner.incentive_level]
    with transaction.atomic():
        credit, _ = PhoneCredit.objects.select_for_update().get_or_create(prisoner=prisoner)
        if credit.balance_pence + pence > limit:
            raise PhoneError(
                f"{prisoner.prison_number} may hold at most {pounds(limit)} of phone credit "
                f"at {prisoner.get_incentive_level_display()}; they have "
                f"{pounds(credit.balance_pence)}, so at most "
                f"{pounds(limit - credit.balance_pence)} can be added",
                field="pence",
                subject=str(pence),
            )
        PhoneCredit.objects.filter(pk=credit.pk).update(balance_pence=F("balance_pence") + pence)
        credit.refresh_from_db()
        entry = CreditEntry.objects.create(
            prisoner=prisoner,
            kind=CreditKind.TOP_UP,
            pence=pence,
            balance_after=credit.balance_pence,
            reason=words[:REASON_MAX],
            by=actor.label,
            at=timezone.now(),
        )
        record_event(
            "phone.credit.add",
            actor=actor,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={"pence": pence, "balance": credit.balance_pence, "reason": entry.reason},
        )
    return entry


def balance_pence(prisoner: Prisoner) -> int:
    credit = PhoneCredit.objects.filter(prisoner=prisoner).first()
    return credit.balance_pence if credit is not None else 0


# --- an establishment's settings ------------------------------------------------------


def do_change_phone_settings(
    establishment: Establishment,
    *,
    actor: Actor,
    hours: str | None = None,
    max_call_minutes: int | None = None,
    tariff: dict[str, int] | None = None,
) -> PhoneSettings:
    """Change an establishment's phone hours, longest call or tariff (pence a started
    minute, by where calls go); what is not given stays as it was."""
    if hours is not None:
        try:
            parse_hours(hours)
        except HoursError as exc:
            raise PhoneError(str(exc), field="hours") from exc
    if max_call_minutes is not None and not 1 <= max_call_minutes <= MAX_CALL_MINUTES:
        raise PhoneError(
            f"use 1 to {MAX_CALL_MINUTES} minutes",
            field="max_call_minutes",
            subject=str(max_call_minutes),
        )
    for destination, pence in (tariff or {}).items():
        if destination not in Destination.values or destination == Destination.FREE:
            raise PhoneError(
                f"expected one of {', '.join(d for d in Destination.values if d != Destination.FREE)}",
                field="tariff",
                subject=repr(destination),
            )
        if not 0 <= pence <= MAX_PENCE_A_MINUTE:
            raise PhoneError(
                f"use 0 to {MAX_PENCE_A_MINUTE} pence a minute", field="tariff", subject=destination
            )
    with transaction.atomic():
        found, _ = PhoneSettings.objects.select_for_update().get_or_create(
            establishment=establishment
        )
        before = {
            "hours": found.hours,
            "max_call_minutes": found.max_call_minutes,
            "tariff": dict(found.tariff),
        }
        if hours is not None:
            found.hours = hours.strip()
        if max_call_minutes is not None:
            found.max_call_minutes = max_call_minutes
        if tariff:
            found.tariff = {**found.tariff, **tariff}
        found.changed_by = actor.label
        found.changed_at = timezone.now()
        found.save()
        after = {
            "hours": found.hours,
            "max_call_minutes": found.max_call_minutes,
            "tariff": dict(found.tariff),
        }
        record_event(
            "phone.settings.change",
            actor=actor,
            subject=establishment,
            establishment=establishment,
            details={key: [before[key], after[key]] for key in after if before[key] != after[key]},
        )
    return found


# --- internals -------------------------------------------------------------------------


def _new_number(
    prisoner: Prisoner,
    number: str,
    *,
    name: str,
    kind: str,
    actor: Actor,
    link: ContactLink | None,
    approve: bool,
) -> PhoneNumber:
    found = _read(number)
    words = _plain(name, field="name")
    if not words:
        raise PhoneError("say whose number it is", field="name")
    if len(words) > NAME_MAX:
        raise PhoneError(f"use {NAME_MAX} characters or fewer", field="name")
    if kind not in NumberKind.values:
        raise PhoneError(
            f"expected one of {', '.join(NumberKind.values)}", field="kind", subject=repr(kind)
        )
    _check_link(prisoner, kind, link, approving=approve)
    now = timezone.now()
    with transaction.atomic():
        # One prisoner's list changes one at a time, so the cap cannot be passed by two at once.
        Prisoner.objects.select_for_update().filter(pk=prisoner.pk).first()
        _check_bar(found.e164, staff=approve)
        if PhoneNumber.objects.filter(
            prisoner=prisoner, number=found.e164, status__in=LIVE
        ).exists():
            raise PhoneError(
                f"{found.e164} is on {prisoner.prison_number}'s list already", field="number"
            )
        _check_cap(prisoner, kind, adding=True)
        entry = PhoneNumber.objects.create(
            prisoner=prisoner,
            number=found.e164,
            destination=found.destination,
            name=words,
            kind=kind,
            status=NumberStatus.APPROVED if approve else NumberStatus.REQUESTED,
            contact_link=link,
            requested_by=actor.label,
            requested_at=now,
            decided_by=actor.label if approve else "",
            decided_at=now if approve else None,
        )
        _record(entry, "add" if approve else "request", actor)
    return entry


def _plain(text: str, *, field: str) -> str:
    """Text as people type it on one line: a control character (a new line, a tab) would
    forge lines in listings and exports, so it is refused."""
    words = text.strip()
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in words):
        raise PhoneError("use letters, digits and punctuation on one line", field=field)
    return words


def _read(number: str) -> Number:
    try:
        return read_number(number)
    except NumberProblem as exc:
        raise PhoneError(str(exc), field="number") from exc


def _check_bar(e164: str, *, staff: bool) -> None:
    """A barred number is never added. Staff are told why; a prisoner asking is told only
    that it cannot be added (that a number is barred, and why, is its owner's business)."""
    if BarredNumber.objects.filter(number=e164).exists():
        raise PhoneError(
            f"{e164} is barred for everyone: its owner asked not to be called"
            if staff
            else f"{e164} cannot be added: ask staff if you think it should be",
            field="number",
        )


def _check_link(
    prisoner: Prisoner, kind: str, link: ContactLink | None, *, approving: bool
) -> None:
    """The contact a number belongs to: one of the prisoner's approved contacts, and a
    legal number exactly when the contact is a legal adviser. A number is approved as
    legal only with its legal adviser (legal calls are never recorded or listened to, so
    a prisoner's word that a number is their lawyer's is not enough)."""
    if link is None:
        if approving and kind == NumberKind.LEGAL:
            raise PhoneError(
                "a legal number is approved only as a verified legal adviser's: "
                "choose their contact (add them as an official first)",
                field="contact_link",
            )
        return
    if link.prisoner_id != prisoner.pk or link.status != LinkStatus.APPROVED:
        raise PhoneError(
            f"not an approved contact of {prisoner.prison_number}", field="contact_link"
        )
    if kind == NumberKind.LEGAL and link.relationship not in LEGAL:
        raise PhoneError("a legal number belongs to a legal adviser", field="contact_link")
    if kind != NumberKind.LEGAL and link.relationship in LEGAL:
        raise PhoneError(
            "a legal adviser's number is a legal number: choose legal", field="contact_link"
        )


def _check_cap(prisoner: Prisoner, kind: str, *, adding: bool) -> None:
    """A social number may not take the list past the incentive level's cap. ``adding``:
    the number is not on the list yet (a request being approved already counts)."""
    if kind != NumberKind.SOCIAL:
        return
    cap = settings.WICKETGATE_PHONE_SOCIAL_NUMBERS[prisoner.incentive_level]
    held = PhoneNumber.objects.filter(
        prisoner=prisoner, kind=NumberKind.SOCIAL, status__in=LIVE
    ).count()
    if held + (1 if adding else 0) > cap:
        raise PhoneError(
            f"{prisoner.prison_number} may have {cap} social numbers at "
            f"{prisoner.get_incentive_level_display()}, and has {held - (0 if adding else 1)}: "
            "remove one first",
            field="number",
        )


def _locked(entry: PhoneNumber) -> PhoneNumber:
    return (
        PhoneNumber.objects.select_for_update(of=("self",))
        .select_related("prisoner__establishment")
        .get(pk=entry.pk)
    )


def _record(entry: PhoneNumber, verb: str, actor: Actor, **details: object) -> None:
    record_event(
        f"phone.number.{verb}",
        actor=actor,
        subject=entry.prisoner,
        establishment=entry.prisoner.establishment,
        details={
            "number": entry.number,
            "name": entry.name,
            "kind": entry.kind,
            "entry": entry.pk,
            **{key: value for key, value in details.items() if value not in ("", None)},
        },
    )

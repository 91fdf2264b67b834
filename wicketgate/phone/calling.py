"""A call's life, as Kamailio reports it: placed (decided, and the credit for its limit
held), answered, ended (charged by the started minute, never more than was held). Each
step atomic and audited; every attempt, allowed or refused, is in the audit log.

Kamailio reports each step (``phone.questions``). A report can be lost: if Wicketgate or
Kamailio stops mid-call, the call's end never arrives. Such a call is settled once its
limit has certainly passed (``settle_stale_calls``: at its next call, or by the phone
watcher), charged to its limit, so no charge is lost and the prisoner is not stuck with
a live call that blocks the next.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.people.models import Prisoner
from wicketgate.phone.actions import PhoneError
from wicketgate.phone.codes import LIVE_CALL, CallState, CreditKind, EndedBy
from wicketgate.phone.decide import BUSY, CallDecision, decide_call
from wicketgate.phone.kamailio import KamailioUnreachable
from wicketgate.phone.kamailio import hang_up as kamailio_hang_up
from wicketgate.phone.listening import close_listenings
from wicketgate.phone.models import CreditEntry, PhoneCall, PhoneCredit, PhoneNumber

__all__ = [  # decide_call: what place_call asks (the Kamailio test shortens its limits)
    "decide_call",
    "do_answer_phone_call",
    "do_end_live_phone_call",
    "do_end_phone_call",
    "held_pence",
    "place_call",
    "settle_stale_calls",
]

KAMAILIO = Actor.system("phone")
# A call still ringing this long after it was placed was never answered (Kamailio gives
# up on an unanswered INVITE after a minute: fr_inv_timer).
RING_SECONDS = 90
# An answered call whose end is not reported this long after its limit is settled there.
GRACE_SECONDS = 30


def place_call(
    prison_number: str,
    dialled: str,
    *,
    handset: str,
    address: str,
    sip_call_id: str,
    at: dt.datetime | None = None,
) -> tuple[CallDecision, PhoneCall | None]:
    """Decide a call Kamailio asks about; an allowed one is recorded as connecting, with
    its credit held. Either way the attempt is audited."""
    now = at or timezone.now()
    prisoner = Prisoner.objects.filter(prison_number=prison_number.strip().upper()).first()
    if prisoner is not None:
        settle_stale_calls(now, prisoner=prisoner)
    decision = decide_call(prison_number, dialled, handset=handset, address=address, at=now)
    if not decision.allowed or prisoner is None:
        _record_refusal(decision, prisoner, prison_number, dialled, handset)
        return decision, None
    entry = PhoneNumber.objects.filter(pk=decision.entry or 0).first()
    try:
        with transaction.atomic():
            call = PhoneCall.objects.create(
                prisoner=prisoner,
                handset=handset,
                entry=entry,
                number=decision.number,
                name=entry.name if entry is not None else "",
                kind=str(decision.details.get("kind", "")),
                destination=str(decision.details.get("destination", "")),
                recorded=decision.record,
                limit_seconds=decision.limit_seconds,
                pence_a_minute=decision.pence_a_minute,
                held_pence=decision.pence_a_minute * math.ceil(decision.limit_seconds / 60),
                state=CallState.CONNECTING,
                placed_at=now,
                sip_call_id=sip_call_id[:255],
            )
            _record_call(call, "start", KAMAILIO, limit_seconds=call.limit_seconds)
    except IntegrityError:  # a second call raced the first past decide_call's busy check
        busy = CallDecision(
            allowed=False, rule="call:busy", reason="already on a call", status=BUSY
        )
        _record_refusal(busy, prisoner, prison_number, dialled, handset)
        return busy, None
    return decision, call


def do_answer_phone_call(call: PhoneCall, *, dialog: str, at: dt.datetime | None = None) -> bool:
    """The called person answered. False when the call must not go on (it was ended
    meanwhile, by staff or the policy, while it rang): Kamailio then hangs it up."""
    now = at or timezone.now()
    with transaction.atomic():
        locked = _locked(call)
        if locked.state != CallState.CONNECTING:
            return False
        locked.state = CallState.ANSWERED
        locked.answered_at = now
        locked.dialog = dialog[:40]
        locked.save(update_fields=["state", "answered_at", "dialog"])
        _record_call(locked, "answer", KAMAILIO)
    return True


def do_end_phone_call(
    call: PhoneCall,
    *,
    ended_by: str,
    actor: Actor,
    reason: str = "",
    duration_seconds: int | None = None,
    at: dt.datetime | None = None,
) -> PhoneCall:
    """The call is over: an unanswered call costs nothing, an answered one is charged by
    the started minute for ``duration_seconds`` (Kamailio's count; else from the answer to
    now), never past its limit nor more than was held. Ending an ended call changes
    nothing, so a late report after staff ended it is harmless."""
    now = at or timezone.now()
    with transaction.atomic():
        locked = _locked(call)
        if locked.state not in LIVE_CALL:
            return locked
        locked.ended_at = now
        locked.ended_by = ended_by
        locked.end_reason = reason.strip()[:300]
        if locked.state == CallState.CONNECTING:
            locked.state = CallState.UNANSWERED
        else:
            locked.state = CallState.ENDED
            answered = locked.answered_at or now
            if ended_by == EndedBy.LIMIT:  # cut at its limit: it lasted exactly that
                seconds = locked.limit_seconds
            elif duration_seconds is not None:
                seconds = duration_seconds
            else:
                seconds = math.ceil((now - answered).total_seconds())  # a started second
            # answered: at least a started second, so at least a started minute
            locked.duration_seconds = max(1, min(seconds, locked.limit_seconds))
            minutes = math.ceil(locked.duration_seconds / 60)
            locked.charge_pence = min(locked.held_pence, minutes * locked.pence_a_minute)
            if locked.accept_by is not None and locked.accepted_at is None:
                locked.charge_pence = 0  # the called person never accepted it: free
            _charge(locked, now)
        locked.save()
        close_listenings(locked, at=now)  # anyone listening stops with it
        _record_call(
            locked,
            "end",
            actor,
            ended_by=locked.ended_by,
            reason=locked.end_reason,
            duration_seconds=locked.duration_seconds,
            charge_pence=locked.charge_pence,
        )
    return locked


def do_end_live_phone_call(
    call: PhoneCall,
    *,
    reason: str,
    actor: Actor,
    ended_by: str = EndedBy.STAFF,
    hang_up: Callable[[int], None] = kamailio_hang_up,
) -> PhoneCall:
    """Staff (or the policy) end a live call, with a reason: recorded and charged to now,
    then hung up in Kamailio (a call still ringing is hung up when it is answered, since
    Wicketgate refuses the answer). Raises ``PhoneError`` if the call is not live, and
    ``KamailioUnreachable`` if Kamailio did not hang up: the record stands, and the call
    still ends at its limit."""
    words = " ".join(reason.split())
    if not words:
        raise PhoneError("say why the call is ended", field="reason")
    if len(words) > 300:
        raise PhoneError("use 300 characters or fewer", field="reason")
    if not call.live:
        raise PhoneError(f"call {call.pk} is not live ({call.get_state_display().lower()})")
    ended = do_end_phone_call(call, ended_by=ended_by, actor=actor, reason=words)
    if ended.dialog:  # answered: Kamailio has its dialog
        try:
            hang_up(ended.pk)
        except KamailioUnreachable as exc:
            record_event(
                "phone.call.hangup_failed",
                actor=actor,
                subject=ended.prisoner,
                establishment=ended.prisoner.establishment,
                outcome=AuditEvent.Outcome.FAILED,
                details={"call": ended.pk, "error": str(exc)[:300]},
            )
            raise
    return ended


def settle_stale_calls(now: dt.datetime, *, prisoner: Prisoner | None = None) -> list[PhoneCall]:
    """End the live calls whose end can no longer be coming: ringing past any answer, or
    answered and past their limit. An answered one is charged to its limit."""
    live = PhoneCall.objects.live()
    if prisoner is not None:
        live = live.filter(prisoner=prisoner)
    settled = []
    rang_out = now - dt.timedelta(seconds=RING_SECONDS)
    for call in live.filter(state=CallState.CONNECTING, placed_at__lt=rang_out):
        settled.append(
            do_end_phone_call(
                call,
                ended_by=EndedBy.FAILED,
                actor=KAMAILIO,
                reason="no answer was reported",
                at=now,
            )
        )
    for call in live.filter(state=CallState.ANSWERED):
        due = (call.answered_at or call.placed_at) + dt.timedelta(
            seconds=call.limit_seconds + GRACE_SECONDS
        )
        if due < now:
            settled.append(
                do_end_phone_call(
                    call,
                    ended_by=EndedBy.UNREPORTED,
                    actor=KAMAILIO,
                    reason="its end was not reported; charged to its limit",
                    duration_seconds=call.limit_seconds,
                    at=now,
                )
            )
    return settled


def held_pence(prisoner: Prisoner) -> int:
    """Credit held for the prisoner's live call, if any."""
    return sum(
        PhoneCall.objects.live().filter(prisoner=prisoner).values_list("held_pence", flat=True)
    )


def _charge(call: PhoneCall, now: dt.datetime) -> None:
    if call.charge_pence == 0:
        return
    credit, _ = PhoneCredit.objects.select_for_update().get_or_create(prisoner=call.prisoner)
    # Held at the start, so the balance covers it; never below zero regardless.
    charged = min(call.charge_pence, credit.balance_pence)
    call.charge_pence = charged
    if charged == 0:
        return
    PhoneCredit.objects.filter(pk=credit.pk).update(balance_pence=F("balance_pence") - charged)
    credit.refresh_from_db()
    minutes = math.ceil(call.duration_seconds / 60)
    CreditEntry.objects.create(
        prisoner=call.prisoner,
        kind=CreditKind.CHARGE,
        pence=-charged,
        balance_after=credit.balance_pence,
        reason=f"Call to {call.name or call.number}: {minutes} min",
        by="phone",
        at=now,
    )


def _locked(call: PhoneCall) -> PhoneCall:
    return (
        PhoneCall.objects.select_for_update(of=("self",))
        .select_related("prisoner__establishment")
        .get(pk=call.pk)
    )


def _record_call(call: PhoneCall, verb: str, actor: Actor, **details: object) -> None:
    record_event(
        f"phone.call.{verb}",
        actor=actor,
        subject=call.prisoner,
        establishment=call.prisoner.establishment,
        details={
            "call": call.pk,
            "number": call.number,
            "kind": call.kind,
            "handset": call.handset,
            "recorded": call.recorded,
            **{key: value for key, value in details.items() if value not in ("", None)},
        },
    )


def _record_refusal(
    decision: CallDecision,
    prisoner: Prisoner | None,
    prison_number: str,
    dialled: str,
    handset: str,
) -> None:
    record_event(
        "phone.call.refused",
        actor=KAMAILIO,
        subject=prisoner,
        establishment=prisoner.establishment if prisoner is not None else None,
        outcome=AuditEvent.Outcome.DENIED,
        details={
            "rule": decision.rule,
            "reason": decision.reason,
            "status": decision.status,
            "dialled": dialled[:40],
            "handset": handset,
            **({} if prisoner is not None else {"prison_number": prison_number[:20]}),
        },
    )

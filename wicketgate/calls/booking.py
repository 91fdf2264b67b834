"""Booking a video call: every rule checked, then one atomic, audited write.

The rules (GOV.UK guidance for social video calls, DOMAIN.md, the establishment's
settings): a slot of an active session in a secure video suite at the prisoner's
establishment; booked at least the lead time ahead and not beyond the booking window; a
main caller of 18 or over whose identity staff have checked; up to three more callers;
every caller allowed by the policy engine (approved, no ban, not a victim under a
no-contact alert, no video-call sanction at the time of the call — the same question the
call service asks at the door); the prisoner not ineligible by an alert; within the
prisoner's monthly allowance for their incentive level; a free place in the suite; no
other booking of the prisoner's at that time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from wicketgate.accounts.models import UserKind
from wicketgate.audit.log import Actor, record_event
from wicketgate.calls.codes import ADULT_AGE, MAX_OTHER_CALLERS, BookingStatus
from wicketgate.calls.models import Booking, CallSettings, Participant, SessionTemplate
from wicketgate.contacts.models import Contact
from wicketgate.lib.errors import ActionError
from wicketgate.people.models import Prisoner
from wicketgate.policy.engine import Engine, engine

CHANNEL = "video"


class BookingError(ActionError):
    """A booking that cannot be made; the message names the field and says why."""


def settings_for(establishment_id: int) -> CallSettings:
    found = CallSettings.objects.filter(establishment_id=establishment_id).first()
    return found or CallSettings(establishment_id=establishment_id)


def slot_times(session: SessionTemplate, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """When the session runs on ``day`` (establishment time)."""
    if day.weekday() != session.weekday:
        raise BookingError(f"{day:%A %-d %B} is not a {_weekday(session.weekday)}", field="day")
    starts = dt.datetime.combine(day, session.starts, tzinfo=timezone.get_current_timezone())
    return starts, starts + dt.timedelta(minutes=session.minutes)


def do_book_video_call(
    *,
    prisoner: Prisoner,
    session: SessionTemplate,
    day: dt.date,
    main_caller: Contact,
    actor: Actor,
    others: Iterable[Contact] = (),
    now: dt.datetime | None = None,
    decisions: Engine | None = None,
) -> Booking:
    moment = now or timezone.now()
    starts, ends = slot_times(session, day)
    # As they are now in the database, not as the caller's copies say.
    wanted = [main_caller.pk, *[c.pk for c in others if c.pk != main_caller.pk]]
    found = Contact.objects.in_bulk(wanted)
    callers = [found[pk] for pk in wanted if pk in found]
    if len(callers) != len(wanted) or not callers:
        raise BookingError("a caller is not known", field="others")
    _check_slot(prisoner, session, starts, moment)
    _check_callers(prisoner, callers, starts, decisions)
    with transaction.atomic():
        # One booking at a time per prisoner and per suite: the counts below stay true.
        Prisoner.objects.select_for_update().get(pk=prisoner.pk)
        SessionTemplate.objects.select_for_update().get(pk=session.pk)
        _check_allowance(prisoner, starts, session.minutes)
        if Booking.objects.live().filter(prisoner=prisoner).overlapping(starts, ends).exists():
            raise BookingError("the prisoner already has a call booked at that time", field="day")
        taken = Booking.objects.live().filter(suite=session.suite).overlapping(starts, ends)
        if taken.count() >= session.capacity:
            raise BookingError(
                f"that session is full ({session.capacity} call"
                f"{'s' if session.capacity != 1 else ''} at once in {session.suite.name or session.suite.code})",
                field="day",
            )
        booking = Booking.objects.create(
            prisoner=prisoner,
            session=session,
            suite=session.suite,
            starts_at=starts,
            ends_at=ends,
            main_caller=callers[0],
            booked_by=actor.label,
        )
        Participant.objects.bulk_create(Participant(booking=booking, contact=c) for c in callers)
        record_event(
            "calls.booking.create",
            actor=actor,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={
                "booking": booking.pk,
                "starts_at": starts.isoformat(),
                "minutes": session.minutes,
                "suite": session.suite.code,
                "callers": [c.pk for c in callers],
            },
        )
    return booking


STAFF_SIDE = {UserKind.STAFF, "operator", "system"}  # besides the main caller, who may cancel


def do_cancel_booking(
    booking: Booking, *, reason: str, actor: Actor, now: dt.datetime | None = None
) -> Booking:
    """Cancel with a reason the family sees; the minutes go back to the allowance.

    Staff may cancel until the call ends (the call watcher then closes a live room). A
    family member may cancel only a call they are the main caller of, and only before it
    starts; their reason is optional, since the call is theirs to call off.
    """
    moment = now or timezone.now()
    family = actor.kind == UserKind.FAMILY
    if not family and actor.kind not in STAFF_SIDE:  # a prisoner, or anyone else: never
        raise BookingError("only staff or the main caller can cancel a call", field="booking")
    if not family and not reason.strip():
        raise BookingError("say why, for the family", field="reason")
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("prisoner__establishment", "main_caller")
            .get(pk=booking.pk)
        )
        if locked.status != BookingStatus.BOOKED:
            raise BookingError(f"{locked.reference} is already cancelled")
        if locked.ended_at is not None or moment >= locked.ends_at:
            raise BookingError(f"{locked.reference} has ended")
        if family:
            if str(locked.main_caller.user_id) != actor.id:
                raise BookingError("only the main caller can cancel this call", field="booking")
            if moment >= locked.starts_at:
                raise BookingError(
                    "the call has started, so it can no longer be cancelled", field="booking"
                )
        locked.status = BookingStatus.CANCELLED
        locked.cancelled_at = moment
        locked.cancelled_by = actor.label
        locked.cancel_reason = reason.strip()[:300]
        locked.save()
        record_event(
            "calls.booking.cancel",
            actor=actor,
            subject=locked.prisoner,
            establishment=locked.prisoner.establishment,
            details={"booking": locked.pk, "reason": locked.cancel_reason, "by": actor.kind},
        )
    booking.status, booking.cancel_reason = locked.status, locked.cancel_reason
    booking.cancelled_by = locked.cancelled_by
    return locked


def cancelled_by_family(booking: Booking) -> bool:
    """Whether the main caller called the call off (``cancelled_by`` keeps the canceller's
    user name, and a family account's is theirs alone)."""
    user = booking.main_caller.user
    return (
        booking.status == BookingStatus.CANCELLED
        and user is not None
        and booking.cancelled_by == user.username
    )


# --- the checks ----------------------------------------------------------------------------


def _check_slot(
    prisoner: Prisoner, session: SessionTemplate, starts: dt.datetime, now: dt.datetime
) -> None:
    suite = session.suite
    if suite.establishment_id != prisoner.establishment_id:
        raise BookingError(f"{suite.code} is not at the prisoner's establishment", field="session")
    if not session.active:
        raise BookingError("this session is no longer offered", field="session")
    if suite.kind != "VIDEO_SUITE" or not suite.secure_area:
        raise BookingError(f"{suite.code} is not a secure video suite", field="session")
    rules = settings_for(prisoner.establishment_id)
    if starts < now + dt.timedelta(hours=rules.lead_hours):
        raise BookingError(
            f"calls are booked at least {rules.lead_hours} hours ahead"
            if starts > now
            else "that session has already started",
            field="day",
        )
    if starts > now + dt.timedelta(days=rules.window_days):
        raise BookingError(f"calls are booked at most {rules.window_days} days ahead", field="day")
    alerts = {
        code
        for code in prisoner.active_alerts(timezone.localdate(starts)).values_list(
            "code__code", flat=True
        )
    }
    barred = sorted(alerts & set(rules.ineligible_alerts or ()))
    if barred:
        raise BookingError(
            f"not eligible for video calls while the alert {', '.join(barred)} is in force",
            field="prisoner",
        )


def _check_callers(
    prisoner: Prisoner, callers: list[Contact], starts: dt.datetime, decisions: Engine | None
) -> None:
    main = callers[0]
    if len(callers) - 1 > MAX_OTHER_CALLERS:
        raise BookingError(
            f"at most {MAX_OTHER_CALLERS} people besides the main caller "
            f"({MAX_OTHER_CALLERS + 1} in all)",
            field="others",
        )
    day = timezone.localdate(starts)
    if main.age_on(day) < ADULT_AGE:
        raise BookingError(f"the main caller must be {ADULT_AGE} or over", field="main_caller")
    if not main.identity_checked:
        raise BookingError(
            "staff have not yet checked the main caller's identity", field="main_caller"
        )
    asked = decisions or engine()
    if decisions is None:
        asked.refresh()  # not the hot path: take in every change up to now
    for caller in callers:
        decision = asked.decide_contact(prisoner.prison_number, CHANNEL, str(caller.pk), at=starts)
        if not decision.allowed:
            field = "main_caller" if caller.pk == main.pk else "others"
            raise BookingError(f"{field}: {caller.full_name}: {' '.join(decision.reasons)}")


def _check_allowance(prisoner: Prisoner, starts: dt.datetime, minutes: int) -> None:
    local = timezone.localtime(starts)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    used = sum(
        booking.minutes
        for booking in Booking.objects.live().filter(
            prisoner=prisoner, starts_at__gte=month_start, starts_at__lt=next_month
        )
    )
    allowance = settings_for(prisoner.establishment_id).minutes_for(prisoner.incentive_level)
    if used + minutes > allowance:
        raise BookingError(
            f"this would take {prisoner.prison_number} over their allowance for "
            f"{local:%B %Y} ({used} of {allowance} minutes already booked)",
            field="day",
        )


def _weekday(number: int) -> str:
    return ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][number]

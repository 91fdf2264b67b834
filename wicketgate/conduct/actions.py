"""State changes of conduct: incidents, their adjudication, sanctions, alerts. Atomic, audited.

A sanction takes effect through the policy engine: saving one logs a policy change for
its prisoner (``policy.signals``), every enforcement point follows within a second, and
the engine decides from the clock when it starts and ends. Nothing here has to run for
a sanction to expire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.conduct import limits
from wicketgate.conduct.alerts import trigger_for
from wicketgate.conduct.codes import (
    PUNISHABLE,
    REPORT_WITHIN,
    TRANSITIONS,
    AlertKind,
    AlertStatus,
    IncidentService,
    Service,
    Status,
)
from wicketgate.conduct.models import AlertTrigger, ConductAlert, Incident, Sanction
from wicketgate.estate.models import Establishment, Location
from wicketgate.lib.errors import ActionError
from wicketgate.people.models import Prisoner
from wicketgate.policy.models import Category

CLOCK_SKEW = dt.timedelta(minutes=5)


class ConductError(ActionError):
    """A conduct change that cannot be made; the message names the field and says why."""


class IllegalTransition(ConductError):
    """The adjudication state machine does not allow this move."""


# --- incidents -----------------------------------------------------------------------------


def do_report_incident(
    *,
    prisoner: Prisoner,
    occurred_at: dt.datetime,
    service: str,
    summary: str,
    description: str,
    actor: Actor,
    location: Location | None = None,
    late_reason: str = "",
    evidence: Iterable[int] = (),
    alert: ConductAlert | None = None,
) -> Incident:
    """Record an incident against ``prisoner``; ``alert``, if given, becomes this incident."""
    now = timezone.now()
    if service not in IncidentService.values:
        raise ConductError(
            f"expected one of {', '.join(IncidentService.values)}",
            field="service",
            subject=f"{service!r}",
        )
    if not summary.strip():
        raise ConductError("say in a line what happened", field="summary")
    if not description.strip():
        raise ConductError("describe what happened", field="description")
    if occurred_at > now + CLOCK_SKEW:
        raise ConductError("an incident cannot happen in the future", field="occurred_at")
    if now - occurred_at > REPORT_WITHIN and not late_reason.strip():
        days = (now - occurred_at).days
        raise ConductError(
            f"this is reported {days} days after it happened, later than the 2 days "
            "the rules allow; say why it is late",
            field="late_reason",
        )
    if location is not None and location.establishment_id != prisoner.establishment_id:
        raise ConductError(f"{location.code} is not at {prisoner.establishment}", field="location")
    seqs = sorted({int(seq) for seq in evidence})
    with transaction.atomic():
        if alert is not None:
            alert = ConductAlert.objects.select_for_update().get(pk=alert.pk)
            if alert.status != AlertStatus.OPEN:
                raise ConductError(f"{alert.reference} is {alert.get_status_display().lower()}")
            if alert.prisoner_id != prisoner.pk:
                raise ConductError(f"{alert.reference} is about another prisoner")
            seqs = sorted(set(seqs) | {int(seq) for seq in alert.evidence})
        _check_evidence(seqs, prisoner)
        incident = Incident.objects.create(
            establishment_id=prisoner.establishment_id,
            prisoner=prisoner,
            occurred_at=occurred_at,
            reported_at=now,
            location=location,
            service=service,
            summary=summary.strip()[:200],
            description=description.strip(),
            late_reason=late_reason.strip(),
            evidence=seqs,
            reported_by=actor.label,
        )
        record_event(
            "conduct.incident.report",
            actor=actor,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={
                "incident": incident.pk,
                "service": service,
                "summary": incident.summary,
                "occurred_at": occurred_at.isoformat(),
                "late": incident.is_late,
                **({"late_reason": incident.late_reason} if incident.late_reason else {}),
                "evidence": seqs,
                **({"alert": alert.pk} if alert is not None else {}),
            },
        )
        if alert is not None:
            alert.status = AlertStatus.INCIDENT
            alert.incident = incident
            alert.closed_at = now
            alert.closed_by = actor.label
            alert.save(update_fields=["status", "incident", "closed_at", "closed_by"])
            record_event(
                "conduct.alert.incident",
                actor=actor,
                subject=prisoner,
                establishment=prisoner.establishment,
                details={"alert": alert.pk, "incident": incident.pk},
            )
    return incident


def do_move_incident(
    incident: Incident,
    to: str,
    *,
    actor: Actor,
    notes: str = "",
    hearing_at: dt.datetime | None = None,
) -> Incident:
    """Move an incident along the adjudication state machine (``codes.TRANSITIONS``).

    Scheduling a hearing needs ``hearing_at``; an appeal needs its grounds in ``notes``.
    A quashed appeal quashes the incident's sanctions and undoes any suspended sanction
    it activated, at once.
    """
    if to not in Status.values:
        raise ConductError(
            f"expected one of {', '.join(Status.values)}", field="status", subject=f"{to!r}"
        )
    with transaction.atomic():
        locked = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("prisoner__establishment")
            .get(pk=incident.pk)
        )
        before = locked.status
        if to not in TRANSITIONS[before]:
            allowed = ", ".join(Status(s).label.lower() for s in sorted(TRANSITIONS[before]))
            raise IllegalTransition(
                f"{locked.reference} is {Status(before).label.lower()}: it cannot become "
                f"{Status(to).label.lower()}" + (f" (it can become: {allowed})" if allowed else "")
            )
        now = timezone.now()
        fields = ["status", "updated_at"]
        if to == Status.HEARING_SCHEDULED:
            if hearing_at is None:
                raise ConductError("say when the hearing is", field="hearing_at")
            locked.hearing_at = hearing_at
            fields.append("hearing_at")
        if to in (Status.PROVED, Status.NOT_PROVED, Status.DISMISSED):
            locked.finding_notes = notes.strip()
            fields.append("finding_notes")
        if to == Status.APPEALED:
            if not notes.strip():
                raise ConductError("give the grounds of the appeal", field="reason")
            locked.appeal_reason = notes.strip()
            locked.appeal_lodged_at = now
            fields += ["appeal_reason", "appeal_lodged_at"]
        if to in (Status.UPHELD, Status.QUASHED):
            locked.appeal_notes = notes.strip()
            fields.append("appeal_notes")
        locked.status = to
        locked.save(update_fields=fields)
        record_event(
            f"conduct.incident.{to}",
            actor=actor,
            subject=locked.prisoner,
            establishment=locked.prisoner.establishment,
            details={
                "incident": locked.pk,
                "from": before,
                "to": to,
                **({"notes": notes.strip()} if notes.strip() else {}),
                **({"hearing_at": hearing_at.isoformat()} if hearing_at is not None else {}),
            },
        )
        if to == Status.QUASHED:
            for sanction in locked.sanctions.filter(quashed_at__isnull=True):
                _quash(sanction, reason=f"{locked.reference} quashed on appeal", actor=actor)
            for sanction in locked.activations.filter(quashed_at__isnull=True):
                _undo_activation(sanction, locked, actor)
    _copy(locked, incident, "status", "hearing_at", "updated_at")
    return locked


# --- sanctions -----------------------------------------------------------------------------


def do_add_sanction(
    *,
    prisoner: Prisoner,
    service: str,
    days: int,
    reason: str,
    actor: Actor,
    incident: Incident | None = None,
    categories: Iterable[str] = (),
    privilege: str = "",
    starts_at: dt.datetime | None = None,
    suspend_months: int | None = None,
    includes_education: bool = False,
) -> Sanction:
    """Give a sanction: in force from ``starts_at`` (default now) for ``days``, or suspended
    for ``suspend_months`` until another proved charge activates it. A web sanction leaves
    the prisoner's courses' sites and books open unless ``includes_education``."""
    now = timezone.now()
    if service not in Service.values:
        raise ConductError(
            f"expected one of {', '.join(Service.values)}", field="service", subject=f"{service!r}"
        )
    codes = _web_scope(service, categories, includes_education=includes_education)
    if service == Service.PRIVILEGES and not privilege.strip():
        raise ConductError("say which privilege is lost", field="privilege")
    if not reason.strip():
        raise ConductError("say why the sanction is given", field="reason")
    start = starts_at or now
    if start < now - CLOCK_SKEW:
        raise ConductError("a sanction cannot start in the past", field="starts_at")
    rules = limits.rules_for(prisoner, timezone.localdate(start))
    most = limits.max_days(prisoner, timezone.localdate(start))
    if not isinstance(days, int) or days < 1:
        raise ConductError(
            "give a whole number of days, at least 1", field="days", subject=f"{days!r}"
        )
    if days > most:
        raise ConductError(
            f"the most for {prisoner.prison_number} is {most} days "
            f"({'YOI' if rules == 'yoi' else 'adult'} limit for loss of privileges)",
            field="days",
            subject=f"{days}",
        )
    suspended_until = None
    if suspend_months is not None:
        most_months = limits.max_suspension_months(prisoner, timezone.localdate(now))
        if not 1 <= suspend_months <= most_months:
            raise ConductError(
                f"between 1 and {most_months} for "
                f"{prisoner.prison_number} ({'YOI' if rules == 'yoi' else 'adult'} limit)",
                field="suspend_months",
                subject=f"{suspend_months}",
            )
        suspended_until = limits.suspension_end(now, suspend_months)
    with transaction.atomic():
        if incident is not None:
            incident = Incident.objects.select_for_update().get(pk=incident.pk)
            if incident.prisoner_id != prisoner.pk:
                raise ConductError(f"{incident.reference} is about another prisoner")
            if incident.status not in PUNISHABLE:
                raise ConductError(
                    f"{incident.reference} is {incident.get_status_display().lower()}: "
                    "sanctions are given only for a proved charge"
                )
        suspended = suspended_until is not None
        sanction = Sanction.objects.create(
            establishment_id=prisoner.establishment_id,
            prisoner=prisoner,
            incident=incident,
            service=service,
            categories=codes,
            includes_education=includes_education,
            privilege=privilege.strip(),
            days=days,
            reason=reason.strip(),
            given_by=actor.label,
            created_at=now,
            starts_at=None if suspended else start,
            ends_at=None if suspended else start + dt.timedelta(days=days),
            suspended_until=suspended_until,
        )
        _record(sanction, "add", actor)
    return sanction


def do_activate_sanction(
    sanction: Sanction,
    *,
    incident: Incident,
    actor: Actor,
    days: int | None = None,
) -> Sanction:
    """Activate a suspended sanction, in full or for ``days`` of it, for another proved charge."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Sanction.objects.select_for_update(of=("self",))
            .select_related("prisoner__establishment")
            .get(pk=sanction.pk)
        )
        state = locked.state(now)
        if state != "suspended":
            raise ConductError(f"{locked.reference} is {state.replace('_', ' ')}, not suspended")
        charge = Incident.objects.select_for_update().get(pk=incident.pk)
        if charge.prisoner_id != locked.prisoner_id:
            raise ConductError(f"{charge.reference} is about another prisoner")
        if charge.pk == locked.incident_id:
            raise ConductError(f"{charge.reference} is the charge the sanction was given for")
        if charge.status not in PUNISHABLE:
            raise ConductError(
                f"{charge.reference} is {charge.get_status_display().lower()}: only another "
                "proved charge can activate a suspended sanction"
            )
        length = locked.days if days is None else days
        if not 1 <= length <= locked.days:
            raise ConductError(
                f"between 1 and the {locked.days} suspended", field="days", subject=f"{length}"
            )
        locked.starts_at = now
        locked.ends_at = now + dt.timedelta(days=length)
        locked.activated_at = now
        locked.activated_by = charge
        locked.save(update_fields=["starts_at", "ends_at", "activated_at", "activated_by"])
        _record(locked, "activate", actor, by_incident=charge.pk, days_activated=length)
    return locked


def do_quash_sanction(sanction: Sanction, *, reason: str, actor: Actor) -> Sanction:
    """Quash a sanction: it stops applying at once."""
    if not reason.strip():
        raise ConductError("say why the sanction is quashed", field="reason")
    with transaction.atomic():
        locked = (
            Sanction.objects.select_for_update(of=("self",))
            .select_related("prisoner__establishment")
            .get(pk=sanction.pk)
        )
        if locked.quashed_at is not None:
            raise ConductError(f"{locked.reference} is already quashed")
        _quash(locked, reason=reason.strip(), actor=actor)
    _copy(locked, sanction, "quashed_at", "quash_reason", "quashed_by")
    return locked


def _quash(sanction: Sanction, *, reason: str, actor: Actor) -> None:
    sanction.quashed_at = timezone.now()
    sanction.quash_reason = reason[:300]
    sanction.quashed_by = actor.label
    sanction.save(update_fields=["quashed_at", "quash_reason", "quashed_by"])
    _record(sanction, "quash", actor, reason=sanction.quash_reason)


def _undo_activation(sanction: Sanction, charge: Incident, actor: Actor) -> None:
    """The charge that activated a suspended sanction was quashed: suspended again."""
    sanction.starts_at = None
    sanction.ends_at = None
    sanction.activated_at = None
    sanction.activated_by = None
    sanction.save(update_fields=["starts_at", "ends_at", "activated_at", "activated_by"])
    _record(sanction, "deactivate", actor, quashed_incident=charge.pk)


def _copy(source: Any, target: Any, *names: str) -> None:
    """Bring the caller's copy of a row up to date with the one changed under lock."""
    for name in names:
        setattr(target, name, getattr(source, name))


def _record(sanction: Sanction, verb: str, actor: Actor, **extra: Any) -> None:
    """``conduct.sanction.<verb>``, filed under the prisoner's establishment now (a sanction
    follows the prisoner, and so do the staff who can see it)."""
    record_event(
        f"conduct.sanction.{verb}",
        actor=actor,
        subject=sanction.prisoner,
        establishment=sanction.prisoner.establishment,
        details={**_sanction_details(sanction), **extra},
    )


def _web_scope(service: str, categories: Iterable[str], *, includes_education: bool) -> list[str]:
    """The category codes a web sanction is limited to (checked); only web sanctions have
    categories, or take away education."""
    codes = sorted({code.strip().upper() for code in categories if code.strip()})
    if codes and service != Service.WEB:
        raise ConductError("only a web sanction can be limited to categories", field="categories")
    if includes_education and service != Service.WEB:
        raise ConductError(
            "only a web sanction can take away education's sites", field="includes_education"
        )
    if codes:
        known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise ConductError(f"no category {', '.join(unknown)}", field="categories")
    return codes


def _sanction_details(sanction: Sanction) -> dict[str, Any]:
    return {
        "sanction": sanction.pk,
        "service": sanction.service,
        **({"categories": sanction.categories} if sanction.categories else {}),
        **({"includes_education": True} if sanction.includes_education else {}),
        **({"privilege": sanction.privilege} if sanction.privilege else {}),
        "days": sanction.days,
        "reason": sanction.reason,
        **({"incident": sanction.incident_id} if sanction.incident_id else {}),
        "starts_at": sanction.starts_at.isoformat() if sanction.starts_at else None,
        "ends_at": sanction.ends_at.isoformat() if sanction.ends_at else None,
        **(
            {"suspended_until": sanction.suspended_until.isoformat()}
            if sanction.suspended_until
            else {}
        ),
    }


# --- alerts --------------------------------------------------------------------------------


def do_dismiss_alert(alert: ConductAlert, *, reason: str, actor: Actor) -> ConductAlert:
    if not reason.strip():
        raise ConductError("say why the alert needs no action", field="reason")
    with transaction.atomic():
        locked = (
            ConductAlert.objects.select_for_update().select_related("prisoner").get(pk=alert.pk)
        )
        if locked.status != AlertStatus.OPEN:
            raise ConductError(f"{locked.reference} is {locked.get_status_display().lower()}")
        locked.status = AlertStatus.DISMISSED
        locked.dismiss_reason = reason.strip()[:300]
        locked.closed_at = timezone.now()
        locked.closed_by = actor.label
        locked.save(update_fields=["status", "dismiss_reason", "closed_at", "closed_by"])
        record_event(
            "conduct.alert.dismiss",
            actor=actor,
            subject=locked.prisoner,
            establishment=locked.establishment,
            details={"alert": locked.pk, "kind": locked.kind, "reason": locked.dismiss_reason},
        )
    return locked


TRIGGER_THRESHOLD_MAX = 1000
TRIGGER_WINDOW_MAX = 24 * 60  # minutes: the scan looks back at most a day for repeats
TRIGGER_FIELDS = ("enabled", "threshold", "window_minutes", "quiet_from", "quiet_until")


def do_set_alert_trigger(
    establishment: Establishment,
    kind: str,
    *,
    enabled: bool,
    threshold: int,
    window_minutes: int,
    quiet_from: dt.time,
    quiet_until: dt.time,
    actor: Actor,
) -> tuple[AlertTrigger, bool]:
    """Give ``establishment`` its own trigger for ``kind`` (made from the one in force there
    if it has none); returns the trigger and whether anything changed."""
    if kind not in AlertKind.values:
        raise ConductError(
            f"expected one of {', '.join(AlertKind.values)}", field="kind", subject=f"{kind!r}"
        )
    if not 2 <= threshold <= TRIGGER_THRESHOLD_MAX:
        raise ConductError(
            f"between 2 and {TRIGGER_THRESHOLD_MAX} attempts",
            field="threshold",
            subject=f"{threshold}",
        )
    if not 1 <= window_minutes <= TRIGGER_WINDOW_MAX:
        raise ConductError(
            f"between 1 and {TRIGGER_WINDOW_MAX} minutes",
            field="window_minutes",
            subject=f"{window_minutes}",
        )
    if quiet_from == quiet_until:
        raise ConductError(
            "the quiet hours must end at another time than they start", field="quiet_until"
        )
    wanted = {
        "enabled": enabled,
        "threshold": threshold,
        "window_minutes": window_minutes,
        "quiet_from": quiet_from,
        "quiet_until": quiet_until,
    }
    with transaction.atomic():
        own = (
            AlertTrigger.objects.select_for_update()
            .filter(establishment=establishment, kind=kind)
            .first()
        )
        before_trigger = own or trigger_for(kind, establishment.pk)
        before = {name: getattr(before_trigger, name) for name in TRIGGER_FIELDS}
        if own is not None and before == wanted:
            return own, False
        trigger = own or AlertTrigger(establishment=establishment, kind=kind)
        for name, value in wanted.items():
            setattr(trigger, name, value)
        trigger.save()
        record_event(
            "conduct.trigger.change",
            actor=actor,
            establishment=establishment,
            details={
                "kind": kind,
                "own_before": own is not None,
                "before": _trigger_text(before),
                "after": _trigger_text(wanted),
            },
        )
    return trigger, True


def _trigger_text(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.strftime("%H:%M") if isinstance(value, dt.time) else value
        for name, value in values.items()
    }


def _check_evidence(seqs: list[int], prisoner: Prisoner) -> None:
    """Evidence must be audit events that exist and are about this prisoner's establishment."""
    if not seqs:
        return
    found = dict(AuditEvent.objects.filter(seq__in=seqs).values_list("seq", "establishment_id"))
    missing = [seq for seq in seqs if seq not in found]
    if missing:
        raise ConductError(f"no audit event {', '.join(map(str, missing))}", field="evidence")
    elsewhere = [
        seq
        for seq, establishment in found.items()
        if establishment is not None and establishment != prisoner.establishment_id
    ]
    if elsewhere:
        raise ConductError(
            f"audit event {', '.join(map(str, sorted(elsewhere)))} is from another establishment",
            field="evidence",
        )

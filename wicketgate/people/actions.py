"""State changes to people in custody: each atomic, each on the audit record.

Public ``do_*`` functions open their own transaction; the ``_`` helpers they share
expect one to be open already, so an import of thousands of rows is one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.estate.codes import level_after_transfer
from wicketgate.estate.models import Establishment, Location
from wicketgate.lib.errors import ActionError
from wicketgate.lib.importing import ImportRejected, ImportSummary, Problem
from wicketgate.people.imports import PrisonerRow
from wicketgate.people.incentives import next_review_due
from wicketgate.people.models import AlertCode, IncentiveReview, Movement, Prisoner, PrisonerAlert

IMPORT_COUNTS = ["created", "updated", "transferred", "unchanged"]


class PeopleError(ActionError):
    """A requested change breaks a rule; nothing was changed."""


def do_import_prisoners(
    rows: list[PrisonerRow],
    *,
    actor: Actor,
    file_name: str,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Upsert checked rows by prison number, all or nothing. A new establishment is a transfer."""
    establishments = {e.code: e for e in Establishment.objects.all()}
    locations = {loc.code: loc for loc in Location.objects.all()}
    alert_codes = {a.code: a for a in AlertCode.objects.all()}
    summary = ImportSummary()
    with transaction.atomic():
        existing = {
            p.prison_number: p
            for p in Prisoner.objects.select_for_update().filter(
                prison_number__in=[row.prison_number for row in rows]
            )
        }
        _refuse_levels_not_offered(file_name, rows, existing, establishments)
        active_alerts = _active_alert_codes(existing.values())
        for row in rows:
            establishment = establishments[row.establishment]
            location = locations[row.location] if row.location else None
            prisoner = existing.get(row.prison_number)
            if prisoner is None:
                prisoner = _admit(row, establishment, location, actor)
                _sync_alerts(prisoner, set(), row.alerts, alert_codes, actor)
                outcome = "created"
            else:
                transferred = prisoner.establishment_id != establishment.pk
                if transferred:
                    _transfer(prisoner, establishment, location, row.incentive_level, actor)
                changed = _update_details(prisoner, row, location, actor, moved=transferred)
                changed |= _sync_alerts(
                    prisoner, active_alerts.get(prisoner.pk, set()), row.alerts, alert_codes, actor
                )
                outcome = "transferred" if transferred else "updated" if changed else "unchanged"
            summary.counts[outcome] += 1
            if progress is not None:
                progress(1)
        record_event(
            "people.import",
            actor=actor,
            details={
                "file": file_name,
                "counts": {key: summary.counts[key] for key in IMPORT_COUNTS},
            },
        )
    return summary


def do_transfer_prisoner(
    prisoner: Prisoner, to: Establishment, *, location: Location | None = None, actor: Actor
) -> Prisoner:
    if to.pk == prisoner.establishment_id:
        raise PeopleError(f"{prisoner.prison_number} is already at {to.code}")
    if location is not None and location.establishment_id != to.pk:
        raise PeopleError(f"{location.code} is not in {to.code}")
    with transaction.atomic():
        locked = Prisoner.objects.select_for_update().get(pk=prisoner.pk)
        _transfer(locked, to, location, locked.incentive_level, actor)
    return locked


def do_move_prisoner(
    prisoner: Prisoner, location: Location, *, actor: Actor, comment: str = ""
) -> Prisoner:
    if location.establishment_id != prisoner.establishment_id:
        raise PeopleError(f"{location.code} is not in {prisoner.establishment.code}")
    with transaction.atomic():
        locked = Prisoner.objects.select_for_update().get(pk=prisoner.pk)
        if locked.location_id == location.pk:
            raise PeopleError(f"{prisoner.prison_number} is already in {location.code}")
        _move(locked, location, actor, comment=comment)
    return locked


def do_review_incentive_level(
    prisoner: Prisoner, level: str, *, actor: Actor, comment: str, on: dt.date | None = None
) -> IncentiveReview:
    """Record an incentive review; the level must be one the establishment offers."""
    if not comment.strip():
        raise PeopleError("a review needs a reason")
    with transaction.atomic():
        locked = (
            Prisoner.objects.select_for_update().select_related("establishment").get(pk=prisoner.pk)
        )
        offered = locked.establishment.offered_levels
        if level not in offered:
            raise PeopleError(
                f"{level} is not offered at {locked.establishment.code} ({', '.join(offered)})"
            )
        review = _record_level(
            locked, level, IncentiveReview.Reason.REVIEW, actor, on=on, comment=comment
        )
    prisoner.refresh_from_db()
    return review


def do_add_alert(
    prisoner: Prisoner,
    code: str,
    *,
    actor: Actor,
    comment: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> PrisonerAlert:
    alert_code = AlertCode.objects.filter(code=code, active=True).first()
    if alert_code is None:
        raise PeopleError(f"no alert code {code!r}")
    start = starts_on or timezone.localdate()
    if ends_on is not None and ends_on < start:
        raise PeopleError("an alert cannot end before it starts")
    with transaction.atomic():
        alert = PrisonerAlert.objects.create(
            prisoner=prisoner,
            code=alert_code,
            comment=comment,
            starts_on=start,
            ends_on=ends_on,
            created_by_id=actor.user_id,
        )
        record_event(
            "people.alert.add",
            actor=actor,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={
                "code": code,
                "starts_on": str(start),
                "ends_on": str(ends_on) if ends_on else None,
            },
        )
    return alert


def do_end_alert(alert: PrisonerAlert, *, actor: Actor, on: dt.date | None = None) -> PrisonerAlert:
    end = on or timezone.localdate()
    with transaction.atomic():
        locked = (
            PrisonerAlert.objects.select_for_update()
            .select_related("prisoner", "code")
            .get(pk=alert.pk)
        )
        if not locked.is_active(end) and locked.ends_on is not None and locked.ends_on <= end:
            raise PeopleError("the alert has already ended")
        locked.ends_on = max(end, locked.starts_on)
        locked.save(update_fields=["ends_on"])
        record_event(
            "people.alert.end",
            actor=actor,
            subject=locked.prisoner,
            establishment=locked.prisoner.establishment,
            details={"code": locked.code.code, "ends_on": str(locked.ends_on)},
        )
    return locked


# --- helpers: expect an open transaction ------------------------------------------------


def _refuse_levels_not_offered(
    file_name: str,
    rows: list[PrisonerRow],
    existing: dict[str, Prisoner],
    establishments: dict[str, Establishment],
) -> None:
    problems = []
    for row in rows:
        current = existing.get(row.prison_number)
        if current is not None and current.establishment_id != establishments[row.establishment].pk:
            continue  # a transfer: the nearest level on offer is chosen by rule
        offered = establishments[row.establishment].offered_levels
        if row.incentive_level not in offered:
            problems.append(
                Problem(
                    file_name,
                    str(row.line),
                    "incentive_level",
                    f"{row.incentive_level} is not offered at {row.establishment} ({', '.join(offered)})",
                )
            )
    if problems:
        raise ImportRejected(problems)


def _active_alert_codes(prisoners: Any) -> dict[int, set[str]]:
    today = timezone.localdate()
    result: dict[int, set[str]] = {}
    ids = [p.pk for p in prisoners]
    for alert in PrisonerAlert.objects.filter(prisoner_id__in=ids).select_related("code"):
        if alert.is_active(today):
            result.setdefault(alert.prisoner_id, set()).add(alert.code.code)
    return result


def _admit(
    row: PrisonerRow, establishment: Establishment, location: Location | None, who: Actor
) -> Prisoner:
    prisoner = Prisoner.objects.create(
        prison_number=row.prison_number,
        given_name=row.given_name,
        family_name=row.family_name,
        date_of_birth=row.date_of_birth,
        establishment=establishment,
        location=location,
        security_category=row.category,
        incentive_level=row.incentive_level,
        legal_status=row.legal_status,
    )
    Movement.objects.create(
        prisoner=prisoner,
        kind=Movement.Kind.ARRIVAL,
        to_establishment=establishment,
        to_location=location,
        recorded_by=who.label,
    )
    _record_level(
        prisoner,
        row.incentive_level,
        IncentiveReview.Reason.ARRIVAL,
        who,
        previous="",
        arrived=True,
    )
    record_event("people.prisoner.create", actor=who, subject=prisoner, establishment=establishment)
    return prisoner


def _transfer(
    prisoner: Prisoner, to: Establishment, location: Location | None, level: str, who: Actor
) -> None:
    origin = prisoner.establishment
    new_level = level_after_transfer(level, to.offered_levels, to.default_incentive_level)
    Movement.objects.create(
        prisoner=prisoner,
        kind=Movement.Kind.TRANSFER,
        from_establishment=origin,
        to_establishment=to,
        from_location=prisoner.location,
        to_location=location,
        recorded_by=who.label,
    )
    previous_level = prisoner.incentive_level
    prisoner.establishment = to
    prisoner.location = location
    prisoner.save(update_fields=["establishment", "location", "updated_at"])
    _record_level(
        prisoner,
        new_level,
        IncentiveReview.Reason.TRANSFER,
        who,
        previous=previous_level,
        arrived=True,
    )
    details = {"from": origin.code, "to": to.code, "level_before": level, "level_after": new_level}
    for establishment in (origin, to):
        record_event(
            "people.prisoner.transfer",
            actor=who,
            subject=prisoner,
            establishment=establishment,
            details=details,
        )


def _move(prisoner: Prisoner, location: Location | None, who: Actor, comment: str = "") -> None:
    Movement.objects.create(
        prisoner=prisoner,
        kind=Movement.Kind.MOVE,
        from_establishment=prisoner.establishment,
        to_establishment=prisoner.establishment,
        from_location=prisoner.location,
        to_location=location,
        recorded_by=who.label,
        comment=comment,
    )
    before = prisoner.location.code if prisoner.location else None
    prisoner.location = location
    prisoner.save(update_fields=["location", "updated_at"])
    record_event(
        "people.prisoner.move",
        actor=who,
        subject=prisoner,
        establishment=prisoner.establishment,
        details={"from": before, "to": location.code if location else None},
    )


def _record_level(
    prisoner: Prisoner,
    level: str,
    reason: str,
    who: Actor,
    *,
    previous: str | None = None,
    arrived: bool = False,
    on: dt.date | None = None,
    comment: str = "",
) -> IncentiveReview:
    day = on or timezone.localdate()
    before = prisoner.incentive_level if previous is None else previous
    review = IncentiveReview.objects.create(
        prisoner=prisoner,
        establishment=prisoner.establishment,
        level=level,
        previous_level=before,
        reason=reason,
        comment=comment,
        reviewed_on=day,
        next_review_due=next_review_due(
            level=level,
            previous_level=before,
            on=day,
            arrived=arrived,
            youth=prisoner.is_youth(day),
        ),
        reviewed_by=who.label,
    )
    if prisoner.incentive_level != level:
        prisoner.incentive_level = level
        prisoner.save(update_fields=["incentive_level", "updated_at"])
    if reason != IncentiveReview.Reason.ARRIVAL:
        record_event(
            "people.incentive.review",
            actor=who,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={"from": before, "to": level, "reason": reason},
        )
    return review


_DETAIL_FIELDS = {
    "given_name": "given_name",
    "family_name": "family_name",
    "date_of_birth": "date_of_birth",
    "security_category": "category",
    "legal_status": "legal_status",
}


def _update_details(
    prisoner: Prisoner, row: PrisonerRow, location: Location | None, who: Actor, *, moved: bool
) -> bool:
    changes = {
        field: (getattr(prisoner, field), getattr(row, source))
        for field, source in _DETAIL_FIELDS.items()
        if getattr(prisoner, field) != getattr(row, source)
    }
    changed = bool(changes)
    if changes:
        for field, (_before, after) in changes.items():
            setattr(prisoner, field, after)
        prisoner.save(update_fields=[*changes, "updated_at"])
        record_event(
            "people.prisoner.update",
            actor=who,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={
                field: [str(before), str(after)] for field, (before, after) in changes.items()
            },
        )
    if not moved and prisoner.location_id != (location.pk if location else None):
        _move(prisoner, location, who, comment="import")
        changed = True
    if not moved and prisoner.incentive_level != row.incentive_level:
        _record_level(prisoner, row.incentive_level, IncentiveReview.Reason.IMPORT, who)
        changed = True
    return changed


def _sync_alerts(
    prisoner: Prisoner,
    active: set[str],
    wanted: tuple[str, ...],
    codes: dict[str, AlertCode],
    who: Actor,
) -> bool:
    """Make the prisoner's active alerts the imported set: start new ones, end absent ones."""
    today = timezone.localdate()
    to_add = sorted(set(wanted) - active)
    to_end = sorted(active - set(wanted))
    for code in to_add:
        PrisonerAlert.objects.create(
            prisoner=prisoner, code=codes[code], starts_on=today, comment="imported"
        )
    for alert in PrisonerAlert.objects.filter(prisoner=prisoner, code__code__in=to_end):
        if alert.is_active(today):
            alert.ends_on = max(today, alert.starts_on)
            alert.save(update_fields=["ends_on"])
    if to_add or to_end:
        record_event(
            "people.alert.sync",
            actor=who,
            subject=prisoner,
            establishment=prisoner.establishment,
            details={"added": to_add, "ended": to_end},
        )
    return bool(to_add or to_end)

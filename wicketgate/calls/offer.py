"""What an establishment offers for video calls: its settings (allowances, lead time,
window, alerts) and its weekly sessions. Each change atomic, each writing its audit row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from wicketgate.audit.log import Actor, record_event
from wicketgate.calls.models import CallSettings, SessionTemplate
from wicketgate.estate.models import Establishment, Location
from wicketgate.lib.errors import ActionError


class CallSettingsError(ActionError):
    """A change that cannot be made; the message names the field and says why."""


def do_set_call_settings(
    establishment: Establishment,
    *,
    monthly_minutes: dict[str, int],
    lead_hours: int,
    window_days: int,
    ineligible_alerts: list[str],
    actor: Actor,
) -> CallSettings:
    if window_days * 24 <= lead_hours:
        raise CallSettingsError("the window must end after the lead time", field="window_days")
    with transaction.atomic():
        found, _made = CallSettings.objects.select_for_update().get_or_create(
            establishment=establishment
        )
        before = _as_dict(found)
        found.monthly_minutes = dict(monthly_minutes)
        found.lead_hours = lead_hours
        found.window_days = window_days
        found.ineligible_alerts = sorted(set(ineligible_alerts))
        found.save()
        after = _as_dict(found)
        record_event(
            "calls.settings.change",
            actor=actor,
            subject=establishment,
            establishment=establishment,
            details={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        )
    return found


def do_add_call_session(
    suite: Location,
    *,
    weekday: int,
    starts: dt.time,
    minutes: int,
    capacity: int,
    actor: Actor,
) -> SessionTemplate:
    if suite.kind != "VIDEO_SUITE" or not suite.secure_area:
        raise CallSettingsError(f"{suite.code} is not a secure video suite", field="suite")
    with transaction.atomic():
        made = SessionTemplate.objects.create(
            suite=suite, weekday=weekday, starts=starts, minutes=minutes, capacity=capacity
        )
        record_event(
            "calls.session.add",
            actor=actor,
            subject=made,
            establishment=suite.establishment,
            details={
                "suite": suite.code,
                "weekday": weekday,
                "starts": starts.isoformat(timespec="minutes"),
                "minutes": minutes,
                "capacity": capacity,
            },
        )
    return made


def do_deactivate_call_session(session: SessionTemplate, *, actor: Actor) -> SessionTemplate:
    """No longer offered; calls already booked in it stay booked."""
    with transaction.atomic():
        locked = (
            SessionTemplate.objects.select_for_update(of=("self",))
            .select_related("suite__establishment")
            .get(pk=session.pk)
        )
        if not locked.active:
            raise CallSettingsError("this session is already no longer offered", field="session")
        locked.active = False
        locked.save(update_fields=["active"])
        record_event(
            "calls.session.deactivate",
            actor=actor,
            subject=locked,
            establishment=locked.suite.establishment,
            details={"session": str(locked)},
        )
    return locked


def _as_dict(found: CallSettings) -> dict[str, Any]:
    return {
        "monthly_minutes": found.monthly_minutes,
        "lead_hours": found.lead_hours,
        "window_days": found.window_days,
        "ineligible_alerts": found.ineligible_alerts,
    }

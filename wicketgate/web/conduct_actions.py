"""The one conduct change the staff pages make that ``conduct.actions`` has no function for:
an establishment's own alert trigger. Atomic and audited, like every ``do_`` action.

It belongs in ``conduct.actions``; it is kept here until that module takes it over, so
that the web layer does not write to the conduct app's files.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from wicketgate.audit.log import Actor, record_event
from wicketgate.conduct.actions import ConductError
from wicketgate.conduct.alerts import trigger_for
from wicketgate.conduct.codes import AlertKind
from wicketgate.conduct.models import AlertTrigger
from wicketgate.estate.models import Establishment

THRESHOLD_MAX = 1000
WINDOW_MAX = 24 * 60  # minutes: the scan looks back at most a day for repeats
FIELDS = ("enabled", "threshold", "window_minutes", "quiet_from", "quiet_until")


def do_set_alert_trigger(
    establishment: Establishment,
    kind: str,
    *,
    enabled: bool,
    threshold: int,
    window_minutes: int,
    quiet_from: dt.time,
    quiet_until: dt.time,
    actor: Actor | Any,
) -> tuple[AlertTrigger, bool]:
    """Give ``establishment`` its own trigger for ``kind`` (made from the one in force there
    if it has none); returns the trigger and whether anything changed."""
    if kind not in AlertKind.values:
        raise ConductError(f"kind {kind!r}: expected one of {', '.join(AlertKind.values)}")
    if not 2 <= threshold <= THRESHOLD_MAX:
        raise ConductError(f"threshold {threshold}: between 2 and {THRESHOLD_MAX} attempts")
    if not 1 <= window_minutes <= WINDOW_MAX:
        raise ConductError(f"window_minutes {window_minutes}: between 1 and {WINDOW_MAX} minutes")
    if quiet_from == quiet_until:
        raise ConductError("quiet_until: the quiet hours must end at another time than they start")
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
        before = {name: getattr(before_trigger, name) for name in FIELDS}
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
                "before": _text(before),
                "after": _text(wanted),
            },
        )
    return trigger, True


def _text(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value.strftime("%H:%M") if isinstance(value, dt.time) else value
        for name, value in values.items()
    }

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from wicketgate.audit.chain import compact_json
from wicketgate.audit.labels import action_label as label_of_action
from wicketgate.estate.codes import LocationKind

register = template.Library()


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """Whole minutes in a duration, rounded up, so a wait is never understated."""
    if not value:
        return 0
    return -(-int(value.total_seconds()) // 60)


@register.filter
def action_label(action: str) -> str:
    """What an audit action means, in words; its code when there are none for it."""
    return label_of_action(action)


@register.filter
def detail_text(value: Any) -> str:
    """One value from an audit event's details, as text: lists and objects as compact JSON."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, dict | list):
        return compact_json(value)
    return str(value)


@register.filter
def places(kinds: Any) -> str:
    """Location kinds as words in a list: ``["CELL", "LIBRARY"]`` → "cell or library"."""
    names = [str(LocationKind(kind).label).lower() for kind in kinds if kind in LocationKind.values]
    if len(names) < 2:
        return "".join(names)
    return _("%(first)s or %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


@register.filter
def milliseconds(value: Any) -> str:
    """A duration in milliseconds, as people read one: "340 ms", "2.5 s", "3 min 20 s"."""
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        return "–"
    if value < 1000:
        return _("%(ms)d ms") % {"ms": value}
    if value < 60_000:
        return _("%(s).1f s") % {"s": value / 1000}
    minutes, seconds = divmod(int(value // 1000), 60)
    return _("%(m)d min %(s)d s") % {"m": minutes, "s": seconds}


@register.filter
def iso_datetime(value: Any) -> dt.datetime | None:
    """An ISO 8601 date and time, as audit event details hold them, for the date filter."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None

"""Which legal limits apply to a prisoner: the adult rules, or the stricter YOI rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta

from wicketgate.conduct.codes import MAX_DAYS, MAX_SUSPENSION_MONTHS
from wicketgate.people.codes import SecurityCategory

YOI_CATEGORIES = frozenset(
    {SecurityCategory.YOI_CLOSED, SecurityCategory.YOI_OPEN, SecurityCategory.YOI_RESTRICTED}
)


def rules_for(prisoner: Any, on: dt.date) -> str:
    """``yoi`` for someone under 18 or held in a young offender institution category,
    else ``adult``."""
    if prisoner.is_youth(on) or prisoner.security_category in YOI_CATEGORIES:
        return "yoi"
    return "adult"


def max_days(prisoner: Any, on: dt.date) -> int:
    return MAX_DAYS[rules_for(prisoner, on)]


def max_suspension_months(prisoner: Any, on: dt.date) -> int:
    return MAX_SUSPENSION_MONTHS[rules_for(prisoner, on)]


def suspension_end(start: dt.datetime, months: int) -> dt.datetime:
    return start + relativedelta(months=months)


def describe_limits(prisoner: Any, on: dt.date) -> str:
    """The limits in a sentence, for the forms that ask for a duration."""
    rules = rules_for(prisoner, on)
    who = "a young person (YOI rules)" if rules == "yoi" else "an adult"
    return (
        f"For {who}: loss of a privilege up to {MAX_DAYS[rules]} days; "
        f"suspended for up to {MAX_SUSPENSION_MONTHS[rules]} months."
    )

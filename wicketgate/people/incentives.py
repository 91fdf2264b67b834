"""When a prisoner's incentive level must next be reviewed (shared DOMAIN.md).

Reviews fall within 3 months of arrival (1 month under 18), then yearly; a move to
Basic is reviewed within 7 days, then every 28 days (14 under 18). The periods are
configuration with these defaults.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from wicketgate.estate.codes import IncentiveLevel


@dataclass(frozen=True)
class ReviewPeriods:
    first_after_arrival: relativedelta = relativedelta(months=3)
    first_after_arrival_youth: relativedelta = relativedelta(months=1)
    routine: relativedelta = relativedelta(years=1)
    first_on_basic: relativedelta = relativedelta(days=7)
    basic: relativedelta = relativedelta(days=28)
    basic_youth: relativedelta = relativedelta(days=14)


DEFAULT_PERIODS = ReviewPeriods()


def next_review_due(
    *,
    level: str,
    previous_level: str,
    on: dt.date,
    arrived: bool,
    youth: bool,
    periods: ReviewPeriods = DEFAULT_PERIODS,
) -> dt.date:
    if level == IncentiveLevel.BAS:
        if previous_level != IncentiveLevel.BAS:
            return on + periods.first_on_basic
        return on + (periods.basic_youth if youth else periods.basic)
    if arrived:
        return on + (periods.first_after_arrival_youth if youth else periods.first_after_arrival)
    return on + periods.routine

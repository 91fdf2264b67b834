"""Video-call facts (GOV.UK guidance for social video calls, DOMAIN.md). Local choices are
per-establishment settings with these as defaults."""

from __future__ import annotations

from django.db import models

LENGTHS = (30, 60)  # minutes
MAX_OTHER_CALLERS = 3  # besides the main caller: up to 4 callers in all
ADULT_AGE = 18  # the main caller is 18 or over
# Default allowance: two 30-minute or one 60-minute call a month, for every level.
DEFAULT_MONTHLY_MINUTES = 60
DEFAULT_LEAD_HOURS = 24  # booked at least this long before the start …
DEFAULT_WINDOW_DAYS = 28  # … and at most this far ahead


class BookingStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"

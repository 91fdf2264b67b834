"""The phone app's fixed vocabularies."""

from __future__ import annotations

from django.db import models


class NumberKind(models.TextChoices):
    SOCIAL = "social", "Social"  # family and friends: counted against the incentive level's cap
    OFFICIAL = "official", "Official"  # probation, employers, support services
    LEGAL = "legal", "Legal"  # privileged: never recorded, never listened to


class NumberStatus(models.TextChoices):
    REQUESTED = "requested", "Waiting for staff"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"
    REMOVED = "removed", "Removed"


# A number on a prisoner's list is "live" (counted, callable once approved) in these states.
LIVE = (NumberStatus.REQUESTED, NumberStatus.APPROVED)


class Destination(models.TextChoices):
    """What a call costs depends on where it goes (each establishment's tariff)."""

    UK_LANDLINE = "uk_landline", "UK landline"
    UK_MOBILE = "uk_mobile", "UK mobile"
    INTERNATIONAL = "international", "International"
    FREE = "free", "Free to call"  # freephone and helplines such as the Samaritans


class CreditKind(models.TextChoices):
    TOP_UP = "top_up", "Added from the prisoner's funds"
    CHARGE = "charge", "Call charge"
    REFUND = "refund", "Refund"


class CallState(models.TextChoices):
    CONNECTING = "connecting", "Connecting"  # allowed, ringing: credit held
    ANSWERED = "answered", "On the call"
    ENDED = "ended", "Ended"  # answered, then ended: charged
    UNANSWERED = "unanswered", "Not answered"  # never answered: nothing charged


# A call in these states is live: one at a time for each prisoner, its credit held.
LIVE_CALL = (CallState.CONNECTING, CallState.ANSWERED)


class EndedBy(models.TextChoices):
    CALLER = "caller", "The prisoner hung up"
    CALLED = "called", "The called person hung up"
    LIMIT = "limit", "It reached its limit"
    STAFF = "staff", "Ended by staff"
    POLICY = "policy", "Ended: no longer allowed"
    UNREPORTED = "unreported", "Its end was not reported: charged to its limit"
    FAILED = "failed", "Not connected"
    NOT_ACCEPTED = "not_accepted", "The called person did not accept it"


# An establishment's phone settings until staff change them (PhoneSettings).
DEFAULT_HOURS = "Mon-Sun 08:00-21:00"
DEFAULT_MAX_CALL_MINUTES = 30
# Pence a started minute, by where the call goes; free numbers are always free.
DEFAULT_TARIFF: dict[str, int] = {
    Destination.UK_LANDLINE: 6,
    Destination.UK_MOBILE: 6,
    Destination.INTERNATIONAL: 25,
    Destination.FREE: 0,
}

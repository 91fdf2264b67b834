"""Scoped reads for the phone pages."""

from __future__ import annotations

from django.db.models import QuerySet

from wicketgate.contacts.models import ContactLink
from wicketgate.people.models import Prisoner
from wicketgate.phone.codes import LIVE, LIVE_CALL, NumberStatus
from wicketgate.phone.models import CreditEntry, PhoneAccount, PhoneCall, PhoneNumber

STATEMENT_LINES = 20
CALLS_SHOWN = 20


def live_numbers(numbers: QuerySet[PhoneNumber], prisoner: Prisoner) -> QuerySet[PhoneNumber]:
    """Approved and waiting, waiting first."""
    return numbers.filter(prisoner=prisoner, status__in=LIVE).order_by("-status", "name")


def past_numbers(numbers: QuerySet[PhoneNumber], prisoner: Prisoner) -> QuerySet[PhoneNumber]:
    """Refused and removed, newest decision first."""
    return numbers.filter(prisoner=prisoner).exclude(status__in=LIVE).order_by("-decided_at")


def statement(entries: QuerySet[CreditEntry], prisoner: Prisoner) -> list[CreditEntry]:
    return list(entries.filter(prisoner=prisoner)[:STATEMENT_LINES])


def calls_of(calls: QuerySet[PhoneCall], prisoner: Prisoner) -> list[PhoneCall]:
    """The prisoner's latest calls, newest first."""
    return list(calls.filter(prisoner=prisoner)[:CALLS_SHOWN])


def live_calls(calls: QuerySet[PhoneCall]) -> QuerySet[PhoneCall]:
    """Calls ringing or under way, the longest-running first."""
    return (
        calls.filter(state__in=LIVE_CALL)
        .select_related("prisoner__establishment")
        .order_by("placed_at", "pk")
    )


def approved_contacts(prisoner: Prisoner) -> list[ContactLink]:
    return list(ContactLink.objects.filter(prisoner=prisoner).approved().select_related("contact"))


def phone_account(prisoner: Prisoner) -> PhoneAccount | None:
    return PhoneAccount.objects.filter(prisoner=prisoner).first()


def waiting_for_staff(numbers: QuerySet[PhoneNumber]) -> QuerySet[PhoneNumber]:
    """Numbers prisoners asked for that staff have still to decide: oldest first."""
    return (
        numbers.filter(status=NumberStatus.REQUESTED)
        .select_related("prisoner__establishment")
        .order_by("requested_at", "pk")
    )

"""Video-call settings, sessions and bookings.

An establishment offers sessions in its video suites (secure locations): weekly templates
with a time, a length of 30 or 60 minutes and how many calls the suite carries at once.
A booking takes one such slot for one prisoner, with a main caller (18 or over) and up to
three more approved contacts; the checks are in ``booking.py``.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from wicketgate.accounts.scoping import ScopedQuerySet
from wicketgate.calls.codes import (
    DEFAULT_LEAD_HOURS,
    DEFAULT_MONTHLY_MINUTES,
    DEFAULT_WINDOW_DAYS,
    BookingStatus,
)

# Janus VideoRoom rooms are numbers. Each call's is drawn at random from [2**40, 2**53)
# (below 2**53 so that JavaScript holds it exactly): a token for one call says nothing
# about any other call's room.
ROOM_LOW, ROOM_HIGH = 2**40, 2**53


def new_room() -> int:
    return ROOM_LOW + secrets.randbelow(ROOM_HIGH - ROOM_LOW)


class CallSettings(models.Model):
    """One establishment's local choices; an establishment without a row has the defaults."""

    establishment = models.OneToOneField(
        "estate.Establishment", on_delete=models.CASCADE, related_name="call_settings"
    )
    # Minutes a month per incentive level, e.g. {"BAS": 30, "STD": 60, "ENH": 120}; a level
    # not listed has DEFAULT_MONTHLY_MINUTES.
    monthly_minutes = models.JSONField(default=dict, blank=True)
    lead_hours = models.PositiveIntegerField(default=DEFAULT_LEAD_HOURS)
    window_days = models.PositiveIntegerField(default=DEFAULT_WINDOW_DAYS)
    # Prisoners with any of these alerts in force cannot have video calls.
    ineligible_alerts = models.JSONField(default=list, blank=True)
    # Prisoners with any of these alerts in force have one-way calls: their callers see
    # and hear them, and they hear their callers but do not see them.
    one_way_alerts = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Video-call settings for {self.establishment_id}"

    def minutes_for(self, level: str) -> int:
        return int((self.monthly_minutes or {}).get(level, DEFAULT_MONTHLY_MINUTES))


class SessionTemplateQuerySet(ScopedQuerySet["SessionTemplate"]):
    establishment_field = "suite__establishment"


class SessionTemplate(models.Model):
    """A weekly slot in a suite: e.g. Tuesdays 14:00 for 30 minutes, two calls at once."""

    suite = models.ForeignKey(
        "estate.Location", on_delete=models.PROTECT, related_name="call_sessions"
    )
    weekday = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(6)], help_text="0 Monday … 6 Sunday"
    )
    starts = models.TimeField()
    minutes = models.PositiveSmallIntegerField(choices=[(30, "30 minutes"), (60, "60 minutes")])
    capacity = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Calls at once in the suite"
    )
    active = models.BooleanField(default=True)

    objects = SessionTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["suite_id", "weekday", "starts"]

    def __str__(self) -> str:
        day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self.weekday]
        return f"{day} {self.starts:%H:%M} for {self.minutes} min ({self.suite_id})"


class BookingQuerySet(ScopedQuerySet["Booking"]):
    establishment_field = "prisoner__establishment"
    contact_field = "participants__contact"

    def live(self) -> BookingQuerySet:
        return self.filter(status=BookingStatus.BOOKED)

    def overlapping(self, starts: dt.datetime, ends: dt.datetime) -> BookingQuerySet:
        return self.filter(starts_at__lt=ends, ends_at__gt=starts)


class Booking(models.Model):
    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.PROTECT, related_name="call_bookings"
    )
    session = models.ForeignKey(SessionTemplate, on_delete=models.PROTECT, related_name="+")
    suite = models.ForeignKey("estate.Location", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    main_caller = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="calls_booked"
    )
    status = models.CharField(
        max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    booked_by = models.CharField(max_length=150)
    booked_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=150, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True, help_text="The family sees it")
    # The call itself: its Janus room is opened shortly before the start and destroyed at
    # the end, or earlier by staff or because someone on it may no longer take part.
    room = models.BigIntegerField(unique=True, default=new_room, editable=False)
    room_opened_at = models.DateTimeField(null=True, blank=True)
    recorded = models.BooleanField(default=False)
    one_way = models.BooleanField(default=False, help_text="The prisoner does not see the callers")
    # One-way calls only: the room the callers' pictures go to. The prisoner is given no
    # token for it (nor its number), so Janus itself keeps those pictures from them; the
    # callers send their sound to ``room``, where the prisoner hears it.
    pictures_room = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["suite", "starts_at"]),
            models.Index(fields=["prisoner", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"Call {self.pk} for {self.prisoner_id} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def reference(self) -> str:
        return f"VC-{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.room_opened_at is not None and self.ended_at is None

    @property
    def rooms(self) -> list[int]:
        """Every Janus room of the call: its room, and on a one-way call the callers' pictures'."""
        return [self.room] + ([self.pictures_room] if self.pictures_room is not None else [])

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def names_on_call(self) -> dict[str, str]:
        """Who each Janus display name of the call is, in words for staff: the prisoner
        (``prisoner``) and each booked caller (``contact-<id>``)."""
        names = {PRISONER_DISPLAY: str(self.prisoner)}
        for participant in self.participants.select_related("contact"):
            names[caller_display(participant.contact_id)] = participant.contact.full_name
        return names


# How each person on a call is named in Janus (its ``display``): never their name, which
# Janus would show anyone in the room; staff pages put the names back (names_on_call).
PRISONER_DISPLAY = "prisoner"


def caller_display(contact_id: int) -> str:
    return f"contact-{contact_id}"


class Participant(models.Model):
    """Everyone on the call from outside, the main caller included."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="participants")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["booking", "contact"], name="one_seat_per_contact")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} on {self.booking_id}"


class RecordingQuerySet(ScopedQuerySet["Recording"]):
    establishment_field = "booking__prisoner__establishment"


class Recording(models.Model):
    """One track of a recorded call, converted from Janus's .mjr with janus-pp-rec; kept
    until ``delete_after`` (the retention period), then deleted by the clock."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="recordings")
    kind = models.CharField(max_length=5, choices=[("audio", "Audio"), ("video", "Video")])
    who = models.CharField(max_length=60, help_text="Janus's participant id")
    path = models.CharField(max_length=500)
    size = models.PositiveBigIntegerField(default=0)
    made_at = models.DateTimeField(auto_now_add=True)
    delete_after = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = RecordingQuerySet.as_manager()

    class Meta:
        ordering = ["booking_id", "who", "kind"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.who} on {self.booking_id}"


class CallNote(models.Model):
    """What a member of staff watching a call noted down."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="notes")
    written_by = models.CharField(max_length=150)
    written_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField()

    class Meta:
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return f"Note on {self.booking_id} by {self.written_by}"

"""Phone calls' records: each prisoner's approved numbers, the numbers barred for
everyone, the phone PIN their handsets authenticate with, and their phone credit."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from wicketgate.accounts.scoping import ScopedQuerySet
from wicketgate.phone.codes import (
    DEFAULT_HOURS,
    DEFAULT_MAX_CALL_MINUTES,
    DEFAULT_TARIFF,
    LIVE,
    LIVE_CALL,
    CallState,
    CreditKind,
    Destination,
    EndedBy,
    NumberKind,
    NumberStatus,
)


class PhoneNumberQuerySet(ScopedQuerySet["PhoneNumber"]):
    establishment_field = "prisoner__establishment"


class PhoneNumber(models.Model):
    """A number on one prisoner's list: asked for, then approved or refused by staff."""

    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.CASCADE, related_name="phone_numbers"
    )
    number = models.CharField(max_length=16, help_text="E.164, e.g. +442079460123")
    destination = models.CharField(max_length=16, choices=Destination.choices)
    name = models.CharField(max_length=100, help_text="Whose number it is, as the prisoner says")
    kind = models.CharField(max_length=10, choices=NumberKind.choices)
    status = models.CharField(max_length=10, choices=NumberStatus.choices)
    # The approved contact it belongs to, where there is one (staff link it when approving).
    # PROTECT: a legal number without its legal adviser would lose its privilege unseen.
    contact_link = models.ForeignKey(
        "contacts.ContactLink",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="phone_numbers",
    )
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=300, blank=True)

    objects = PhoneNumberQuerySet.as_manager()

    class Meta:
        ordering = ["prisoner", "name", "number"]
        constraints = [
            # A number is on a prisoner's list once at a time (asked for, or approved).
            models.UniqueConstraint(
                fields=["prisoner", "number"],
                condition=Q(status__in=[str(status) for status in LIVE]),
                name="phone_number_once_per_prisoner",
            ),
            models.CheckConstraint(
                condition=Q(status__in=NumberStatus.values), name="phone_number_status_known"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=NumberKind.values), name="phone_number_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.name}) for {self.prisoner_id}"


class BarredNumber(models.Model):
    """A number no prisoner may call: its owner asked, or staff barred it for everyone."""

    number = models.CharField(max_length=16, unique=True)
    reason = models.CharField(max_length=300)
    barred_by = models.CharField(max_length=150)
    barred_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.number} (barred)"


class PhoneAccount(models.Model):
    """How a prisoner's handset calls are authenticated: prison number and phone PIN.

    SIP digest authentication needs the PIN in a form Kamailio can check a challenge
    against, so the account keeps HA1 = MD5(prison number:realm:PIN), as Kamailio's own
    subscriber table does, and never the PIN. (HA1 is as good as the PIN to whoever can
    read it: the database is the secret here, as it is for every SIP server.)
    """

    prisoner = models.OneToOneField(
        "people.Prisoner", on_delete=models.CASCADE, related_name="phone_account"
    )
    realm = models.CharField(max_length=64)
    ha1 = models.CharField(max_length=32)
    pin_set_at = models.DateTimeField()
    pin_set_by = models.CharField(max_length=150)
    # Wrong phone PINs slow down further tries (as device PINs do, accounts.pins): counted
    # from the first in a window, refused unchecked until ``blocked_until``.
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"phone account of {self.prisoner_id}"


class HandsetPinTries(models.Model):
    """Wrong phone PINs typed on one handset for one account, counted apart from every other
    handset's: past the limit that handset gets no credentials for the account for a while,
    and the prisoner can still call from another (so one prisoner typing wrong PINs for
    another's prison number cannot keep them off the phone)."""

    account = models.ForeignKey(
        PhoneAccount, on_delete=models.CASCADE, related_name="handset_tries"
    )
    handset = models.CharField(max_length=100)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "handset"], name="pin_tries_once_a_handset")
        ]

    def __str__(self) -> str:
        return f"wrong phone PINs for {self.account_id} on {self.handset}"


class PhoneCredit(models.Model):
    """What a prisoner has to spend on calls, in pence; never below zero."""

    prisoner = models.OneToOneField(
        "people.Prisoner", on_delete=models.CASCADE, related_name="phone_credit"
    )
    balance_pence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_pence__gte=0), name="phone_credit_never_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.balance_pence}p for {self.prisoner_id}"


class CreditEntryQuerySet(ScopedQuerySet["CreditEntry"]):
    establishment_field = "prisoner__establishment"


class CreditEntry(models.Model):
    """One movement of phone credit, with the balance it left: the statement's line."""

    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.CASCADE, related_name="phone_credit_entries"
    )
    kind = models.CharField(max_length=10, choices=CreditKind.choices)
    pence = models.IntegerField(help_text="Added (positive) or spent (negative)")
    balance_after = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    by = models.CharField(max_length=150)
    at = models.DateTimeField()

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["prisoner", "-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(pence=0), name="credit_entry_moves_something"),
        ]

    def __str__(self) -> str:
        return f"{self.pence:+d}p for {self.prisoner_id}"


def default_tariff() -> dict[str, int]:
    return {str(destination): pence for destination, pence in DEFAULT_TARIFF.items()}


class PhoneSettings(models.Model):
    """An establishment's phone hours, longest call and tariff (pence a started minute,
    by where the call goes). An establishment without a row has the defaults."""

    establishment = models.OneToOneField(
        "estate.Establishment", on_delete=models.CASCADE, related_name="phone_settings"
    )
    hours = models.CharField(max_length=200, default=DEFAULT_HOURS)
    max_call_minutes = models.PositiveSmallIntegerField(default=DEFAULT_MAX_CALL_MINUTES)
    tariff = models.JSONField(default=default_tariff)
    changed_by = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"phone settings of {self.establishment_id}"

    def pence_a_minute(self, destination: str) -> int:
        if destination == Destination.FREE:
            return 0
        return int(self.tariff.get(destination, DEFAULT_TARIFF[Destination(destination)]))


class PhoneCallQuerySet(ScopedQuerySet["PhoneCall"]):
    establishment_field = "prisoner__establishment"

    def live(self) -> PhoneCallQuerySet:
        return self.filter(state__in=[str(state) for state in LIVE_CALL])


class PhoneCall(models.Model):
    """One call a prisoner placed from a handset and Wicketgate allowed: from ringing to
    its charge. (Refused attempts are in the audit log only.)

    While it is live its cost up to its limit is held from the credit (``held_pence``), and
    a prisoner has one live call at a time; at its end it is charged by the started minute,
    never more than was held. A call whose end is never reported (Wicketgate or Kamailio
    stopped mid-call) is settled at its limit once that has passed, so no charge is lost.
    """

    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.CASCADE, related_name="phone_calls"
    )
    handset = models.CharField(max_length=100, help_text="The device id it was placed from")
    entry = models.ForeignKey(
        PhoneNumber, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    number = models.CharField(max_length=16)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=NumberKind.choices)
    destination = models.CharField(max_length=16, choices=Destination.choices)
    recorded = models.BooleanField(help_text="Never for a legal call")
    limit_seconds = models.PositiveIntegerField()
    pence_a_minute = models.PositiveIntegerField()
    held_pence = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=CallState.choices)
    placed_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    charge_pence = models.PositiveIntegerField(default=0)
    ended_by = models.CharField(max_length=12, choices=EndedBy.choices, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)
    # Kamailio's handles on it: the SIP Call-ID, and the dialog's, to end it early.
    sip_call_id = models.CharField(max_length=255)
    dialog = models.CharField(max_length=40, blank=True, help_text="h_entry:h_id")
    # Its audio, once turned from rtpengine's pcap into a WAV in the recordings folder
    # ("-" when the pcap held none), kept until ``recording_until``.
    recording = models.CharField(max_length=100, blank=True)
    recording_until = models.DateTimeField(null=True, blank=True)
    # The announcement: its two ends' tags in rtpengine, and while the prisoner's audio is
    # held back (until ``prisoner_heard_from``, when the announcement has been heard).
    caller_tag = models.CharField(max_length=128, blank=True)
    called_tag = models.CharField(max_length=128, blank=True)
    prisoner_held = models.BooleanField(default=False)
    prisoner_heard_from = models.DateTimeField(null=True, blank=True)
    # When a key must accept it: by when, and when it was (a call never accepted is free).
    accept_by = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = PhoneCallQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["prisoner"],
                condition=Q(state__in=[str(state) for state in LIVE_CALL]),
                name="phone_call_one_live_per_prisoner",
            ),
            models.CheckConstraint(
                condition=Q(state__in=CallState.values), name="phone_call_state_known"
            ),
            models.CheckConstraint(
                condition=Q(charge_pence__lte=F("held_pence")),
                name="phone_call_charged_at_most_held",
            ),
        ]
        indexes = [models.Index(fields=["state", "placed_at"])]

    def __str__(self) -> str:
        return f"call {self.pk} from {self.prisoner_id} to {self.number}"

    @property
    def live(self) -> bool:
        return self.state in LIVE_CALL


class PhoneListeningQuerySet(ScopedQuerySet["PhoneListening"]):
    establishment_field = "call__prisoner__establishment"


class PhoneListening(models.Model):
    """A member of staff listening to a live call in their browser: rtpengine sends them
    a copy of both sides (a ``subscribe`` under ``tag``), never anything back into the call.
    Never on a legal call."""

    call = models.ForeignKey(PhoneCall, on_delete=models.CASCADE, related_name="listenings")
    listener = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="phone_listenings"
    )
    tag = models.CharField(max_length=128, help_text="The subscription's tag in rtpengine")
    asked_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True, help_text="Audio on its way")
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = PhoneListeningQuerySet.as_manager()

    class Meta:
        ordering = ["-asked_at"]

    def __str__(self) -> str:
        return f"listening {self.pk} to call {self.call_id}"

    @property
    def open(self) -> bool:
        return self.ended_at is None

"""People in custody: who they are, where they are, and what is known about them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wicketgate.accounts.scoping import ScopedQuerySet
from wicketgate.estate.codes import IncentiveLevel
from wicketgate.people.codes import PRISON_NUMBER_PATTERN, LegalStatus, SecurityCategory

prison_number_validator = RegexValidator(
    PRISON_NUMBER_PATTERN, "A prison number is a letter, four digits and two letters, e.g. A1234BC."
)


class PrisonerQuerySet(ScopedQuerySet["Prisoner"]):
    def in_wing(self, wing_id: int) -> PrisonerQuerySet:
        # Cells sit at most two levels below their wing (wing → landing → cell).
        return self.filter(
            Q(location_id=wing_id)
            | Q(location__parent_id=wing_id)
            | Q(location__parent__parent_id=wing_id)
        )

    def with_active_alert(self, code: str, on: dt.date | None = None) -> PrisonerQuerySet:
        today = on or timezone.localdate()
        return self.filter(
            Q(alerts__code__code=code),
            Q(alerts__starts_on__lte=today),
            Q(alerts__ends_on__isnull=True) | Q(alerts__ends_on__gt=today),
        ).distinct()

    def search(self, text: str) -> PrisonerQuerySet:
        text = text.strip()
        if not text:
            return self
        query = Q(prison_number__iexact=text)
        for word in text.split():
            query |= Q(given_name__icontains=word) | Q(family_name__icontains=word)
        return self.filter(query)


class Prisoner(models.Model):
    prison_number = models.CharField(
        max_length=7, unique=True, validators=[prison_number_validator]
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="prisoners"
    )
    location = models.ForeignKey(
        "estate.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="prisoners"
    )
    security_category = models.CharField(max_length=32, choices=SecurityCategory.choices)
    incentive_level = models.CharField(max_length=3, choices=IncentiveLevel.choices)
    legal_status = models.CharField(max_length=32, choices=LegalStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PrisonerQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "prison_number"]
        indexes = [
            models.Index(fields=["establishment", "family_name"]),
            models.Index(fields=["establishment", "security_category"]),
            models.Index(fields=["establishment", "incentive_level"]),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.prison_number})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def listing_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years

    def is_youth(self, on: dt.date | None = None) -> bool:
        """Under 18: youth rules (shorter reviews, lower sanction limits) apply."""
        return self.age_on(on or timezone.localdate()) < 18

    @property
    def youth(self) -> bool:
        return self.is_youth()

    def active_alerts(self, on: dt.date | None = None) -> models.QuerySet[PrisonerAlert]:
        today = on or timezone.localdate()
        return self.alerts.filter(
            Q(starts_on__lte=today), Q(ends_on__isnull=True) | Q(ends_on__gt=today)
        ).select_related("code")


class AlertCode(models.Model):
    """A kind of risk alert; the list is configuration, not code."""

    code = models.CharField(max_length=12, unique=True)
    description = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.description}"


class PrisonerAlertQuerySet(ScopedQuerySet["PrisonerAlert"]):
    establishment_field = "prisoner__establishment"


class PrisonerAlert(models.Model):
    prisoner = models.ForeignKey(Prisoner, on_delete=models.CASCADE, related_name="alerts")
    code = models.ForeignKey(AlertCode, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PrisonerAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "code__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="alert_ends_on_or_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code.code} on {self.prisoner.prison_number}"

    def is_active(self, on: dt.date | None = None) -> bool:
        today = on or timezone.localdate()
        return self.starts_on <= today and (self.ends_on is None or self.ends_on > today)


class IncentiveReviewQuerySet(ScopedQuerySet["IncentiveReview"]):
    establishment_field = "prisoner__establishment"


class IncentiveReview(models.Model):
    """One entry in a prisoner's incentive history (a review, an arrival, a transfer)."""

    class Reason(models.TextChoices):
        ARRIVAL = "arrival", "Arrival"
        REVIEW = "review", "Review"
        TRANSFER = "transfer", "Transfer"
        IMPORT = "import", "Imported"

    prisoner = models.ForeignKey(
        Prisoner, on_delete=models.CASCADE, related_name="incentive_reviews"
    )
    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(max_length=3, choices=IncentiveLevel.choices)
    previous_level = models.CharField(max_length=3, choices=IncentiveLevel.choices, blank=True)
    reason = models.CharField(max_length=10, choices=Reason.choices)
    comment = models.TextField(blank=True)
    reviewed_on = models.DateField()
    next_review_due = models.DateField()
    reviewed_by = models.CharField(
        max_length=150, help_text="who recorded it (staff username or process)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IncentiveReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.level} from {self.reviewed_on} ({self.get_reason_display()})"


class MovementQuerySet(ScopedQuerySet["Movement"]):
    establishment_field = "prisoner__establishment"


class Movement(models.Model):
    """Where a prisoner has been: arrivals, transfers between establishments, cell moves."""

    class Kind(models.TextChoices):
        ARRIVAL = "arrival", "Arrival"
        TRANSFER = "transfer", "Transfer"
        MOVE = "move", "Location move"

    prisoner = models.ForeignKey(Prisoner, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    from_establishment = models.ForeignKey(
        "estate.Establishment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="+"
    )
    from_location = models.ForeignKey(
        "estate.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_location = models.ForeignKey(
        "estate.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.CharField(max_length=150)
    comment = models.TextField(blank=True)

    objects = MovementQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_location_id or self.to_establishment_id}"

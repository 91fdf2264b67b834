"""Establishments and the places inside them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from wicketgate.accounts.scoping import ScopedQuerySet
from wicketgate.estate.codes import (
    ALLOWED_PARENT_KINDS,
    ALWAYS_OFFERED,
    FEATURE_DEFAULTS,
    INCENTIVE_ORDER,
    EstablishmentKind,
    IncentiveLevel,
    LocationKind,
)
from wicketgate.policy.hours import HoursError, parse_hours

establishment_code_validator = RegexValidator(
    r"^[A-Z]{2,5}$", "An establishment code is 2 to 5 capital letters, e.g. NGT."
)
location_code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]{0,39}$",
    "A location code is capital letters, digits and hyphens, e.g. NGT-A-1-01.",
)


class EstablishmentQuerySet(ScopedQuerySet["Establishment"]):
    establishment_field = "pk"


def default_incentive_levels() -> list[str]:
    return list(ALWAYS_OFFERED)


def default_features() -> dict[str, bool]:
    return dict(FEATURE_DEFAULTS)


class Establishment(models.Model):
    code = models.CharField(max_length=5, unique=True, validators=[establishment_code_validator])
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=EstablishmentKind.choices)
    youth = models.BooleanField(default=False, help_text="Holds people under 18")
    in_wales = models.BooleanField(
        default=False,
        help_text="In Wales: what the public hear from it is in Welsh as well as English",
    )
    welsh_name = models.CharField(
        max_length=120, blank=True, help_text="Its name in Welsh (say, CEF Caerdydd)"
    )
    capacity = models.PositiveIntegerField(null=True, blank=True)
    # Infrastructure: what can be offered where.
    in_cell_cabling = models.BooleanField(default=False)
    wifi = models.BooleanField(default=False)
    in_cell_laptops = models.BooleanField(default=False)
    kiosks = models.PositiveIntegerField(default=0, validators=[MinValueValidator(0)])
    incentive_levels = models.JSONField(default=default_incentive_levels)
    default_incentive_level = models.CharField(
        max_length=3, choices=IncentiveLevel.choices, default=IncentiveLevel.STD
    )
    features = models.JSONField(default=default_features)
    study_hours = models.CharField(
        max_length=200,
        default="Mon-Fri 08:00-20:00; Sat-Sun 09:00-17:00",
        help_text="When in-cell and blended courses' resources are open to their learners",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        levels = list(self.incentive_levels or [])
        unknown = [level for level in levels if level not in INCENTIVE_ORDER]
        if unknown:
            errors["incentive_levels"] = f"unknown incentive level(s): {', '.join(unknown)}"
        missing = [level for level in ALWAYS_OFFERED if level not in levels]
        if missing:
            errors["incentive_levels"] = (
                f"BAS, STD and ENH are always offered; missing {', '.join(missing)}"
            )
        if self.default_incentive_level not in levels:
            errors["default_incentive_level"] = (
                f"{self.default_incentive_level} is not one of the levels this establishment offers"
            )
        try:
            parse_hours(self.study_hours)
        except HoursError as exc:
            errors["study_hours"] = str(exc)
        unknown_features = set(self.features or {}) - set(FEATURE_DEFAULTS)
        if unknown_features:
            errors["features"] = f"unknown feature flag(s): {', '.join(sorted(unknown_features))}"
        if errors:
            raise ValidationError(errors)

    @property
    def offered_levels(self) -> list[str]:
        """The incentive levels on offer, lowest first."""
        return [level for level in INCENTIVE_ORDER if level in self.incentive_levels]

    def feature(self, name: str) -> bool:
        if name not in FEATURE_DEFAULTS:
            raise KeyError(name)
        return bool(self.features.get(name, FEATURE_DEFAULTS[name]))

    @property
    def video_suites(self) -> int:
        return self.locations.filter(kind=LocationKind.VIDEO_SUITE).count()


class LocationQuerySet(ScopedQuerySet["Location"]):
    pass


class Location(models.Model):
    establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, related_name="locations"
    )
    code = models.CharField(max_length=40, unique=True, validators=[location_code_validator])
    name = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=12, choices=LocationKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    secure_area = models.BooleanField(
        default=False, help_text="Supervised by staff; video calls need one"
    )
    capacity = models.PositiveIntegerField(null=True, blank=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["establishment", "kind"])]

    def __str__(self) -> str:
        return self.name or self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.upper()
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.code

    def clean(self) -> None:
        allowed = ALLOWED_PARENT_KINDS[self.kind]
        parent_kind = self.parent.kind if self.parent else None
        if parent_kind not in allowed:
            where = f"inside a {parent_kind}" if parent_kind else "at the top level"
            raise ValidationError({"parent": f"a {self.kind} cannot sit {where}"})
        if self.parent and self.parent.establishment_id != self.establishment_id:
            raise ValidationError({"parent": "the parent belongs to another establishment"})

    def wing(self) -> Location | None:
        """The wing this location is in (itself if it is one)."""
        node: Location | None = self
        while node is not None:
            if node.kind == LocationKind.WING:
                return node
            node = node.parent
        return None

    def ancestors(self) -> list[Location]:
        chain: list[Location] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

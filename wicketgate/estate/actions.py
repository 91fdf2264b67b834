"""State changes to establishments: each atomic, each on the audit record."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from wicketgate.audit.log import Actor, record_event
from wicketgate.estate.codes import FEATURE_DEFAULTS
from wicketgate.estate.imports import (
    EstablishmentEntry,
    EstablishmentsFile,
    LocationEntry,
    location_is_secure,
)
from wicketgate.estate.models import Establishment, Location
from wicketgate.lib.importing import ImportSummary

ESTABLISHMENT_FIELDS = [
    "name",
    "kind",
    "youth",
    "in_wales",
    "welsh_name",
    "capacity",
    "in_cell_cabling",
    "wifi",
    "in_cell_laptops",
    "kiosks",
    "incentive_levels",
    "default_incentive_level",
    "study_hours",
]


def do_import_establishments(parsed: EstablishmentsFile, *, actor: Actor) -> ImportSummary:
    """Create or update every establishment and location in a checked file, all or nothing."""
    summary = ImportSummary()
    with transaction.atomic():
        for entry in parsed.establishments:
            establishment, outcome = _upsert_establishment(entry)
            summary.counts[f"establishments {outcome}"] += 1
            if outcome != "unchanged":
                record_event(
                    f"estate.establishment.{outcome}",
                    actor=actor,
                    subject=establishment,
                    establishment=establishment,
                    details={"source": "import"},
                )
            for location, loc_outcome in _upsert_locations(establishment, entry.locations):
                summary.counts[f"locations {loc_outcome}"] += 1
                if loc_outcome != "unchanged":
                    record_event(
                        f"estate.location.{loc_outcome}",
                        actor=actor,
                        subject=location,
                        establishment=establishment,
                        details={"source": "import"},
                    )
        record_event(
            "estate.import",
            actor=actor,
            details={"counts": dict(summary.counts)},
        )
    return summary


def do_set_feature(
    establishment: Establishment, feature: str, enabled: bool, *, actor: Actor
) -> None:
    if feature not in FEATURE_DEFAULTS:
        raise ValueError(f"unknown feature flag {feature!r}")
    with transaction.atomic():
        locked = Establishment.objects.select_for_update().get(pk=establishment.pk)
        before = locked.feature(feature)
        locked.features = {**locked.features, feature: enabled}
        locked.save(update_fields=["features", "updated_at"])
        record_event(
            "estate.establishment.feature",
            actor=actor,
            subject=locked,
            establishment=locked,
            details={"feature": feature, "before": before, "after": enabled},
        )
    establishment.refresh_from_db()


def _upsert_establishment(entry: EstablishmentEntry) -> tuple[Establishment, str]:
    values: dict[str, Any] = {name: getattr(entry, name) for name in ESTABLISHMENT_FIELDS}
    values["incentive_levels"] = [str(level) for level in entry.incentive_levels]
    values["kind"] = str(entry.kind)
    values["default_incentive_level"] = str(entry.default_incentive_level)
    existing = Establishment.objects.select_for_update().filter(code=entry.code).first()
    if existing is None:
        establishment = Establishment(code=entry.code, **values)
        establishment.features = {**FEATURE_DEFAULTS, **entry.features}
        establishment.full_clean()
        establishment.save()
        return establishment, "created"
    values["features"] = {**existing.features, **entry.features}
    changed = {name: value for name, value in values.items() if getattr(existing, name) != value}
    if not changed:
        return existing, "unchanged"
    for name, value in changed.items():
        setattr(existing, name, value)
    existing.full_clean()
    existing.save()
    return existing, "updated"


def _upsert_locations(
    establishment: Establishment, entries: list[LocationEntry]
) -> list[tuple[Location, str]]:
    by_code = {loc.code: loc for loc in Location.objects.filter(establishment=establishment)}
    results: list[tuple[Location, str]] = []
    pending = list(entries)
    # Parents before children: each pass saves what it can, and the kinds' nesting rules
    # (checked before we got here) guarantee the passes end.
    while pending:
        waiting = []
        for entry in pending:
            if entry.parent is not None and entry.parent not in by_code:
                waiting.append(entry)
                continue
            parent = by_code.get(entry.parent) if entry.parent else None
            wanted = {
                "name": entry.name,
                "kind": str(entry.kind),
                "parent": parent,
                "secure_area": location_is_secure(entry),
                "capacity": entry.capacity,
            }
            location = by_code.get(entry.code)
            if location is None:
                location = Location(establishment=establishment, code=entry.code, **wanted)
                location.full_clean()
                location.save()
                outcome = "created"
            elif any(getattr(location, key) != value for key, value in wanted.items()):
                for key, value in wanted.items():
                    setattr(location, key, value)
                location.full_clean()
                location.save()
                outcome = "updated"
            else:
                outcome = "unchanged"
            by_code[entry.code] = location
            results.append((location, outcome))
        if len(waiting) == len(pending):
            raise RuntimeError("location parents could not be resolved")  # checked earlier
        pending = waiting
    return results

"""Reading an establishments YAML file into a checked plan (nothing is written here).

Schema (more keys may be added; unknown keys are an error so that a typo is not lost)::

    establishments:
      - code: NGT
        name: HMP Northgate
        kind: local            # local | training | yoi | women | open
        youth: false
        in_wales: false        # true: announcements in Welsh as well as English
        welsh_name: ""         # its name in Welsh, if it has one (CEF Caerdydd)
        study_hours: "Mon-Fri 08:00-20:00; Sat-Sun 09:00-17:00"  # in-cell study (courses)
        locations:
          - {code: NGT-A, kind: WING, name: A wing}
          - {code: NGT-A-1-01, kind: CELL, parent: NGT-A}
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wicketgate.estate.codes import (
    ALLOWED_PARENT_KINDS,
    ALWAYS_OFFERED,
    FEATURE_DEFAULTS,
    INCENTIVE_ORDER,
    SECURE_BY_DEFAULT,
    EstablishmentKind,
    IncentiveLevel,
    LocationKind,
)
from wicketgate.lib.importing import ImportRejected, Problem, read_yaml_file
from wicketgate.policy.hours import HoursError, parse_hours


class LocationEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,39}$")
    kind: LocationKind
    name: str = Field(default="", max_length=120)
    parent: str | None = None
    secure_area: bool | None = None
    capacity: int | None = Field(default=None, ge=0)


class EstablishmentEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[A-Z]{2,5}$")
    name: str = Field(min_length=1, max_length=120)
    kind: EstablishmentKind
    youth: bool = False
    in_wales: bool = False
    welsh_name: str = Field(default="", max_length=120)
    capacity: int | None = Field(default=None, ge=0)
    in_cell_cabling: bool = False
    wifi: bool = False
    in_cell_laptops: bool = False
    kiosks: int = Field(default=0, ge=0)
    incentive_levels: list[IncentiveLevel] = Field(
        default_factory=lambda: [IncentiveLevel(level) for level in ALWAYS_OFFERED]
    )
    default_incentive_level: IncentiveLevel = IncentiveLevel.STD
    features: dict[str, bool] = Field(default_factory=dict)
    study_hours: str = Field(default="Mon-Fri 08:00-20:00; Sat-Sun 09:00-17:00", max_length=200)
    locations: list[LocationEntry] = Field(default_factory=list)

    @field_validator("study_hours")
    @classmethod
    def _hours(cls, text: str) -> str:
        try:
            parse_hours(text)
        except HoursError as exc:
            raise ValueError(str(exc)) from None
        return " ".join(text.split())

    @field_validator("incentive_levels")
    @classmethod
    def _always_offered(cls, levels: list[IncentiveLevel]) -> list[IncentiveLevel]:
        missing = [level for level in ALWAYS_OFFERED if level not in levels]
        if missing:
            raise ValueError(f"BAS, STD and ENH are always offered; add {', '.join(missing)}")
        return sorted(set(levels), key=INCENTIVE_ORDER.index)

    @field_validator("features")
    @classmethod
    def _known_features(cls, features: dict[str, bool]) -> dict[str, bool]:
        unknown = sorted(set(features) - set(FEATURE_DEFAULTS))
        if unknown:
            raise ValueError(
                f"unknown feature flag(s) {', '.join(unknown)}; known: {', '.join(FEATURE_DEFAULTS)}"
            )
        return features


class EstablishmentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    establishments: list[EstablishmentEntry] = Field(min_length=1)


def read_establishments(
    path: Path, existing_locations: dict[str, tuple[str, str]]
) -> EstablishmentsFile:
    """Parse and check ``path``; raise :class:`ImportRejected` listing every problem.

    ``existing_locations`` maps each location code already in the database to its
    (establishment code, kind), so that a parent may be one loaded earlier and a code
    cannot be taken from another establishment.
    """
    name = str(path)
    parsed = read_yaml_file(
        path, EstablishmentsFile, expected="a mapping with an establishments list"
    )
    problems = _cross_check(name, parsed, existing_locations)
    if problems:
        raise ImportRejected(problems)
    return parsed


def _cross_check(
    name: str, parsed: EstablishmentsFile, existing: dict[str, tuple[str, str]]
) -> list[Problem]:
    problems: list[Problem] = []
    seen_establishments: set[str] = set()
    file_locations: dict[str, tuple[str, str]] = {}
    for i, entry in enumerate(parsed.establishments):
        where = f"establishments[{i}]"
        if entry.code in seen_establishments:
            problems.append(
                Problem(name, where, "code", f"{entry.code} appears twice in this file")
            )
        seen_establishments.add(entry.code)
        if entry.default_incentive_level not in entry.incentive_levels:
            problems.append(
                Problem(
                    name,
                    where,
                    "default_incentive_level",
                    f"{entry.default_incentive_level} is not in incentive_levels",
                )
            )
        for j, location in enumerate(entry.locations):
            lwhere = f"{where}.locations[{j}]"
            if location.code in file_locations:
                problems.append(
                    Problem(name, lwhere, "code", f"{location.code} appears twice in this file")
                )
            elif location.code in existing and existing[location.code][0] != entry.code:
                problems.append(
                    Problem(
                        name,
                        lwhere,
                        "code",
                        f"{location.code} already belongs to {existing[location.code][0]}",
                    )
                )
            file_locations[location.code] = (entry.code, location.kind)
    for i, entry in enumerate(parsed.establishments):
        for j, location in enumerate(entry.locations):
            lwhere = f"establishments[{i}].locations[{j}]"
            parent_kind: str | None = None
            if location.parent is not None:
                owner = file_locations.get(location.parent) or existing.get(location.parent)
                if owner is None:
                    problems.append(
                        Problem(name, lwhere, "parent", f"no location {location.parent}")
                    )
                    continue
                if owner[0] != entry.code:
                    problems.append(
                        Problem(name, lwhere, "parent", f"{location.parent} belongs to {owner[0]}")
                    )
                    continue
                if location.parent == location.code:
                    problems.append(
                        Problem(name, lwhere, "parent", "a location cannot be its own parent")
                    )
                    continue
                parent_kind = owner[1]
            if parent_kind not in ALLOWED_PARENT_KINDS[location.kind]:
                place = f"inside a {parent_kind}" if parent_kind else "at the top level"
                problems.append(
                    Problem(name, lwhere, "parent", f"a {location.kind.value} cannot sit {place}")
                )
    return problems


def location_is_secure(entry: LocationEntry) -> bool:
    if entry.secure_area is not None:
        return entry.secure_area
    return entry.kind in SECURE_BY_DEFAULT

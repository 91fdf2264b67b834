"""Reading a policy YAML file into a checked plan (nothing is written here).

::

    categories:                       # optional: add or rename categories
      - {code: JOB_SEARCH, name: Job search}
    sites:
      - name: OpenLearn
        hosts: ["www.open.edu", "*.open.edu"]
        category: EDUCATION
        paths: ["/openlearn/"]        # optional; absent = the whole host
        ports: [8443]                 # optional; besides 80 and 443, which every site has
        internal: false               # optional; true: may be on an internal network, and is
                                      # then served only on the ports it names
        https: inspect                # optional; or pass-through: never decrypted (the
                                      # whole site, on 443; its servers' other sites too)
        min_clearance: OPEN           # optional: HIGH_SECURITY | CLOSED | TRAINING | OPEN
        review_by: 2027-06-30         # optional
    rules:
      - id: std-learning
        allow: [EDUCATION, EMPLOYMENT]  # or forbid: [...] or forbid: ALL
        when: {incentive_level: [STD, ENH], alert: [CYBER]}
        hours: "Mon-Fri 08:00-20:00; Sat-Sun 10:00-16:00"
        locations: [CELL, EDUCATION]
    exceptions:
      - prisoner: A1234BC
        allow: {site: OpenLearn}      # or forbid:; {site: NAME} or {category: CODE}
        until: 2027-01-31
        reason: Enrolled on an access course
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from wicketgate.estate.codes import INCENTIVE_ORDER, LocationKind
from wicketgate.lib.importing import ImportRejected, Problem, pydantic_problems, read_yaml_file
from wicketgate.people.codes import LegalStatus, parse_category
from wicketgate.policy.codes import ALL, Clearance, Https
from wicketgate.policy.hosts import STANDARD_PORTS, BadResource, check_pattern, normalise_path
from wicketgate.policy.hours import HoursError, parse_hours


class CategoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(pattern=r"^[A-Z][A-Z_]{1,39}$")
    name: str = Field(min_length=1, max_length=100)
    description: str = ""


class SiteEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=120)
    hosts: list[str] = Field(min_length=1)
    category: str
    paths: list[str] = Field(default_factory=list)
    ports: list[int] = Field(default_factory=list)
    internal: bool = False
    https: Literal["inspect", "pass-through"] = "inspect"
    min_clearance: str | None = None
    review_by: dt.date | None = None

    @field_validator("ports")
    @classmethod
    def _ports(cls, ports: list[int]) -> list[int]:
        for port in ports:
            if not 0 < port < 65536:
                raise ValueError(f"{port}: a port is 1 to 65535")
        return sorted(set(ports))

    @model_validator(mode="after")
    def _ports_of_its_kind(self) -> SiteEntry:
        # A site on the internet has 80 and 443 anyway; an internal service only the ports
        # it names, so that its address is no door to anything else listening there.
        if self.internal and not self.ports:
            raise ValueError("ports: an internal service names the ports it is served on")
        if not self.internal:
            self.ports = [p for p in self.ports if p not in STANDARD_PORTS]
        # Passed through, the gateway never sees a path or anything but the name on 443.
        if self.https == Https.PASS_THROUGH.value and self.paths:
            raise ValueError(
                "paths: a site passed through is never decrypted, so the gateway cannot "
                "see its pages; inspect it, or allow the whole site"
            )
        return self

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        try:
            return sorted({check_pattern(host) for host in hosts})
        except (ValueError, BadResource) as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("paths")
    @classmethod
    def _paths(cls, paths: list[str]) -> list[str]:
        for path in paths:
            if not path.startswith("/") or any(c in path for c in "?# "):
                raise ValueError(
                    f"{path!r}: a path prefix starts with / and has no query, fragment or space"
                )
            try:
                normal = normalise_path(path)
            except BadResource as exc:
                raise ValueError(str(exc)) from exc
            if normal != path:  # requests are matched in normal form: so must prefixes be
                raise ValueError(f"{path!r}: write the path prefix as {normal!r}")
        return sorted(set(paths))

    @field_validator("min_clearance")
    @classmethod
    def _clearance(cls, value: str | None) -> str | None:
        if value is not None and value not in Clearance.names:
            raise ValueError(f"{value!r} is not one of {', '.join(Clearance.names)}")
        return value


class When(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: list[str] | None = None
    incentive_level: list[str] | None = None
    youth: bool | None = None
    legal_status: list[str] | None = None
    establishment: list[str] | None = None
    alert: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _scalars_are_lists(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: ([v] if isinstance(v, str) else v) for k, v in data.items()}
        return data

    @field_validator("category")
    @classmethod
    def _categories(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        try:
            return sorted({parse_category(v) for v in values})
        except ValueError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("incentive_level")
    @classmethod
    def _levels(cls, values: list[str] | None) -> list[str] | None:
        bad = [v for v in values or [] if v not in INCENTIVE_ORDER]
        if bad:
            raise ValueError(
                f"unknown incentive level(s) {', '.join(bad)}; use {'/'.join(INCENTIVE_ORDER)}"
            )
        return sorted(set(values)) if values is not None else None

    @field_validator("legal_status")
    @classmethod
    def _statuses(cls, values: list[str] | None) -> list[str] | None:
        bad = [v for v in values or [] if v not in LegalStatus.values]
        if bad:
            raise ValueError(f"unknown legal status(es) {', '.join(bad)}")
        return sorted(set(values)) if values is not None else None


class RuleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    allow: list[str] | str | None = None
    forbid: list[str] | str | None = None
    when: When = Field(default_factory=When)
    hours: str | None = None
    locations: list[str] | None = None
    description: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _one_effect(self) -> RuleEntry:
        if (self.allow is None) == (self.forbid is None):
            raise ValueError("give exactly one of allow or forbid")
        return self

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_hours(value)
            except HoursError as exc:
                raise ValueError(str(exc)) from exc
        return value

    @field_validator("locations")
    @classmethod
    def _locations(cls, values: list[str] | None) -> list[str] | None:
        bad = [v for v in values or [] if v not in LocationKind.values]
        if bad:
            raise ValueError(
                f"unknown location kind(s) {', '.join(bad)}; use {', '.join(LocationKind.values)}"
            )
        return sorted(set(values)) if values is not None else None

    @property
    def effect(self) -> str:
        return "allow" if self.allow is not None else "forbid"

    @property
    def categories(self) -> list[str]:
        value = self.allow if self.allow is not None else self.forbid
        return [ALL] if value == ALL or value == [ALL] else sorted(set(value or []))


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str | None = None
    category: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Target:
        if (self.site is None) == (self.category is None):
            raise ValueError("give exactly one of site or category")
        return self


class ExceptionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    prisoner: str = Field(pattern=r"^[A-Z][0-9]{4}[A-Z]{2}$")
    allow: Target | None = None
    forbid: Target | None = None
    until: dt.date
    reason: str = Field(min_length=1, max_length=300)

    @model_validator(mode="after")
    def _one_effect(self) -> ExceptionEntry:
        if (self.allow is None) == (self.forbid is None):
            raise ValueError("give exactly one of allow or forbid")
        return self

    @property
    def target(self) -> Target:
        target = self.allow if self.allow is not None else self.forbid
        if target is None:  # pragma: no cover - _one_effect lets no entry through without one
            raise ValueError("give exactly one of allow or forbid")
        return target

    @property
    def effect(self) -> str:
        return "allow" if self.allow is not None else "forbid"


class PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: list[CategoryEntry] = Field(default_factory=list)
    sites: list[SiteEntry] = Field(default_factory=list)
    rules: list[RuleEntry] = Field(default_factory=list)
    exceptions: list[ExceptionEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class Known:
    """What entries are checked against besides each other."""

    categories: set[str]
    sites: set[str]
    prisoners: set[str]
    establishments: set[str]
    alerts: set[str]


def read_policy(path: Path, known: Known) -> PolicyFile:
    name = str(path)
    parsed = read_yaml_file(path, PolicyFile, expected="a mapping with sites, rules and exceptions")
    problems = _cross_check(name, parsed, known)
    if problems:
        raise ImportRejected(problems)
    return parsed


def read_entry(section: str, entry: Any, known: Known, name: str = "proposal") -> Any:
    """One entry of ``section`` (sites, rules or exceptions), checked exactly as it would
    be as the only entry of a policy file; ImportRejected naming each problem."""
    if section not in ("sites", "rules", "exceptions"):
        raise ValueError(f"no section {section!r}")
    try:
        parsed = PolicyFile.model_validate({section: [entry]})
    except ValidationError as exc:
        raise ImportRejected(pydantic_problems(name, "", exc)) from exc
    problems = _cross_check(name, parsed, known)
    if problems:
        raise ImportRejected(problems)
    return getattr(parsed, section)[0]


def _cross_check(name: str, parsed: PolicyFile, known: Known) -> list[Problem]:
    problems: list[Problem] = []
    categories = known.categories | {c.code for c in parsed.categories}
    sites = known.sites | {s.name for s in parsed.sites}
    seen: set[str] = set()
    for i, site in enumerate(parsed.sites):
        if site.name in seen:
            problems.append(
                Problem(name, f"sites[{i}]", "name", f"{site.name} appears twice in this file")
            )
        seen.add(site.name)
        if site.category not in categories:
            problems.append(
                Problem(name, f"sites[{i}]", "category", f"no category {site.category}")
            )
    seen = set()
    for i, rule in enumerate(parsed.rules):
        where = f"rules[{i}]"
        if rule.id in seen:
            problems.append(Problem(name, where, "id", f"{rule.id} appears twice in this file"))
        seen.add(rule.id)
        field = "allow" if rule.allow is not None else "forbid"
        unknown = [c for c in rule.categories if c != ALL and c not in categories]
        if unknown:
            problems.append(Problem(name, where, field, f"no category {', '.join(unknown)}"))
        if not rule.categories:
            problems.append(Problem(name, where, field, "name at least one category, or ALL"))
        for key, pool in (("establishment", known.establishments), ("alert", known.alerts)):
            values = getattr(rule.when, key) or []
            missing = [v for v in values if v not in pool]
            if missing:
                problems.append(
                    Problem(name, f"{where}.when", key, f"unknown {key} {', '.join(missing)}")
                )
    today = timezone.localdate()
    for i, exception in enumerate(parsed.exceptions):
        where = f"exceptions[{i}]"
        field = exception.effect
        if exception.prisoner not in known.prisoners:
            problems.append(Problem(name, where, "prisoner", f"no prisoner {exception.prisoner}"))
        if exception.target.site is not None and exception.target.site not in sites:
            problems.append(
                Problem(name, f"{where}.{field}", "site", f"no site {exception.target.site}")
            )
        if exception.target.category is not None and exception.target.category not in categories:
            problems.append(
                Problem(
                    name, f"{where}.{field}", "category", f"no category {exception.target.category}"
                )
            )
        if exception.until < today:
            problems.append(Problem(name, where, "until", f"{exception.until} has already passed"))
    return problems

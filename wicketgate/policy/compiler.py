"""From the policy as staff edit it to a Cedar snapshot that enforcement points evaluate.

The snapshot holds a Cedar policy set (one policy per rule, plus a small fixed set of
generic policies that read exceptions and catalogue facts from entity attributes), the
Cedar schema every entity is validated against, the catalogue's host index, and each
prisoner's slice: the attributes of their Cedar entity and their dated alerts and
exceptions. Deciding needs nothing else: no database on the hot path.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import cedarpy
from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from wicketgate.conduct.models import Sanction
from wicketgate.contacts.codes import LEGAL, LinkStatus
from wicketgate.contacts.models import ContactLink, ContactRestriction
from wicketgate.learning.codes import STUDY_IN_CELL, EnrolmentStatus
from wicketgate.learning.models import Course, Enrolment
from wicketgate.people.models import Prisoner, PrisonerAlert
from wicketgate.policy.codes import ALL, CLEARANCE_OF, Effect
from wicketgate.policy.hours import HoursError, Window, is_open, next_change, parse_hours
from wicketgate.policy.models import AccessRule, Category, PolicyChange, PrisonerException, Site

ADULT_AGE = 18  # a contact under it is a child

NAMESPACE = "Wicketgate"
VALIDATE_CHUNK = 5000
BROWSE = f'{NAMESPACE}::Action::"browse"'
# Sanctions the engine enforces (the others, such as loss of in-cell TV, are for the wing).
ENFORCED_SERVICES = ("web", "device", "video", "phone", "messages")
_STRING = {"type": "String"}
_STRINGS = {"type": "Set", "element": {"type": "String"}}

SCHEMA: dict[str, Any] = {
    NAMESPACE: {
        "entityTypes": {
            "Prisoner": {
                "shape": {
                    "type": "Record",
                    "attributes": {
                        "security_category": _STRING,
                        "incentive_level": _STRING,
                        "youth": {"type": "Boolean"},
                        "legal_status": _STRING,
                        "establishment": _STRING,
                        "alerts": _STRINGS,
                        "clearance": {"type": "Long"},
                        "allowed_sites": _STRINGS,
                        "forbidden_sites": _STRINGS,
                        "allowed_categories": _STRINGS,
                        "forbidden_categories": _STRINGS,
                        # Sanctions in force at the moment asked about (conduct app).
                        "sanctions": _STRINGS,
                        "sanctioned_categories": _STRINGS,
                        # Courses open to the learner at the moment asked about (learning
                        # app), and the sites of those that a web sanction leaves open.
                        "courses": _STRINGS,
                        "course_sites": _STRINGS,
                    },
                }
            },
            # Someone a prisoner calls or writes to. The contacts app (approvals,
            # restrictions) fills in ``approved``; a legal contact is privileged.
            "Contact": {
                "shape": {
                    "type": "Record",
                    "attributes": {
                        "contact_id": _STRING,
                        "approved": {"type": "Boolean"},
                        "legal": {"type": "Boolean"},
                        # Restriction codes in force on the pair, and whether the contact
                        # is a victim of the prisoner's offence.
                        "restrictions": _STRINGS,
                        "victim": {"type": "Boolean"},
                        # Under 18 on the day; and, if so, not yet vetted (a CHILD
                        # restriction on their pair, or on the adult who added them).
                        "child": {"type": "Boolean"},
                        "unvetted": {"type": "Boolean"},
                    },
                }
            },
            "Site": {
                "shape": {
                    "type": "Record",
                    "attributes": {
                        "site_id": _STRING,
                        "category": _STRING,
                        "min_clearance": {"type": "Long"},
                        "review_overdue": {"type": "Boolean"},
                    },
                }
            },
        },
        "actions": {
            "browse": {
                "appliesTo": {
                    "principalTypes": ["Prisoner"],
                    "resourceTypes": ["Site"],
                    "context": {
                        "type": "Record",
                        "attributes": {"location": _STRING, "in_hours": _STRINGS},
                    },
                }
            },
            **{
                action: {
                    "appliesTo": {
                        "principalTypes": ["Prisoner"],
                        "resourceTypes": ["Contact"],
                        "context": {"type": "Record", "attributes": {}},
                    }
                }
                for action in ("video_call", "phone_call", "message")
            },
        },
    }
}

# The services a sanction can take away that are decided per contact, and the Cedar
# action each enforcement point asks: calls, phone and messages ask ``decide_contact``
# with their action, and sanctions apply to them with no change to the conduct app.
# A sanction never stops privileged (legal) contact: the forbid says ``!resource.legal``.
CONTACT_ACTIONS = {"video": "video_call", "phone": "phone_call", "messages": "message"}

_HEAD = f"(principal is {NAMESPACE}::Prisoner, action == {BROWSE}, resource is {NAMESPACE}::Site)"

# Generic policies: exceptions and catalogue facts are attributes, so a prisoner's
# change never changes the policy set (and per-prisoner policies would cost ~1 µs each).
GENERIC_POLICIES = f"""
@id("catalogue:clearance")
forbid {_HEAD}
when {{ resource.min_clearance > principal.clearance }};

@id("catalogue:review-overdue")
forbid {_HEAD}
when {{ resource.review_overdue }};

@id("exception:forbid-site")
forbid {_HEAD}
when {{ principal.forbidden_sites.contains(resource.site_id) }};

@id("exception:forbid-category")
forbid {_HEAD}
when {{ principal.forbidden_categories.contains(resource.category) }};

@id("sanction:web")
forbid {_HEAD}
when {{ principal.sanctions.contains("web") && !principal.course_sites.contains(resource.site_id) }};

@id("sanction:web-category")
forbid {_HEAD}
when {{
  principal.sanctioned_categories.contains(resource.category)
  && !principal.course_sites.contains(resource.site_id)
}};

@id("sanction:device")
forbid {_HEAD}
when {{ principal.sanctions.contains("device") }};

@id("exception:allow-site")
permit {_HEAD}
when {{ principal.allowed_sites.contains(resource.site_id) }};

@id("exception:allow-category")
permit {_HEAD}
when {{ principal.allowed_categories.contains(resource.category) }};

@id("contact:approved")
permit (
  principal is {NAMESPACE}::Prisoner,
  action in [{", ".join(f'{NAMESPACE}::Action::"{a}"' for a in CONTACT_ACTIONS.values())}],
  resource is {NAMESPACE}::Contact
)
when {{ resource.approved }};

@id("restriction:ban")
forbid (
  principal is {NAMESPACE}::Prisoner,
  action in [{", ".join(f'{NAMESPACE}::Action::"{a}"' for a in CONTACT_ACTIONS.values())}],
  resource is {NAMESPACE}::Contact
)
when {{ resource.restrictions.contains("BAN") }};

@id("restriction:victim")
forbid (
  principal is {NAMESPACE}::Prisoner,
  action in [{", ".join(f'{NAMESPACE}::Action::"{a}"' for a in CONTACT_ACTIONS.values())}],
  resource is {NAMESPACE}::Contact
)
when {{ resource.victim && principal.alerts.contains("VICTIM") }};

@id("restriction:child-alert")
forbid (
  principal is {NAMESPACE}::Prisoner,
  action in [{", ".join(f'{NAMESPACE}::Action::"{a}"' for a in CONTACT_ACTIONS.values())}],
  resource is {NAMESPACE}::Contact
)
when {{ resource.child && principal.alerts.contains("CHILD") }};

@id("restriction:child-vetting")
forbid (
  principal is {NAMESPACE}::Prisoner,
  action in [{", ".join(f'{NAMESPACE}::Action::"{a}"' for a in CONTACT_ACTIONS.values())}],
  resource is {NAMESPACE}::Contact
)
when {{ resource.unvetted }};
""" + "".join(
    f"""
@id("sanction:{service}")
forbid (principal is {NAMESPACE}::Prisoner, action == {NAMESPACE}::Action::"{action}", resource is {NAMESPACE}::Contact)
when {{ principal.sanctions.contains("{service}") && !resource.legal }};
"""
    for service, action in CONTACT_ACTIONS.items()
)


@dataclass(frozen=True)
class RuleMeta:
    policy_id: str
    effect: str
    categories: frozenset[str] | None  # None: every category
    conditions: dict[str, Any]
    establishment: str | None
    windows: tuple[Window, ...] | None
    locations: frozenset[str] | None
    description: str


@dataclass(frozen=True)
class SiteMeta:
    site_id: str
    name: str
    category: str
    paths: tuple[str, ...]
    min_clearance: int
    review_by: dt.date | None
    ports: tuple[int, ...] = ()  # besides hosts.STANDARD_PORTS
    internal: bool = False  # may be on networks the gateway otherwise refuses
    https: str = "inspect"  # codes.Https: inspected, or passed through undecrypted


@dataclass
class PrisonerSlice:
    prison_number: str
    date_of_birth: dt.date
    attrs: dict[str, Any]  # static Cedar attributes (no dated facts)
    alerts: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    exceptions: list[tuple[str, str | None, str | None, dt.date, str]] = field(default_factory=list)
    sanctions: list[SanctionFact] = field(default_factory=list)
    courses: list[tuple[str, str]] = field(default_factory=list)  # (course id, class id or "")
    contacts: dict[str, ContactFact] = field(default_factory=dict)  # approved, by contact id


@dataclass(frozen=True)
class ContactFact:
    """An approved contact of the prisoner, with the restrictions on the pair."""

    link_id: int
    relationship: str
    legal: bool
    expires_on: dt.date | None
    victim: bool
    restrictions: tuple[tuple[str, dt.date, dt.date | None], ...]  # code, from, to (inclusive)
    born: dt.date | None = None
    escort_id: str | None = None  # a child's: the adult who added them

    def approved_on(self, day: dt.date) -> bool:
        return self.expires_on is None or day <= self.expires_on

    def restrictions_on(self, day: dt.date) -> list[str]:
        return sorted(
            {
                code
                for code, start, end in self.restrictions
                if start <= day and (end is None or day <= end)
            }
        )


@dataclass(frozen=True)
class SanctionFact:
    """A sanction with dates (in force, or to come): the clock decides when it applies."""

    sanction_id: int
    service: str
    categories: tuple[str, ...]  # web only; empty: the whole service
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str
    education: bool = False  # web: it stops the learner's courses' sites too

    def applies(self, at: dt.datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class CourseMeta:
    """A course's grant: which sites it opens, between which days, at which hours.

    Hours are by class (a learner's class is part of their enrolment): the class's
    timetable, and for in-cell and blended courses the establishment's in-cell study hours
    too; ``""`` is a learner with no class (in-cell study hours only)."""

    course_id: str
    title: str
    establishment: str
    sites: tuple[tuple[str, str], ...]  # (site id, category)
    starts_on: dt.date
    ends_on: dt.date
    hours: dict[str, tuple[Window, ...]] = field(default_factory=dict, hash=False)

    @property
    def policy_id(self) -> str:
        return f"course:{self.course_id}"

    def windows_for(self, class_id: str) -> tuple[Window, ...]:
        return self.hours.get(class_id) or ()

    def open_on(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass
class Snapshot:
    version: int
    cedar_text: str  # the whole policy set, for people to read
    policy_set: Any  # the whole policy set, compiled
    rules: dict[str, RuleMeta]
    sites: dict[str, SiteMeta]
    hosts: dict[str, list[str]]  # host pattern -> site ids
    categories: dict[str, str]  # code -> name
    prisoners: dict[str, PrisonerSlice]
    zone: ZoneInfo
    built_at: dt.datetime
    # Per establishment: only the policies that can apply to its prisoners (generic,
    # estate-wide and its own), since Cedar evaluates every policy in the set it is given.
    establishment_sets: dict[str, Any] = field(default_factory=dict)
    estate_set: Any = None
    hour_rules: dict[str | None, tuple[RuleMeta, ...]] = field(default_factory=dict)
    number_by_pk: dict[int, str] = field(default_factory=dict)
    courses: dict[str, CourseMeta] = field(default_factory=dict)
    # Answers that depend only on (establishment, minute): which rules are in their hours,
    # and when that next changes. Filled as decisions are made; new with every snapshot.
    clock_memo: dict[tuple[str | None, int], tuple[list[str], dt.datetime]] = field(
        default_factory=dict
    )

    def policy_set_for(self, establishment: str) -> Any:
        return self.establishment_sets.get(establishment, self.estate_set)

    def hour_rules_for(self, establishment: str) -> tuple[RuleMeta, ...]:
        return self.hour_rules.get(establishment, self.hour_rules.get(None, ()))


def build_snapshot() -> Snapshot:
    """Compile everything; validate every entity against the schema (ValueError if any fails)."""
    version = PolicyChange.objects.aggregate(v=Max("id"))["v"] or 0
    prisoners = {p.prison_number: p for p in _slices(Prisoner.objects.all())}
    _validate(prisoners.values(), [])
    return refresh_policy(None, version, prisoners=prisoners)


def refresh_policy(
    snapshot: Snapshot | None, version: int, *, prisoners: dict[str, PrisonerSlice] | None = None
) -> Snapshot:
    """Rules, catalogue and categories compiled afresh; prisoners' slices kept as they are.

    A rule or a site changing does not change any prisoner's attributes, so the costly
    part of a whole-estate compile (90,000 slices) is not redone for it.
    """
    rules = {
        rule.policy_id: _rule_meta(rule)
        for rule in AccessRule.objects.select_related("establishment")
    }
    cedar_text = GENERIC_POLICIES + "\n".join(rule_to_cedar(meta) for meta in rules.values())
    sites: dict[str, SiteMeta] = {}
    hosts: dict[str, list[str]] = defaultdict(list)
    for site in (
        Site.objects.select_related("category")
        .filter(retired_at__isnull=True)
        .exclude(approved_by="")
    ):
        site_meta = SiteMeta(
            site_id=str(site.pk),
            name=site.name,
            category=site.category.code,
            paths=tuple(site.paths or ()),
            min_clearance=int(site.min_clearance or 0),
            review_by=site.review_by,
            ports=tuple(site.ports or ()),
            internal=site.internal,
            https=site.https,
        )
        sites[site_meta.site_id] = site_meta
        for pattern in site.hosts:
            hosts[pattern].append(site_meta.site_id)
    _validate([], sites.values())
    courses = _courses(sites)
    cedar_text += "".join(course_to_cedar(meta) for meta in courses.values())
    estate_rules = [meta for meta in rules.values() if meta.establishment is None]
    own: dict[str, list[RuleMeta]] = defaultdict(list)
    for meta in rules.values():
        if meta.establishment is not None:
            own[meta.establishment].append(meta)
    # A course's grant is in its own establishment's set only: a learner who moves on
    # takes their record, not the old establishment's courses.
    own_courses: dict[str, list[CourseMeta]] = defaultdict(list)
    for course in courses.values():
        own_courses[course.establishment].append(course)
    estate_text = GENERIC_POLICIES + "\n".join(rule_to_cedar(meta) for meta in estate_rules)
    establishment_sets = {
        code: cedarpy.PolicySet.from_str(
            estate_text
            + "\n".join(rule_to_cedar(meta) for meta in own.get(code, ()))
            + "".join(course_to_cedar(meta) for meta in own_courses.get(code, ()))
        )
        for code in {*own, *own_courses}
    }
    hour_rules: dict[str | None, tuple[RuleMeta, ...]] = {
        None: tuple(meta for meta in estate_rules if meta.windows is not None)
    }
    for code, metas in own.items():
        hour_rules[code] = hour_rules[None] + tuple(
            meta for meta in metas if meta.windows is not None
        )
    if prisoners is None:
        if snapshot is None:
            raise ValueError("refresh_policy needs a snapshot or the prisoners' slices")
        prisoners = snapshot.prisoners
    return Snapshot(
        version=version,
        cedar_text=cedar_text,
        policy_set=cedarpy.PolicySet.from_str(cedar_text),
        rules=rules,
        sites=sites,
        hosts=dict(hosts),
        categories=dict(Category.objects.values_list("code", "name")),
        prisoners=prisoners,
        zone=ZoneInfo(str(settings.TIME_ZONE)),
        built_at=dt.datetime.now(dt.UTC),
        establishment_sets=establishment_sets,
        estate_set=cedarpy.PolicySet.from_str(estate_text),
        hour_rules=hour_rules,
        number_by_pk={s.attrs["_pk"]: number for number, s in prisoners.items()},
        courses=courses,
    )


def refresh_prisoners(snapshot: Snapshot, prisoner_ids: set[int], version: int) -> Snapshot:
    """The same snapshot with only these prisoners' slices rebuilt (incremental)."""
    fresh = {p.prison_number: p for p in _slices(Prisoner.objects.filter(pk__in=prisoner_ids))}
    _validate(fresh.values(), [])
    prisoners = dict(snapshot.prisoners)
    number_by_pk = dict(snapshot.number_by_pk)
    # A prisoner whose number changed, or who was removed: drop the old slice.
    for pk in prisoner_ids:
        old = number_by_pk.pop(pk, None)
        if old is not None:
            prisoners.pop(old, None)
    for number, slice_ in fresh.items():
        prisoners[number] = slice_
        number_by_pk[slice_.attrs["_pk"]] = number
    return Snapshot(
        **{
            **snapshot.__dict__,
            "prisoners": prisoners,
            "number_by_pk": number_by_pk,
            "version": version,
            "clock_memo": snapshot.clock_memo,  # the rules did not change
        }
    )


def rule_to_cedar(meta: RuleMeta) -> str:
    """One rule as Cedar text; shown to staff so a change can be reviewed line by line."""
    clauses: list[str] = []
    if meta.categories is not None:
        clauses.append(f"{_set(meta.categories)}.contains(resource.category)")
    if meta.establishment is not None:
        clauses.append(f"principal.establishment == {_str(meta.establishment)}")
    conditions = meta.conditions
    for key, attribute in (
        ("category", "security_category"),
        ("incentive_level", "incentive_level"),
        ("legal_status", "legal_status"),
        ("establishment", "establishment"),
    ):
        if key in conditions:
            clauses.append(f"{_set(conditions[key])}.contains(principal.{attribute})")
    if "alert" in conditions:
        clauses.append(f"principal.alerts.containsAny({_set(conditions['alert'])})")
    if "youth" in conditions:
        clauses.append(f"principal.youth == {'true' if conditions['youth'] else 'false'}")
    if meta.windows is not None:
        clauses.append(f"context.in_hours.contains({_str(meta.policy_id)})")
    if meta.locations is not None:
        clauses.append(f"{_set(meta.locations)}.contains(context.location)")
    verb = "permit" if meta.effect == Effect.ALLOW else "forbid"
    body = "\nwhen {\n  " + "\n  && ".join(clauses) + "\n}" if clauses else ""
    return f"@id({_str(meta.policy_id)})\n{verb} {_HEAD}{body};\n"


def course_to_cedar(meta: CourseMeta) -> str:
    """A course's grant: its sites, to the learners it is open to at the moment asked about
    (``principal.courses``: enrolled, within the course's dates and their hours)."""
    if not meta.sites:
        return ""
    sites = _set(site_id for site_id, _category in meta.sites)
    return (
        f"@id({_str(meta.policy_id)})\npermit {_HEAD}\nwhen {{\n"
        f"  principal.courses.contains({_str(meta.course_id)})\n"
        f"  && {sites}.contains(resource.site_id)\n}};\n"
    )


def courses_open(
    slice_: PrisonerSlice, courses: dict[str, CourseMeta], at: dt.datetime, zone: ZoneInfo
) -> list[CourseMeta]:
    """The learner's courses open to them at ``at``: in its dates and in their hours."""
    if not slice_.courses:
        return []
    day = at.astimezone(zone).date()
    here = slice_.attrs["establishment"]
    found = []
    for course_id, class_id in slice_.courses:
        meta = courses.get(course_id)
        # Only the learner's own establishment's courses: one elsewhere opens nothing, and
        # leaves none of this establishment's sanctions aside (fail closed).
        if meta is None or meta.establishment != here or not meta.open_on(day):
            continue
        if is_open(meta.windows_for(class_id), at, zone):
            found.append(meta)
    return found


def next_course_edge(
    slice_: PrisonerSlice, courses: dict[str, CourseMeta], at: dt.datetime, zone: ZoneInfo
) -> dt.datetime | None:
    """When one of the learner's courses next opens or closes to them after ``at`` (their
    hours; the days' edges are midnights, which every answer already stops at)."""
    edges = [
        next_change(windows, at, zone)
        for course_id, class_id in slice_.courses
        if (meta := courses.get(course_id)) is not None and (windows := meta.windows_for(class_id))
    ]
    return min(edges, default=None)


def principal_at(
    slice_: PrisonerSlice, at: dt.datetime, courses: dict[str, CourseMeta], zone: ZoneInfo
) -> dict[str, Any]:
    """The prisoner's entity at the moment ``at``, with their courses open then."""
    return prisoner_entity(slice_, at.astimezone(zone).date(), at, courses=courses, zone=zone)


def prisoner_entity(
    slice_: PrisonerSlice,
    day: dt.date,
    at: dt.datetime | None = None,
    *,
    courses: dict[str, CourseMeta] | None = None,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """The prisoner's Cedar entity as it stands on ``day`` (alerts and exceptions in force)
    and at the moment ``at`` (sanctions in force; none when ``at`` is not given; and, given
    the snapshot's ``courses`` and ``zone``, the courses open to them)."""
    attrs = {key: value for key, value in slice_.attrs.items() if not key.startswith("_")}
    attrs["youth"] = _age(slice_.date_of_birth, day) < 18
    attrs["alerts"] = sorted(
        {code for code, start, end in slice_.alerts if start <= day and (end is None or end > day)}
    )
    groups: dict[str, set[str]] = {
        "allowed_sites": set(),
        "forbidden_sites": set(),
        "allowed_categories": set(),
        "forbidden_categories": set(),
    }
    for effect, site_id, category, until, _reason in slice_.exceptions:
        if day > until:
            continue
        verb = "allowed" if effect == Effect.ALLOW else "forbidden"
        if site_id is not None:
            groups[f"{verb}_sites"].add(site_id)
        elif category is not None:
            groups[f"{verb}_categories"].add(category)
    attrs.update({key: sorted(values) for key, values in groups.items()})
    services: set[str] = set()
    categories: set[str] = set()
    # What sanctions that say so take from education: every course site (None), or those
    # of some categories.
    education_stopped: set[str] | None = set()
    if at is not None:
        for sanction in slice_.sanctions:
            if not sanction.applies(at):
                continue
            if sanction.categories:
                categories.update(sanction.categories)
            else:
                services.add(sanction.service)
            if sanction.education and education_stopped is not None:
                if sanction.categories:
                    education_stopped.update(sanction.categories)
                else:
                    education_stopped = None
    attrs["sanctions"] = sorted(services)
    attrs["sanctioned_categories"] = sorted(categories)
    open_courses = (
        courses_open(slice_, courses, at, zone)
        if at is not None and courses is not None and zone is not None
        else []
    )
    attrs["courses"] = sorted(meta.course_id for meta in open_courses)
    attrs["course_sites"] = (
        []
        if education_stopped is None
        else sorted(
            {
                site_id
                for meta in open_courses
                for site_id, category in meta.sites
                if category not in education_stopped
            }
        )
    )
    return {
        "uid": {"type": f"{NAMESPACE}::Prisoner", "id": slice_.prison_number},
        "attrs": attrs,
        "parents": [],
    }


def next_sanction_edge(slice_: PrisonerSlice, at: dt.datetime) -> dt.datetime | None:
    """When one of the prisoner's sanctions next starts or ends after ``at``, if ever."""
    edges = [
        edge
        for sanction in slice_.sanctions
        for edge in (sanction.starts_at, sanction.ends_at)
        if edge > at
    ]
    return min(edges, default=None)


def contact_entity(
    fact: ContactFact | None,
    contact_id: str,
    day: dt.date,
    escort: ContactFact | None = None,
) -> dict[str, Any]:
    """The contact as the prisoner's list has them on ``day`` (not on it: not approved).

    A child (under 18 that day) is unvetted while a CHILD restriction ("child visitors to
    be vetted") is in force on their own pair or on the pair of ``escort``, the adult who
    added them (staff end the restriction once they have vetted the child), or while that
    adult is not an approved contact of the prisoner (fail closed)."""
    restrictions = fact.restrictions_on(day) if fact is not None else []
    child = fact is not None and fact.born is not None and _age(fact.born, day) < ADULT_AGE
    escort_restrictions = escort.restrictions_on(day) if escort is not None else []
    if fact is not None and fact.escort_id is not None and escort is None:
        escort_restrictions = ["CHILD"]  # added by an adult no longer on the list: not vetted
    return {
        "uid": {"type": f"{NAMESPACE}::Contact", "id": contact_id},
        "attrs": {
            "contact_id": contact_id,
            "approved": fact is not None and fact.approved_on(day),
            "legal": fact is not None and fact.legal,
            "restrictions": restrictions,
            "victim": fact is not None and fact.victim,
            "child": child,
            "unvetted": child and "CHILD" in {*restrictions, *escort_restrictions},
        },
        "parents": [],
    }


def site_entity(site: SiteMeta, day: dt.date) -> dict[str, Any]:
    return {
        "uid": {"type": f"{NAMESPACE}::Site", "id": site.site_id},
        "attrs": {
            "site_id": site.site_id,
            "category": site.category,
            "min_clearance": site.min_clearance,
            "review_overdue": site.review_by is not None and day > site.review_by,
        },
        "parents": [],
    }


# --- internals ---------------------------------------------------------------------------


def _rule_meta(rule: AccessRule) -> RuleMeta:
    categories = None if rule.categories == [ALL] else frozenset(rule.categories)
    return RuleMeta(
        policy_id=rule.policy_id,
        effect=rule.effect,
        categories=categories,
        conditions=dict(rule.conditions or {}),
        establishment=rule.establishment.code if rule.establishment is not None else None,
        windows=parse_hours(rule.hours) if rule.hours else None,
        locations=frozenset(rule.locations) if rule.locations else None,
        description=rule.description,
    )


def _slices(prisoners: Any) -> list[PrisonerSlice]:
    rows = list(
        prisoners.select_related("establishment").values_list(
            "pk",
            "prison_number",
            "date_of_birth",
            "security_category",
            "incentive_level",
            "legal_status",
            "establishment__code",
        )
    )
    by_pk: dict[int, PrisonerSlice] = {}
    for pk, number, born, category, level, status, establishment in rows:
        by_pk[pk] = PrisonerSlice(
            prison_number=number,
            date_of_birth=born,
            attrs={
                "_pk": pk,
                "security_category": category,
                "incentive_level": level,
                "legal_status": status,
                "establishment": establishment,
                "clearance": int(CLEARANCE_OF.get(category, 0)),
            },
        )
    ids = list(by_pk)
    now = timezone.now()
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        for prisoner_id, code, start, end in PrisonerAlert.objects.filter(
            prisoner_id__in=chunk
        ).values_list("prisoner_id", "code__code", "starts_on", "ends_on"):
            by_pk[prisoner_id].alerts.append((code, start, end))
        exceptions = PrisonerException.objects.filter(
            prisoner_id__in=chunk, revoked_at__isnull=True
        )
        for prisoner_id, effect, site_id, category, until, reason in exceptions.values_list(
            "prisoner_id", "effect", "site_id", "category__code", "until", "reason"
        ):
            by_pk[prisoner_id].exceptions.append(
                (effect, str(site_id) if site_id else None, category, until, reason)
            )
        for sanction_id, prisoner_id, service, codes, starts, ends, reason, education in (
            Sanction.objects.filter(
                prisoner_id__in=chunk,
                quashed_at__isnull=True,
                ends_at__gt=now,
                service__in=ENFORCED_SERVICES,
            )
            .order_by("starts_at", "pk")
            .values_list(
                "pk",
                "prisoner_id",
                "service",
                "categories",
                "starts_at",
                "ends_at",
                "reason",
                "includes_education",
            )
        ):
            if starts is None or ends is None:  # a suspended sanction has no dates yet
                continue
            by_pk[prisoner_id].sanctions.append(
                SanctionFact(
                    sanction_id, service, tuple(codes or ()), starts, ends, reason, education
                )
            )
        for prisoner_id, course_id, class_id in (
            Enrolment.objects.filter(prisoner_id__in=chunk, status=EnrolmentStatus.ENROLLED)
            .order_by("pk")
            .values_list("prisoner_id", "course_id", "course_class_id")
        ):
            by_pk[prisoner_id].courses.append((str(course_id), str(class_id or "")))
        _add_contacts(by_pk, chunk)
    return list(by_pk.values())


def _courses(sites: dict[str, SiteMeta]) -> dict[str, CourseMeta]:
    """Courses that can still open anything (not cancelled, not over), with their hours.

    Only approved catalogue sites are opened (a course naming a site that is retired or
    not yet approved opens nothing there); hours that cannot be read open nothing."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    found: dict[str, CourseMeta] = {}
    courses = (
        Course.objects.filter(cancelled_at__isnull=True, ends_on__gte=yesterday)
        .select_related("establishment")
        .prefetch_related("classes", "sites")
    )
    for course in courses:
        study: tuple[Window, ...] = ()
        if course.mode in STUDY_IN_CELL:
            study = _hours_or_none(course.establishment.study_hours)
        hours: dict[str, tuple[Window, ...]] = {"": study}
        for course_class in course.classes.all():
            hours[str(course_class.pk)] = _hours_or_none(course_class.timetable) + study
        found[str(course.pk)] = CourseMeta(
            course_id=str(course.pk),
            title=course.title,
            establishment=course.establishment.code,
            sites=tuple(
                sorted(
                    (str(site.pk), sites[str(site.pk)].category)
                    for site in course.sites.all()
                    if str(site.pk) in sites
                )
            ),
            starts_on=course.starts_on,
            ends_on=course.ends_on,
            hours=hours,
        )
    return found


def _hours_or_none(text: str) -> tuple[Window, ...]:
    try:
        return parse_hours(text) if text.strip() else ()
    except HoursError:
        return ()  # fail closed: hours that cannot be read open nothing


def _add_contacts(by_pk: dict[int, PrisonerSlice], chunk: list[int]) -> None:
    """Approved links (an expired one is decided from the clock) and their restrictions."""
    links = ContactLink.objects.filter(prisoner_id__in=chunk, status=LinkStatus.APPROVED)
    restrictions: dict[int, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
    for link_id, code, start, end in ContactRestriction.objects.filter(
        link__in=links, ended_at__isnull=True
    ).values_list("link_id", "code", "starts_on", "ends_on"):
        restrictions[link_id].append((code, start, end))
    for (
        link_id,
        prisoner_id,
        contact_id,
        relationship,
        expires,
        victim,
        born,
        escort_id,
    ) in links.values_list(
        "pk",
        "prisoner_id",
        "contact_id",
        "relationship",
        "expires_on",
        "victim",
        "contact__date_of_birth",
        "contact__added_by_id",
    ):
        by_pk[prisoner_id].contacts[str(contact_id)] = ContactFact(
            link_id,
            relationship,
            relationship in LEGAL,
            expires,
            victim,
            tuple(restrictions.get(link_id, ())),
            born,
            str(escort_id) if escort_id is not None else None,
        )


def _validate(prisoners: Any, sites: Any) -> None:
    """Every entity must fit the schema: a missing attribute would make a forbid error and be skipped."""
    today = timezone.localdate()
    entities = [prisoner_entity(p, today) for p in prisoners] + [
        site_entity(s, today) for s in sites
    ]
    # In chunks: Cedar's parse of 100,000 entities at once costs half a gigabyte.
    for start in range(0, len(entities), VALIDATE_CHUNK):
        chunk = entities[start : start + VALIDATE_CHUNK]
        cedarpy.Entities.from_json_str(json.dumps(chunk), schema=SCHEMA)


def _age(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _str(value: str) -> str:
    return json.dumps(value)


def _set(values: Any) -> str:
    return "[" + ", ".join(_str(v) for v in sorted(values)) + "]"

"""What one prisoner may use, category by category: the portal's "What I can use" page.

Every answer here comes from ``engine.evaluate``, the same evaluation the gateway asks
for, on the same snapshot, so the page cannot call a site open that the gateway would
block, or the other way round. A site is evaluated once with no location, which is the
answer for every place no rule names, and once for each location kind that a rule for
its category names. When it is not open now, the moments its rules' hours next open are
evaluated in turn, so "opens at 08:00" is also the engine's answer and not a guess.

Pure: a snapshot in, dataclasses out; no database.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from wicketgate.policy.codes import Effect
from wicketgate.policy.compiler import SiteMeta, Snapshot, principal_at
from wicketgate.policy.engine import Decision, UnknownPrisoner, evaluate, rule_matches
from wicketgate.policy.hours import describe, is_open, next_change

# How far ahead, and how many of the moments its hours open, are tried for "opens at".
LOOK_AHEAD = dt.timedelta(days=7)
MAX_OPENINGS = 16
EDGES_PER_RULE = 200


class Status(enum.StrEnum):
    OPEN = "open"  # allowed now: from anywhere, or from some places
    LATER = "later"  # not now, but allowed when its rules' hours next change, this week
    CLOSED = "closed"  # the clock will not open it: a forbid, clearance, exception, no grant


@dataclass(frozen=True)
class Grant:
    """An allow rule that applies to the prisoner: when and from where it opens a category."""

    rule: str
    hours: str  # as hours.describe words it; "" for any time
    places: tuple[str, ...]  # location kinds; empty for anywhere
    description: str


@dataclass(frozen=True)
class SiteAccess:
    site_id: str
    name: str
    addresses: tuple[str, ...]  # what to type: host and path, e.g. www.open.edu/openlearn/
    status: Status
    decision: Decision  # the engine's answer at the time asked, from a place no rule names
    named: frozenset[str]  # the location kinds rules for its category name
    open_from: frozenset[str]  # those of them it is open from now
    opens_at: dt.datetime | None = None  # LATER: when it next opens …
    opens_from: tuple[str, ...] = ()  # … and, if only from some places, which

    @property
    def typed_addresses(self) -> tuple[str, ...]:
        """The addresses a person can type: those on exact hosts (a wildcard's, if none)."""
        return tuple(a for a in self.addresses if not a.startswith("*.")) or self.addresses

    def allows_from(self, location: str | None) -> bool:
        """Whether it is open now from ``location`` (a location kind, or None)."""
        if location is not None and location in self.named:
            return location in self.open_from
        return self.decision.allowed

    @property
    def only_from(self) -> tuple[str, ...]:
        """Open now, but not from everywhere: only from these places."""
        return () if self.decision.allowed else tuple(sorted(self.open_from))

    @property
    def not_from(self) -> tuple[str, ...]:
        """Open now from most places, but not from these."""
        return tuple(sorted(self.named - self.open_from)) if self.decision.allowed else ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why it is not open now, in the engine's words."""
        return () if self.status == Status.OPEN else self.decision.reasons

    @property
    def given_to_you(self) -> tuple[str, ...]:
        """Open because staff made an exception for this prisoner: the engine's words for it."""
        if not self.decision.allowed:
            return ()
        return tuple(
            reason
            for rule, reason in zip(self.decision.rules, self.decision.reasons, strict=True)
            if rule.startswith("exception:")
        )


@dataclass(frozen=True)
class CategoryAccess:
    code: str
    name: str
    grants: tuple[Grant, ...]
    sites: tuple[SiteAccess, ...]

    @property
    def status(self) -> Status:
        """The best of its sites' answers."""
        statuses = {site.status for site in self.sites}
        return next(s for s in (Status.OPEN, Status.LATER, Status.CLOSED) if s in statuses)

    @property
    def open_sites(self) -> tuple[SiteAccess, ...]:
        return tuple(site for site in self.sites if site.status == Status.OPEN)

    @property
    def later_sites(self) -> tuple[SiteAccess, ...]:
        return tuple(site for site in self.sites if site.status == Status.LATER)

    @property
    def closed_sites(self) -> tuple[SiteAccess, ...]:
        return tuple(site for site in self.sites if site.status == Status.CLOSED)

    @property
    def opens_at(self) -> dt.datetime | None:
        return min((s.opens_at for s in self.later_sites if s.opens_at), default=None)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the sites that are closed to the prisoner are closed, each reason once."""
        return tuple(dict.fromkeys(r for site in self.closed_sites for r in site.reasons))


def what_i_can_use(snap: Snapshot, prison_number: str, at: dt.datetime) -> list[CategoryAccess]:
    """Every catalogue site, by category (in name order), as the engine decides it at ``at``.

    Raises UnknownPrisoner if the prisoner is not in the snapshot.
    """
    number = prison_number.strip().upper()
    if number not in snap.prisoners:
        raise UnknownPrisoner(f"no prisoner {prison_number!r}")
    principal = principal_at(snap.prisoners[number], at, snap.courses, snap.zone)
    addresses = _addresses(snap)
    by_category: dict[str, list[SiteMeta]] = defaultdict(list)
    for site in snap.sites.values():
        by_category[site.category].append(site)
    result = []
    for code, sites in by_category.items():
        named = _named_places(snap, code)
        result.append(
            CategoryAccess(
                code=code,
                name=snap.categories.get(code, code.replace("_", " ").title()),
                grants=_grants(snap, principal, code),
                sites=tuple(
                    _site_access(snap, number, site, at, named, addresses.get(site.site_id, ()))
                    for site in sorted(sites, key=lambda s: s.name.casefold())
                ),
            )
        )
    return sorted(result, key=lambda c: c.name.casefold())


# --- internals ---------------------------------------------------------------------------


def _site_access(
    snap: Snapshot,
    number: str,
    site: SiteMeta,
    at: dt.datetime,
    named: frozenset[str],
    addresses: tuple[str, ...],
) -> SiteAccess:
    decision = evaluate(snap, number, site, at, None)
    open_from = frozenset(
        place for place in named if evaluate(snap, number, site, at, place).allowed
    )
    status = Status.OPEN if decision.allowed or open_from else Status.CLOSED
    opens_at: dt.datetime | None = None
    opens_from: tuple[str, ...] = ()
    if status == Status.CLOSED and _hours_may_open(snap, decision):
        for moment in _openings(snap, site.category, at):
            if evaluate(snap, number, site, moment, None).allowed:
                status, opens_at = Status.LATER, moment
                break
            places = tuple(
                sorted(p for p in named if evaluate(snap, number, site, moment, p).allowed)
            )
            if places:
                status, opens_at, opens_from = Status.LATER, moment, places
                break
    return SiteAccess(
        site_id=site.site_id,
        name=site.name,
        addresses=addresses,
        status=status,
        decision=decision,
        named=named,
        open_from=open_from,
        opens_at=opens_at,
        opens_from=opens_from,
    )


def _hours_may_open(snap: Snapshot, decision: Decision) -> bool:
    """Could the clock alone change this denial? Only if nothing forbade it, or a forbid
    that did has hours. (A forbid without hours, clearance or an exception stays put.)"""
    forbids = [rule for rule in decision.rules if not rule.startswith("default:")]
    return all(rule in snap.rules and snap.rules[rule].windows is not None for rule in forbids)


def _openings(snap: Snapshot, category: str, at: dt.datetime) -> list[dt.datetime]:
    """The moments in the next week when the hours of a rule for ``category`` change,
    soonest first: the only moments by the clock at which a denial can turn into an allow.
    """
    end = at + LOOK_AHEAD
    moments: set[dt.datetime] = set()
    for rule in snap.rules.values():
        if rule.windows is None or not _names_category(rule.categories, category):
            continue
        moment = at
        for _edge in range(EDGES_PER_RULE):  # a bound, should hours ever be pathological
            moment = next_change(rule.windows, moment, snap.zone)
            if moment > end:
                break
            # An allow matters when it opens, a forbid when it closes.
            if is_open(rule.windows, moment, snap.zone) == (rule.effect == Effect.ALLOW):
                moments.add(moment)
    return sorted(moments)[:MAX_OPENINGS]


def _grants(snap: Snapshot, principal: dict[str, Any], category: str) -> tuple[Grant, ...]:
    grants = [
        Grant(
            rule=rule.policy_id,
            hours=describe(rule.windows) if rule.windows else "",
            places=tuple(sorted(rule.locations or ())),
            description=rule.description,
        )
        for rule in snap.rules.values()
        if rule.effect == Effect.ALLOW and rule_matches(rule, principal, category)
    ]
    return tuple(sorted(grants, key=lambda g: (g.hours != "", g.places != (), g.rule)))


def _named_places(snap: Snapshot, category: str) -> frozenset[str]:
    """Every location kind a rule for ``category`` names, whoever it is for (a superset,
    so that no place where the answer differs is left out)."""
    return frozenset(
        place
        for rule in snap.rules.values()
        if rule.locations is not None and _names_category(rule.categories, category)
        for place in rule.locations
    )


def _names_category(categories: frozenset[str] | None, category: str) -> bool:
    return categories is None or category in categories


def _addresses(snap: Snapshot) -> dict[str, tuple[str, ...]]:
    """Each site's hosts and paths as a person would type them (exact hosts first)."""
    hosts: dict[str, list[str]] = defaultdict(list)
    for pattern, site_ids in snap.hosts.items():
        for site_id in site_ids:
            hosts[site_id].append(pattern)
    result = {}
    for site_id, patterns in hosts.items():
        ordered = sorted(patterns, key=lambda p: (p.startswith("*."), p))
        paths = snap.sites[site_id].paths or ("",)
        result[site_id] = tuple(f"{host}{path}" for host in ordered for path in paths)
    return result

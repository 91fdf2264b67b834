"""``decide``: the one question every enforcement point asks.

Given a prisoner, a resource, a time and a location, the answer is allow or deny, the
ids of the rules that made it, reasons in plain words for the prisoner, and the
obligations that go with it. Deny by default; any Cedar evaluation error is a deny.
The engine follows the policy version: it recompiles only the prisoners who changed
when that is all that changed, and everything when anything else did.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cedarpy
from django.db.models import Count, Max
from django.utils import timezone

from wicketgate.policy.codes import Clearance, Effect, Https
from wicketgate.policy.compiler import (
    BROWSE,
    CONTACT_ACTIONS,
    NAMESPACE,
    RuleMeta,
    SanctionFact,
    SiteMeta,
    Snapshot,
    build_snapshot,
    contact_entity,
    next_course_edge,
    next_sanction_edge,
    principal_at,
    prisoner_entity,
    refresh_policy,
    refresh_prisoners,
    site_entity,
)
from wicketgate.policy.hosts import (
    STANDARD_PORTS,
    WebResource,
    host_candidates,
    normalise_host,
    parse_url,
    path_matches,
)
from wicketgate.policy.hours import describe, is_open, next_change
from wicketgate.policy.models import PolicyChange

NOT_LISTED = "catalogue:not-listed"
NEEDS_PATH = "catalogue:needs-path"
WRONG_PORT = "catalogue:port"
DOT_SEGMENTS = "catalogue:dot-segments"
NO_GRANT = "default:deny"
EVALUATION_ERROR = "engine:evaluation-error"
NOT_APPROVED = "contact:not-approved"
LEGAL_EXEMPT = "sanction:legal-exempt"  # a sanction in force that does not reach legal contact
EDUCATION_EXEMPT = "sanction:education-exempt"  # a web sanction that leaves a course's sites open
LOOK_BACK = 1000  # change ids re-read behind the current version


class UnknownPrisoner(LookupError):
    """No prisoner with that prison number is in the snapshot."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rules: tuple[str, ...]
    reasons: tuple[str, ...]
    obligations: dict[str, Any] = field(default_factory=dict)
    site: str | None = None
    category: str | None = None
    version: int = 0
    decided_at: dt.datetime = field(kw_only=True)  # the answer holds from here …
    valid_until: dt.datetime = field(kw_only=True)  # … to here, unless the policy version moves

    def as_json(self) -> dict[str, Any]:
        return {
            "decision": "allow" if self.allowed else "deny",
            "rules": list(self.rules),
            "reasons": list(self.reasons),
            "obligations": self.obligations,
            "site": self.site,
            "category": self.category,
            "policy_version": self.version,
        }


class Engine:
    """A snapshot, kept fresh, and a cache of decisions keyed on what they depend on."""

    def __init__(self, *, refresh_every: float = 0.5, cache_size: int = 200_000) -> None:
        self.refresh_every = refresh_every
        self.cache_size = cache_size
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        # (prison number, url, location) -> decision, and each prisoner's keys, so that one
        # prisoner's change drops only their answers.
        self._cache: dict[tuple[str, str, str | None], Decision] = {}
        self._keys_of: dict[str, list[tuple[str, str, str | None]]] = {}
        # Cedar's answer depends on the prisoner's attributes, not on who they are: people
        # with the same profile on the same day share answers (site, location and hours
        # being equal). A prisoner with exceptions of their own has a profile of their own.
        self._shared: dict[tuple[Any, ...], Decision] = {}
        self._profile_of: dict[tuple[str, dt.date], tuple[Any, ...]] = {}
        self._seen: set[int] = set()
        self._window_signature: tuple[Any, ...] | None = None

    # --- freshness -------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        if self._snapshot is None or now - self._checked >= self.refresh_every:
            with self._lock:
                self._refresh()
                self._checked = now
        if self._snapshot is None:  # pragma: no cover - _refresh always builds one
            raise RuntimeError("no policy snapshot")
        return self._snapshot

    def refresh(self) -> None:
        """Take in policy changes now (an enforcement point's own poller calls this)."""
        with self._lock:
            self._refresh()
            self._checked = time.monotonic()

    def _refresh(self) -> None:
        current = self._snapshot
        if current is None:
            self._snapshot = build_snapshot()
            self._seen = set(
                PolicyChange.objects.filter(id__gt=self._snapshot.version - LOOK_BACK).values_list(
                    "id", flat=True
                )
            )
            self._forget_all()
            return
        # Look a little behind the version too: on PostgreSQL a change can commit after a
        # later-numbered one, and must not be missed because its id is lower. A count and
        # a maximum over that window tell, in one row, whether anything arrived at all.
        window = PolicyChange.objects.filter(id__gt=current.version - LOOK_BACK)
        signature = tuple(window.aggregate(n=Count("id"), top=Max("id")).values())
        if signature == self._window_signature:
            return
        self._window_signature = signature
        changes = [
            change
            for change in PolicyChange.objects.filter(
                id__gt=current.version - LOOK_BACK
            ).values_list("id", "kind", "key")
            if change[0] not in self._seen
        ]
        if not changes:
            return
        version = max(current.version, *(change[0] for change in changes))
        prisoner_ids = {
            int(key) for _id, kind, key in changes if kind == PolicyChange.Kind.PRISONER
        }
        snapshot = current
        if any(kind == PolicyChange.Kind.POLICY for _id, kind, _key in changes):
            snapshot = refresh_policy(snapshot, version)
        if prisoner_ids:
            snapshot = refresh_prisoners(snapshot, prisoner_ids, version)
        self._snapshot = snapshot
        self._seen.update(change[0] for change in changes)
        self._seen = {seen for seen in self._seen if seen > version - LOOK_BACK}
        if snapshot.rules is not current.rules:  # the policy itself changed: nothing holds
            self._forget_all()
        else:
            for pk in prisoner_ids:
                for number in {current.number_by_pk.get(pk), snapshot.number_by_pk.get(pk)}:
                    if number is not None:
                        for key in self._keys_of.pop(number, ()):
                            self._cache.pop(key, None)
                        for profile_key in [k for k in self._profile_of if k[0] == number]:
                            del self._profile_of[profile_key]

    def _forget_all(self) -> None:
        self._cache.clear()
        self._keys_of.clear()
        self._shared.clear()
        self._profile_of.clear()

    @property
    def cached(self) -> int:
        """How many answers are held."""
        return len(self._cache)

    # --- deciding ----------------------------------------------------------------------

    def decide(
        self,
        prison_number: str,
        url: str,
        *,
        at: dt.datetime | None = None,
        location: str | None = None,
    ) -> Decision:
        """Raises UnknownPrisoner or hosts.BadResource for bad input; never allows on error."""
        if self._snapshot is None or time.monotonic() - self._checked >= self.refresh_every:
            self.snapshot()
        moment = at or timezone.now()
        # The fast path, taken by nearly every request: a dict lookup and a time check.
        hit = self._cache.get((prison_number, url, location))
        if hit is not None and hit.decided_at <= moment < hit.valid_until:
            return hit
        snap = self.snapshot()
        number = prison_number.strip().upper()
        if number not in snap.prisoners:
            raise UnknownPrisoner(f"no prisoner {prison_number!r}")
        resource = parse_url(url)
        site, rule = _match_site(snap, resource)
        if site is None:
            decision = _deny_unlisted(snap, resource, rule, moment)
        elif resource.port not in site_ports(site):
            decision = _deny_port(snap, resource, site, moment)
        elif resource.dotted and _paths_on_host(snap, resource.host):
            decision = _deny_dotted(snap, site, moment)
        else:
            decision = self._evaluate_shared(snap, number, site, moment, location)
        if len(self._cache) >= self.cache_size:
            self._forget_all()
        key = (number, url, location)
        if key not in self._cache:
            self._keys_of.setdefault(number, []).append(key)
        self._cache[key] = decision
        return decision

    def decide_contact(
        self,
        prison_number: str,
        channel: str,
        contact_id: str,
        *,
        at: dt.datetime | None = None,
    ) -> Decision:
        """May the prisoner reach this contact by ``channel`` (video, phone, messages)?

        The question video calls, phone calls and messages ask (one Cedar action each,
        ``compiler.CONTACT_ACTIONS``), on the prisoner's approved contacts in the snapshot.
        Restrictions (a ban; a victim while a victim no-contact alert is in force) and
        sanctions on the channel forbid it; a sanction never reaches a legal contact, and
        then the decision says so. Raises UnknownPrisoner, or ValueError for an unknown
        channel.
        """
        if channel not in CONTACT_ACTIONS:
            raise ValueError(f"channel {channel!r}: expected one of {', '.join(CONTACT_ACTIONS)}")
        snap = self.snapshot()
        number = prison_number.strip().upper()
        if number not in snap.prisoners:
            raise UnknownPrisoner(f"no prisoner {prison_number!r}")
        return evaluate_contact(snap, number, channel, str(contact_id), at=at or timezone.now())

    def passed_through(self, host: str) -> bool:
        """Whether a TLS connection to ``host`` is passed through undecrypted: only when every
        catalogue site on it says so (one inspected site on the host, and the connection
        is inspected, or its paths could not be held to). Raises hosts.BadResource."""
        snap = self.snapshot()
        name = normalise_host(host)
        handling = {
            snap.sites[site_id].https
            for pattern in host_candidates(name)
            for site_id in snap.hosts.get(pattern, ())
        }
        return handling == {Https.PASS_THROUGH}

    def internal_host(self, host: str) -> bool:
        """Whether ``host`` is a host of a catalogue site marked as an internal service, which
        may be on the networks the gateway otherwise refuses to connect to. (Whether a
        prisoner may reach it is ``decide``'s question.) Raises hosts.BadResource."""
        snap = self.snapshot()
        name = normalise_host(host)
        return any(
            snap.sites[site_id].internal
            for pattern in host_candidates(name)
            for site_id in snap.hosts.get(pattern, ())
        )

    def _evaluate_shared(
        self, snap: Snapshot, number: str, site: SiteMeta, at: dt.datetime, location: str | None
    ) -> Decision:
        slice_ = snap.prisoners[number]
        day = at.astimezone(snap.zone).date()
        profile = self._profile_of.get((number, day))
        if profile is None:
            profile = _profile(slice_, day)
            if len(self._profile_of) >= self.cache_size:
                self._profile_of.clear()
            self._profile_of[(number, day)] = profile
        in_hours, _edge = _clock(snap, slice_.attrs["establishment"], at)
        key = (profile, site.site_id, location, tuple(in_hours))
        hit = self._shared.get(key)
        if hit is not None and hit.decided_at <= at < hit.valid_until:
            return hit
        decision = evaluate(snap, number, site, at, location)
        if len(self._shared) >= self.cache_size:
            self._shared.clear()
        self._shared[key] = decision
        return decision


def _profile(slice_: Any, day: dt.date) -> tuple[Any, ...]:
    """What a decision for this prisoner on ``day`` depends on, as a hashable key.

    Someone with exceptions or sanctions has a profile of their own (they show in the
    reasons), which also holds what they are, so that a changed exception or a new
    sanction is a new profile and never meets an answer given before it.
    """
    attrs = prisoner_entity(slice_, day)["attrs"]
    profile = tuple(
        (name, tuple(value) if isinstance(value, list) else value)
        for name, value in sorted(attrs.items())
    )
    if slice_.exceptions or slice_.sanctions or slice_.courses:
        # A learner's courses open and close with their hours: theirs alone.
        return (
            "prisoner",
            slice_.prison_number,
            profile,
            *slice_.exceptions,
            *slice_.sanctions,
            *slice_.courses,
        )
    return profile


def evaluate(
    snap: Snapshot, number: str, site: SiteMeta, at: dt.datetime, location: str | None
) -> Decision:
    """One uncached Cedar evaluation of the prisoner's slice against one site."""
    day = at.astimezone(snap.zone).date()
    slice_ = snap.prisoners[number]
    principal = principal_at(slice_, at, snap.courses, snap.zone)
    establishment = slice_.attrs["establishment"]
    in_hours, next_edge = _clock(snap, establishment, at)
    # A sanction starting or ending is an edge too, and so is a course opening or closing
    # to the learner: the answer is decided afresh then.
    for edge in (
        next_sanction_edge(slice_, at),
        next_course_edge(slice_, snap.courses, at, snap.zone),
    ):
        if edge is not None and edge < next_edge:
            next_edge = edge
    request = {
        "principal": {"type": f"{NAMESPACE}::Prisoner", "id": number},
        "action": BROWSE,
        "resource": {"type": f"{NAMESPACE}::Site", "id": site.site_id},
        "context": {"location": location or "", "in_hours": in_hours},
    }
    result = cedarpy.is_authorized(
        request, snap.policy_set_for(establishment), [principal, site_entity(site, day)]
    )
    valid_until = next_edge

    def made(allowed: bool, rules: tuple[str, ...], reasons: tuple[str, ...]) -> Decision:
        return Decision(
            allowed,
            rules,
            reasons,
            {"log": "request"},
            site=site.name,
            category=site.category,
            version=snap.version,
            decided_at=at,
            valid_until=valid_until,
        )

    if result.diagnostics.errors:
        # A forbid whose condition errs is skipped by Cedar: never let that become an allow.
        return made(
            False, (EVALUATION_ERROR,), ("This cannot be checked right now, so it is not allowed.",)
        )
    ids = tuple(sorted(result.diagnostics.id_annotations_by_reason.values()))
    if result.allowed:
        reasons = [_allow_reason(snap, rule_id, site, slice_, day) for rule_id in ids]
        attrs = principal["attrs"]
        web_stopped = "web" in attrs["sanctions"] or site.category in attrs["sanctioned_categories"]
        if web_stopped and site.site_id in attrs["course_sites"]:
            ids = (*ids, EDUCATION_EXEMPT)
            reasons.append(
                "Your sanction on web access does not stop your course's sites and books."
            )
        return made(True, ids, tuple(reasons))
    if ids:
        return made(
            False,
            ids,
            tuple(_forbid_reason(snap, rule_id, site, slice_, day, at) for rule_id in ids),
        )
    return made(False, (NO_GRANT,), _no_grant_reasons(snap, site, principal, location, slice_, day))


def evaluate_contact(
    snap: Snapshot, number: str, channel: str, contact_id: str, *, at: dt.datetime
) -> Decision:
    slice_ = snap.prisoners[number]
    day = at.astimezone(snap.zone).date()
    principal = prisoner_entity(slice_, day, at)
    fact = slice_.contacts.get(contact_id)
    escort = slice_.contacts.get(fact.escort_id) if fact and fact.escort_id else None
    contact = contact_entity(fact, contact_id, day, escort)
    legal = bool(contact["attrs"]["legal"])
    request = {
        "principal": {"type": f"{NAMESPACE}::Prisoner", "id": number},
        "action": f'{NAMESPACE}::Action::"{CONTACT_ACTIONS[channel]}"',
        "resource": {"type": f"{NAMESPACE}::Contact", "id": contact_id},
        "context": {},
    }
    result = cedarpy.is_authorized(
        request,
        snap.policy_set_for(slice_.attrs["establishment"]),
        [principal, contact],
    )
    # Sanctions change at their moment; approvals, restrictions and alerts by the day.
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=snap.zone)
    edge = min(filter(None, [next_sanction_edge(slice_, at), midnight.astimezone(dt.UTC)]))
    obligations: dict[str, Any] = {"log": "request"}
    if legal:
        obligations["privileged"] = True  # never recorded or monitored
    elif "CCTV" in contact["attrs"]["restrictions"]:
        obligations["monitor"] = True

    def made(allowed: bool, rules: tuple[str, ...], reasons: tuple[str, ...]) -> Decision:
        return Decision(
            allowed,
            rules,
            reasons,
            obligations,
            version=snap.version,
            decided_at=at,
            valid_until=edge,
        )

    if result.diagnostics.errors:
        return made(
            False, (EVALUATION_ERROR,), ("This cannot be checked right now, so it is not allowed.",)
        )
    ids = tuple(sorted(result.diagnostics.id_annotations_by_reason.values()))
    words = SERVICE_WORDS[channel]
    if result.allowed:
        reasons = ["This is an approved contact."]
        if legal and channel in principal["attrs"]["sanctions"]:
            ids = (*ids, LEGAL_EXEMPT)
            reasons.append(
                f"Your loss of {words} does not apply to your legal adviser: "
                "privileged contact is never stopped by a sanction."
            )
        return made(True, ids, tuple(reasons))
    if ids:
        return made(False, ids, tuple(_contact_forbid_reason(snap, i, slice_, at) for i in ids))
    return made(False, (NOT_APPROVED,), ("This person is not an approved contact.",))


def _contact_forbid_reason(snap: Snapshot, rule_id: str, slice_: Any, at: dt.datetime) -> str:
    if rule_id == "restriction:ban":
        return "Staff have banned contact with this person."
    if rule_id == "restriction:victim":
        return "You may not contact this person."
    if rule_id == "restriction:child-alert":
        return "You may not be in contact with anyone under 18 (a child contact restriction)."
    if rule_id == "restriction:child-vetting":
        return "Staff have to vet this child before they can be in contact with you."
    return sanction_reason(snap, rule_id, slice_, at)


# --- sanctions ---------------------------------------------------------------------------

SERVICE_WORDS = {
    "web": "web access",
    "device": "use of devices",
    "video": "video calls",
    "phone": "phone calls",
    "messages": "messaging",
}


def sanction_reason(
    snap: Snapshot, rule_id: str, slice_: Any, at: dt.datetime, *, category: str | None = None
) -> str:
    """A sanction's forbid in plain words: what it stops, until when, and why."""
    service = rule_id.split(":", 1)[1]
    facts: list[SanctionFact]
    if service == "web-category":
        facts = [s for s in slice_.sanctions if s.applies(at) and category in s.categories]
        what = f"your access to {_category_name(snap, category or '')} sites"
    else:
        facts = [
            s
            for s in slice_.sanctions
            if s.applies(at) and s.service == service and not s.categories
        ]
        what = f"your {SERVICE_WORDS.get(service, service)}"
    if not facts:
        return f"A sanction has stopped {what}."
    last = max(facts, key=lambda s: s.ends_at)
    until = last.ends_at.astimezone(snap.zone)
    return f"A sanction has stopped {what} until {until:%-d %B %Y at %H:%M} ({last.reason})."


# --- the catalogue -----------------------------------------------------------------------


def _match_site(snap: Snapshot, resource: WebResource) -> tuple[SiteMeta | None, str]:
    for pattern in host_candidates(resource.host):
        site_ids = snap.hosts.get(pattern)
        if not site_ids:
            continue
        whole_host = [snap.sites[s] for s in site_ids if not snap.sites[s].paths]
        if resource.path is None:
            if whole_host:
                return whole_host[0], ""
            return None, NEEDS_PATH
        best: tuple[int, SiteMeta] | None = None
        for site_id in site_ids:
            site = snap.sites[site_id]
            for prefix in site.paths:
                if path_matches(prefix, resource.path) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), site)
        if best is not None:
            return best[1], ""
        if whole_host:
            return whole_host[0], ""
    return None, NOT_LISTED


def site_ports(site: SiteMeta) -> tuple[int, ...]:
    """The ports a site is served on: 80, 443 and those it names; an internal service only
    those it names (its address is no door to anything else listening there)."""
    return site.ports if site.internal else tuple(sorted({*STANDARD_PORTS, *site.ports}))


def _deny_port(snap: Snapshot, resource: WebResource, site: SiteMeta, at: dt.datetime) -> Decision:
    ports = ", ".join(str(p) for p in site_ports(site))
    return Decision(
        False,
        (WRONG_PORT,),
        (f"{site.name} is approved on ports {ports} only, not on port {resource.port}.",),
        {"log": "request"},
        site=site.name,
        category=site.category,
        version=snap.version,
        decided_at=at,
        valid_until=at + dt.timedelta(days=1),
    )


def _paths_on_host(snap: Snapshot, host: str) -> bool:
    """Whether any catalogue site on this host is limited to some paths (then which site a
    dotted path is depends on who resolves the dots)."""
    return any(
        snap.sites[site_id].paths
        for pattern in host_candidates(host)
        for site_id in snap.hosts.get(pattern, ())
    )


def _deny_dotted(snap: Snapshot, site: SiteMeta, at: dt.datetime) -> Decision:
    """A path-limited site asked for with "." or ".." in the path: servers disagree on what
    such a path names (kiwix-serve reads ``/history/../maths/x`` as book ``history``), so it
    is refused rather than guessed at. Browsers never send one."""
    return Decision(
        False,
        (DOT_SEGMENTS,),
        (
            f"Only some pages of {site.name}'s address are approved, and this address "
            "has “.” or “..” in its path, so it is not allowed.",
        ),
        {"log": "request"},
        site=site.name,
        category=site.category,
        version=snap.version,
        decided_at=at,
        valid_until=at + dt.timedelta(days=1),
    )


def _deny_unlisted(snap: Snapshot, resource: WebResource, rule: str, at: dt.datetime) -> Decision:
    if rule == NEEDS_PATH:
        reason = (
            f"Only some pages of {resource.host} are approved, and this connection does not show which "
            "page you asked for, so it is not allowed."
        )
    else:
        reason = f"{resource.host} is not in the catalogue of approved sites. You can ask for it to be added."
    # Only a catalogue change (a new snapshot, which empties the cache) alters this answer.
    return Decision(
        False,
        (rule,),
        (reason,),
        {"log": "request"},
        version=snap.version,
        decided_at=at,
        valid_until=at + dt.timedelta(days=1),
    )


# --- explanations ------------------------------------------------------------------------


def _category_name(snap: Snapshot, code: str) -> str:
    return snap.categories.get(code, code.replace("_", " ").title())


def _allow_reason(
    snap: Snapshot,
    rule_id: str,
    site: SiteMeta,
    slice_: Any,
    day: dt.date,
) -> str:
    if rule_id == "exception:allow-site":
        until = _exception_until(slice_, Effect.ALLOW, site_id=site.site_id, day=day)
        return f"You have been given access to {site.name}{until}."
    if rule_id == "exception:allow-category":
        until = _exception_until(slice_, Effect.ALLOW, category=site.category, day=day)
        return f"You have been given access to {_category_name(snap, site.category)} sites{until}."
    if rule_id.startswith("course:"):
        course = snap.courses.get(rule_id.split(":", 1)[1])
        title = course.title if course is not None else "a course"
        return f"{site.name} is open to you for your course {title}."
    rule = snap.rules.get(rule_id)
    name = _category_name(snap, site.category)
    if rule is None:
        return f"{name} sites are open to you."
    hours = f" {describe(rule.windows)}" if rule.windows else ""
    return rule.description or f"{name} sites are open to you{hours}."


def _forbid_reason(
    snap: Snapshot,
    rule_id: str,
    site: SiteMeta,
    slice_: Any,
    day: dt.date,
    at: dt.datetime,
) -> str:
    name = _category_name(snap, site.category)
    if rule_id == "catalogue:clearance":
        needed = Clearance(site.min_clearance)
        more = "" if needed == Clearance.OPEN else ", or more open conditions"
        return f"{site.name} is only for people held in {needed.label.lower()}{more}."
    if rule_id == "catalogue:review-overdue":
        return f"{site.name} is waiting for its regular review, and is not available until it has been re-approved."
    if rule_id == "exception:forbid-site":
        return f"Staff have stopped your access to {site.name}{_exception_until(slice_, Effect.FORBID, site_id=site.site_id, day=day)}."
    if rule_id == "exception:forbid-category":
        until = _exception_until(slice_, Effect.FORBID, category=site.category, day=day)
        return f"Staff have stopped your access to {name} sites{until}."
    if rule_id.startswith("sanction:"):
        return sanction_reason(snap, rule_id, slice_, at, category=site.category)
    rule = snap.rules.get(rule_id)
    if rule is not None and rule.description:
        return rule.description
    return f"{name} sites are not available to you."


def _no_grant_reasons(
    snap: Snapshot,
    site: SiteMeta,
    principal: dict[str, Any],
    location: str | None,
    slice_: Any = None,
    day: dt.date | None = None,
) -> tuple[str, ...]:
    """Nothing allowed it: say which grant the prisoner would have, and when or where."""
    name = _category_name(snap, site.category)
    reasons = []
    for course_id, class_id in getattr(slice_, "courses", ()):
        course = snap.courses.get(course_id)
        if course is None or site.site_id not in {s for s, _c in course.sites}:
            continue
        windows = course.windows_for(class_id)
        if day is not None and day < course.starts_on:
            reasons.append(
                f"Your course {course.title} opens {site.name} from "
                f"{course.starts_on:%-d %B %Y}, {describe(windows)}."
            )
        elif day is not None and day > course.ends_on:
            reasons.append(f"Your course {course.title} ended on {course.ends_on:%-d %B %Y}.")
        elif windows:
            reasons.append(f"Your course {course.title} opens {site.name} {describe(windows)}.")
    for rule in snap.rules.values():
        if rule.effect != Effect.ALLOW or not rule_matches(rule, principal, site.category):
            continue
        if rule.windows is not None:
            reasons.append(f"{name} sites are open {describe(rule.windows)}.")
        if rule.locations is not None and (location or "") not in rule.locations:
            places = ", ".join(sorted(loc.replace("_", " ").lower() for loc in rule.locations))
            reasons.append(f"{name} sites can be used from: {places}.")
    return tuple(dict.fromkeys(reasons)) or (f"Nothing allows you to use {name} sites.",)


def rule_matches(rule: RuleMeta, principal: dict[str, Any], category: str) -> bool:
    """Do the rule's category and prisoner conditions hold? (Not hours or location.)

    The same conditions as the rule's Cedar text, in plain Python: for explanations, and
    as the plain-Python limit the benchmark compares Cedar with.
    """
    attrs = principal["attrs"]
    if rule.categories is not None and category not in rule.categories:
        return False
    if rule.establishment is not None and attrs["establishment"] != rule.establishment:
        return False
    conditions = rule.conditions
    for key, attribute in (
        ("category", "security_category"),
        ("incentive_level", "incentive_level"),
        ("legal_status", "legal_status"),
        ("establishment", "establishment"),
    ):
        if key in conditions and attrs[attribute] not in conditions[key]:
            return False
    if "alert" in conditions and not set(conditions["alert"]) & set(attrs["alerts"]):
        return False
    return not ("youth" in conditions and attrs["youth"] != conditions["youth"])


def _exception_until(
    slice_: Any,
    effect: str,
    *,
    day: dt.date,
    site_id: str | None = None,
    category: str | None = None,
) -> str:
    for ex_effect, ex_site, ex_category, until, reason in slice_.exceptions:
        if (
            ex_effect == effect
            and day <= until
            and ex_site == site_id
            and (site_id is not None or ex_category == category)
        ):
            return f" until {until:%-d %B %Y} ({reason})"
    return ""


def _clock(snap: Snapshot, establishment: str, at: dt.datetime) -> tuple[list[str], dt.datetime]:
    """Which of the establishment's rules are in their hours at ``at``, and until when
    an answer given now can stand (the next hours edge, or local midnight, when dated
    facts such as alerts, exceptions and review dates may change).

    Hours have minute resolution, so the answer holds for the whole minute: it is worked
    out once per establishment and minute and remembered in the snapshot.
    """
    minute = int(at.timestamp()) // 60
    key = (establishment if establishment in snap.hour_rules else None, minute)
    known = snap.clock_memo.get(key)
    if known is not None:
        return known
    start = dt.datetime.fromtimestamp(minute * 60, dt.UTC)
    rules = snap.hour_rules_for(establishment)
    in_hours = sorted(
        rule.policy_id for rule in rules if is_open(rule.windows or (), start, snap.zone)
    )
    local = start.astimezone(snap.zone)
    midnight = dt.datetime.combine(
        local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=snap.zone
    )
    edges = {rule.windows for rule in rules if rule.windows is not None}
    next_edge = min(
        [midnight.astimezone(dt.UTC), *(next_change(w, start, snap.zone) for w in edges)]
    )
    if len(snap.clock_memo) > 100_000:
        snap.clock_memo.clear()
    snap.clock_memo[key] = (in_hours, next_edge)
    return in_hours, next_edge


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    """The process's engine (one per process: Cedar holds the GIL, so scale with processes)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine()
        return _engine


def decide(
    prison_number: str, url: str, *, at: dt.datetime | None = None, location: str | None = None
) -> Decision:
    return engine().decide(prison_number, url, at=at, location=location)

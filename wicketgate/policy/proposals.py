"""Policy changes made in the staff UI: one person proposes, a second one approves (four eyes).

A proposal's payload is one entry in the shape of a policy YAML file (a site, a rule or
an exception; or the name, id or number of the thing to retire, remove or revoke). It
is checked when it is proposed with the same entry models and cross-checks as an
import, and checked again when it is approved, against the policy as it is then: a
category may have gone, a prisoner may have moved, or someone may have changed the
same site or rule in between. In that last case the approver would be approving a diff
that is no longer the one that would be applied, so the proposal is refused and must
be made again. Approval applies the entry through the same code as an import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from wicketgate.accounts.models import User
from wicketgate.accounts.scoping import staff_behind
from wicketgate.audit.log import Actor, record_event
from wicketgate.estate.models import Establishment
from wicketgate.lib.importing import ImportRejected, Problem
from wicketgate.people.models import AlertCode, Prisoner
from wicketgate.policy.actions import _grant_exception, _upsert_rule, _upsert_site, rule_values
from wicketgate.policy.codes import ALL, Clearance
from wicketgate.policy.compiler import _rule_meta, rule_to_cedar
from wicketgate.policy.imports import Known, RuleEntry, read_entry
from wicketgate.policy.models import AccessRule, Category, PolicyProposal, PrisonerException, Site
from wicketgate.policy.queries import may_approve_at, may_propose

Kind = PolicyProposal.Kind
Status = PolicyProposal.Status
REASON_MAX = 2000


class ProposalError(ValueError):
    """The proposal cannot be made or approved as it stands; nothing was changed."""

    def __init__(
        self, message: str, problems: list[Problem] | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.problems = problems or []
        self.field = field

    def errors(self) -> list[tuple[str | None, str]]:
        """(field, message) for each problem, so a form can show it beside its field.

        The field is the entry's key at fault (None for the proposal as a whole)."""
        if self.problems:
            return [(p.field, p.message) for p in self.problems]
        return [(self.field, str(self))]


class ProposalRefused(ProposalError):
    """This person may not do this: their own proposal, or not their role or establishment."""


def do_propose_policy_change(
    kind: str,
    payload: Any,
    *,
    establishment: Establishment | None,
    reason: str,
    actor: Actor,
) -> PolicyProposal:
    """Check ``payload`` now and keep it, with what it would replace, for a second person.

    ``establishment`` is whose staff decide it (None: the estate administrator). A rule
    proposal is for the rule at that establishment (None: the estate-wide rule); an
    exception's belongs to the prisoner's establishment.
    """
    words = reason.strip()
    if not words:
        raise ProposalError(_("Give the reason for the change"), field="reason")
    if len(words) > REASON_MAX:
        raise ProposalError(
            _("The reason must be %(max)s characters or fewer") % {"max": REASON_MAX},
            field="reason",
        )
    if kind not in Kind.values:
        raise ProposalError(f"no kind of proposal {kind!r}")
    by = _in_person(actor)
    if kind in (Kind.SITE, Kind.RETIRE_SITE):
        # The catalogue is one for the whole estate: a site approved for one prison is
        # reachable from every prison whose rules allow its category, so the estate
        # administrator decides catalogue changes.
        establishment = None
    if not may_propose(by, establishment):
        raise ProposalRefused(_("You may not propose policy changes there."))
    with transaction.atomic():
        checked = _check(kind, payload, establishment)
        if checked.unchanged:
            raise ProposalError(_("Nothing would change: the policy already says this."))
        proposal = PolicyProposal.objects.create(
            kind=kind,
            establishment=establishment,
            payload=checked.payload,
            before=checked.before,
            reason=words,
            proposed_by=by,
        )
        record_event(
            "policy.proposal.create",
            actor=actor,
            subject=proposal,
            establishment=establishment,
            details={
                "proposal": proposal.pk,
                "kind": kind,
                "payload": checked.payload,
                "before": checked.before,
                "reason": words,
            },
        )
    return proposal


def check_policy_change(kind: str, payload: Any, *, establishment: Establishment | None) -> None:
    """The checks ``do_propose_policy_change`` makes of the entry, without proposing it
    (ProposalError if any fails): so a form can show every problem at once."""
    if kind not in Kind.values:
        raise ProposalError(f"no kind of proposal {kind!r}")
    _check(kind, payload, establishment)


def do_approve_policy_proposal(proposal: PolicyProposal, *, actor: Actor, note: str = "") -> Any:
    """Apply the proposal, in one transaction with its audit event: it takes effect now.

    Refused (ProposalRefused) for the proposer and for anyone without APPROVE_POLICY at
    the proposal's establishment (estate-wide: the estate administrator); refused
    (ProposalError) if it is not waiting, or no longer checks against the policy as it is.
    Returns the applied entry (None for a removed rule).
    """
    by = _in_person(actor)
    with transaction.atomic():
        locked = _lock_pending(proposal)
        _check_decider(locked, by)
        checked = _check(locked.kind, locked.payload, locked.establishment, lock=True)
        if checked.before != locked.before:
            raise ProposalError(
                _(
                    "%(what)s has changed since this was proposed, so this is no longer the "
                    "change that would be made. Reject it, and propose it again if it is "
                    "still needed."
                )
                % {"what": checked.what}
            )
        if checked.unchanged:
            raise ProposalError(_("Nothing would change: the policy already says this."))
        try:
            with transaction.atomic():  # a savepoint: the same thing added at the same moment
                after = _apply(locked, checked, actor)
        except IntegrityError as exc:
            raise ProposalError(
                _("%(what)s was changed at the same moment. Try again.") % {"what": checked.what}
            ) from exc
        locked.status = Status.APPROVED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record_event(
            "policy.proposal.approve",
            actor=actor,
            subject=locked,
            establishment=locked.establishment,
            details={
                "proposal": locked.pk,
                "kind": locked.kind,
                "proposed_by": locked.proposed_by.username,
                "approved_by": by.username,
                "before": locked.before,
                "after": after,
                "reason": locked.reason,
                "note": locked.decision_note,
            },
        )
    proposal.refresh_from_db()
    return after


def do_reject_policy_proposal(proposal: PolicyProposal, *, actor: Actor, note: str) -> None:
    """Decide against it; nothing is applied. The note says why, for the proposer."""
    by = _in_person(actor)
    words = note.strip()
    if not words:
        raise ProposalError(_("Say why it is rejected"), field="note")
    with transaction.atomic():
        locked = _lock_pending(proposal)
        _check_decider(locked, by)
        locked.status = Status.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = words
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record_event(
            "policy.proposal.reject",
            actor=actor,
            subject=locked,
            establishment=locked.establishment,
            details={
                "proposal": locked.pk,
                "kind": locked.kind,
                "proposed_by": locked.proposed_by.username,
                "rejected_by": by.username,
                "note": words,
            },
        )
    proposal.refresh_from_db()


def do_withdraw_policy_proposal(proposal: PolicyProposal, *, actor: Actor) -> None:
    """The proposer takes it back before anyone decides. (No one else may.)"""
    by = _in_person(actor)
    with transaction.atomic():
        locked = _lock_pending(proposal)
        if locked.proposed_by_id != by.pk:
            raise ProposalRefused(_("Only the person who proposed a change can withdraw it."))
        locked.status = Status.WITHDRAWN
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_at"])
        record_event(
            "policy.proposal.withdraw",
            actor=actor,
            subject=locked,
            establishment=locked.establishment,
            details={"proposal": locked.pk, "kind": locked.kind},
        )
    proposal.refresh_from_db()


# --- entries: what the policy says now, in the shape of a policy file ------------------


def site_entry(site: Site) -> dict[str, Any]:
    return {
        "name": site.name,
        "hosts": list(site.hosts),
        "category": site.category.code,
        "paths": list(site.paths or []),
        "ports": list(site.ports or []),
        "internal": site.internal,
        "https": site.https,
        "min_clearance": (
            Clearance(site.min_clearance).name if site.min_clearance is not None else None
        ),
        "review_by": site.review_by.isoformat() if site.review_by else None,
    }


def rule_entry(rule: AccessRule) -> dict[str, Any]:
    return _rule_dict(rule.rule_id, {key: getattr(rule, key) for key in _RULE_FIELDS})


def exception_entry(exception: PrisonerException) -> dict[str, Any]:
    target = (
        {"site": exception.site.name}
        if exception.site is not None
        else {"category": exception.category.code if exception.category else ""}
    )
    return {
        "id": exception.pk,
        "prisoner": exception.prisoner.prison_number,
        exception.effect: target,
        "until": exception.until.isoformat(),
        "reason": exception.reason,
    }


def rule_cedar(entry: dict[str, Any] | None, establishment: Establishment | None) -> str:
    """The Cedar text a rule entry compiles to, as the snapshot would hold it ("" if none)."""
    if not entry:
        return ""
    try:
        parsed = RuleEntry.model_validate(entry)
    except ValidationError:  # not a rule entry at all: there is nothing to compile
        return ""
    rule = AccessRule(rule_id=parsed.id, establishment=establishment, **rule_values(parsed))
    return rule_to_cedar(_rule_meta(rule))


# --- internals ---------------------------------------------------------------------------

_RULE_FIELDS = ("effect", "categories", "conditions", "hours", "locations", "description")


@dataclass(frozen=True)
class _Checked:
    payload: dict[str, Any]  # normalised: what would be applied
    before: dict[str, Any] | None  # what it replaces, for the diff
    unchanged: bool  # applying it would change nothing
    what: str  # the thing it changes, in words, for messages
    entry: Any = None  # the checked pydantic entry, if the kind has one
    target: Any = None  # the row it acts on, if there is one


def _check(
    kind: str, payload: Any, establishment: Establishment | None, *, lock: bool = False
) -> _Checked:
    if not isinstance(payload, dict):
        raise ProposalError(_("The proposed change is not an entry of a policy file."))
    if kind == Kind.SITE:
        return _check_site(payload, lock)
    if kind == Kind.RETIRE_SITE:
        return _check_retire_site(payload, lock)
    if kind == Kind.RULE:
        return _check_rule(payload, establishment, lock)
    if kind == Kind.DELETE_RULE:
        return _check_delete_rule(payload, establishment, lock)
    if kind == Kind.EXCEPTION:
        return _check_exception(payload, establishment)
    if kind == Kind.REVOKE_EXCEPTION:
        return _check_revoke_exception(payload, establishment, lock)
    raise ProposalError(f"no kind of proposal {kind!r}")


def _check_site(payload: dict[str, Any], lock: bool) -> _Checked:
    entry = _read("sites", payload)
    normalised = entry.model_dump(mode="json")
    site = _sites(lock).filter(name=entry.name).select_related("category").first()
    before = _site_before(site) if site is not None else None
    unchanged = (
        site is not None
        and site.is_approved
        and all(before is not None and before[key] == value for key, value in normalised.items())
    )
    return _Checked(
        normalised, before, unchanged, _("The site %(name)s") % {"name": entry.name}, entry, site
    )


def _check_retire_site(payload: dict[str, Any], lock: bool) -> _Checked:
    name = _text(payload, "name")
    site = _sites(lock).filter(name=name).select_related("category").first()
    if site is None:
        raise ProposalError(
            _("There is no site called %(name)s in the catalogue.") % {"name": name},
            field="name",
        )
    return _Checked(
        {"name": name},
        _site_before(site),
        site.retired_at is not None,
        _("The site %(name)s") % {"name": name},
        target=site,
    )


def _check_rule(
    payload: dict[str, Any], establishment: Establishment | None, lock: bool
) -> _Checked:
    entry = _read("rules", payload)
    normalised = _rule_dict(entry.id, rule_values(entry))
    rule = _rules(lock).filter(establishment=establishment, rule_id=entry.id).first()
    before = rule_entry(rule) if rule is not None else None
    return _Checked(
        normalised, before, before == normalised, _rule_words(entry.id, establishment), entry, rule
    )


def _check_delete_rule(
    payload: dict[str, Any], establishment: Establishment | None, lock: bool
) -> _Checked:
    rule_id = _text(payload, "id")
    rule = _rules(lock).filter(establishment=establishment, rule_id=rule_id).first()
    if rule is None:
        raise ProposalError(_("There is no rule %(id)s there.") % {"id": rule_id}, field="id")
    return _Checked(
        {"id": rule_id}, rule_entry(rule), False, _rule_words(rule_id, establishment), target=rule
    )


def _check_exception(payload: dict[str, Any], establishment: Establishment | None) -> _Checked:
    entry = _read("exceptions", payload)
    prisoner = Prisoner.objects.select_related("establishment").get(prison_number=entry.prisoner)
    _at_establishment(prisoner, establishment)
    target = entry.target
    match = {"site__name": target.site} if target.site else {"category__code": target.category}
    in_force = PrisonerException.objects.filter(
        prisoner=prisoner,
        revoked_at__isnull=True,
        effect=entry.effect,
        until=entry.until,
        reason=entry.reason,
        **match,
    )
    return _Checked(
        entry.model_dump(mode="json", exclude_none=True),
        None,
        in_force.exists(),
        _("The exceptions of %(number)s") % {"number": prisoner.prison_number},
        entry,
        prisoner,
    )


def _check_revoke_exception(
    payload: dict[str, Any], establishment: Establishment | None, lock: bool
) -> _Checked:
    raw = payload.get("exception")
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise ProposalError(_("Name the exception to revoke by its number."))
    rows = PrisonerException.objects.select_related("prisoner__establishment", "site", "category")
    exception = (rows.select_for_update(of=("self",)) if lock else rows).filter(pk=raw).first()
    if exception is None or exception.revoked_at is not None:
        raise ProposalError(_("There is no exception %(id)s in force.") % {"id": raw})
    _at_establishment(exception.prisoner, establishment)
    return _Checked(
        {"exception": raw},
        exception_entry(exception),
        False,
        _("Exception %(id)s") % {"id": raw},
        target=exception,
    )


def _apply(proposal: PolicyProposal, checked: _Checked, who: Actor) -> Any:
    kind = proposal.kind
    if kind == Kind.SITE:
        categories = {c.code: c for c in Category.objects.all()}
        _upsert_site(checked.entry, categories, who, proposal.proposed_by.username)
        return _site_before(Site.objects.select_related("category").get(name=checked.entry.name))
    if kind == Kind.RETIRE_SITE:
        site = checked.target
        site.retired_at = timezone.now()
        site.save(update_fields=["retired_at"])
        record_event(
            "policy.site.retire", actor=who, subject=site, details={"proposal": proposal.pk}
        )
        return _site_before(site)
    if kind == Kind.RULE:
        _upsert_rule(checked.entry, proposal.establishment, who)
        return rule_entry(
            AccessRule.objects.get(establishment=proposal.establishment, rule_id=checked.entry.id)
        )
    if kind == Kind.DELETE_RULE:
        rule = checked.target
        record_event(
            "policy.rule.delete",
            actor=who,
            subject=rule,
            establishment=proposal.establishment,
            details={"rule": rule.policy_id, "before": checked.before, "proposal": proposal.pk},
        )
        rule.delete()
        return None
    if kind == Kind.EXCEPTION:
        entry = checked.entry
        sites = {s.name: s for s in Site.objects.filter(name=entry.target.site or "")}
        categories = {c.code: c for c in Category.objects.filter(code=entry.target.category or "")}
        granted = _grant_exception(entry, checked.target, sites, categories, who)
        return exception_entry(granted) if granted is not None else None
    exception = checked.target  # REVOKE_EXCEPTION
    exception.revoked_at = timezone.now()
    exception.save(update_fields=["revoked_at"])
    record_event(
        "policy.exception.revoke",
        actor=who,
        subject=exception.prisoner,
        establishment=exception.prisoner.establishment,
        details={"exception": exception.pk, "proposal": proposal.pk},
    )
    return {**checked.before, "revoked": True} if checked.before else None


def _in_person(actor: Actor) -> User:
    """The member of staff behind ``actor``: proposals are made and decided by people
    with accounts, so that "someone else must approve" can be checked."""
    user = staff_behind(actor)
    if user is None:
        raise ProposalRefused(_("Only a member of staff, signed in, can do this."))
    return user


def _lock_pending(proposal: PolicyProposal) -> PolicyProposal:
    locked = (
        PolicyProposal.objects.select_for_update(of=("self",))
        .select_related("establishment", "proposed_by")
        .get(pk=proposal.pk)
    )
    if locked.status != Status.PENDING:
        raise ProposalError(
            _("This proposal has already been dealt with: %(status)s.")
            % {"status": locked.get_status_display().lower()}
        )
    return locked


def _check_decider(proposal: PolicyProposal, by: User) -> None:
    if proposal.proposed_by_id == by.pk:
        raise ProposalRefused(
            _("You proposed this change, so someone else must approve or reject it.")
        )
    if not may_approve_at(by, proposal.establishment):
        raise ProposalRefused(
            _("Only staff who may approve policy at %(where)s can decide on this.")
            % {
                "where": proposal.establishment.name
                if proposal.establishment
                else _("estate level (the estate administrator)")
            }
        )


def _read(section: str, payload: dict[str, Any]) -> Any:
    try:
        return read_entry(section, payload, _known(payload))
    except ImportRejected as exc:
        raise ProposalError(
            "; ".join(f"{p.field}: {p.message}" for p in exc.problems), exc.problems
        ) from exc


def _known(payload: dict[str, Any]) -> Known:
    """What an entry is checked against: everything it could name (only its own prisoner
    and site, rather than every one in the estate)."""
    number = payload.get("prisoner")
    target = payload.get("allow") or payload.get("forbid")
    site = target.get("site") if isinstance(target, dict) else None
    return Known(
        categories=set(Category.objects.values_list("code", flat=True)),
        sites=set(Site.objects.filter(name=site).values_list("name", flat=True))
        if isinstance(site, str)
        else set(),
        prisoners=set(
            Prisoner.objects.filter(prison_number=number).values_list("prison_number", flat=True)
        )
        if isinstance(number, str)
        else set(),
        establishments=set(Establishment.objects.values_list("code", flat=True)),
        alerts=set(AlertCode.objects.values_list("code", flat=True)),
    )


def _site_before(site: Site) -> dict[str, Any]:
    return {**site_entry(site), "retired": site.retired_at is not None}


def _rule_dict(rule_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """A rule entry in one normal form, so that equal rules are equal dicts."""
    categories = values["categories"]
    entry: dict[str, Any] = {
        "id": rule_id,
        values["effect"]: ALL if list(categories) == [ALL] else sorted(categories),
    }
    if values["conditions"]:
        entry["when"] = dict(values["conditions"])
    if values["hours"]:
        entry["hours"] = values["hours"]
    if values["locations"]:
        entry["locations"] = sorted(values["locations"])
    if values["description"]:
        entry["description"] = values["description"]
    return entry


def _rule_words(rule_id: str, establishment: Establishment | None) -> str:
    if establishment is None:
        return _("The estate-wide rule %(id)s") % {"id": rule_id}
    return _("The rule %(id)s at %(where)s") % {"id": rule_id, "where": establishment.name}


def _at_establishment(prisoner: Prisoner, establishment: Establishment | None) -> None:
    if establishment is None or prisoner.establishment_id != establishment.pk:
        raise ProposalError(
            _(
                "%(number)s is held at %(where)s: an exception for them is for staff there "
                "to propose and approve."
            )
            % {"number": prisoner.prison_number, "where": prisoner.establishment.name},
            field="prisoner",
        )


def _sites(lock: bool) -> Any:
    return Site.objects.select_for_update(of=("self",)) if lock else Site.objects.all()


def _rules(lock: bool) -> Any:
    return AccessRule.objects.select_for_update(of=("self",)) if lock else AccessRule.objects.all()


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProposalError(_("Name what to change."), field=key)
    return value.strip()

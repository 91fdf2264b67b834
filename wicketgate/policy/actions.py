"""State changes to the policy: each atomic, each on the audit record."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.estate.models import Establishment
from wicketgate.lib.importing import ImportSummary
from wicketgate.people.models import Prisoner
from wicketgate.policy.codes import Clearance
from wicketgate.policy.imports import PolicyFile
from wicketgate.policy.models import AccessRule, Category, PrisonerException, Site


def do_import_policy(
    parsed: PolicyFile,
    *,
    actor: Actor,
    file_name: str,
    establishment: Establishment | None = None,
) -> ImportSummary:
    """An administrator's import: applied at once (no second approver), all or nothing, audited."""
    summary = ImportSummary()
    with transaction.atomic():
        for entry in parsed.categories:
            category, created = Category.objects.get_or_create(
                code=entry.code, defaults={"name": entry.name}
            )
            changed = created or (category.name, category.description) != (
                entry.name,
                entry.description,
            )
            if changed:
                category.name, category.description = entry.name, entry.description
                category.save()
                record_event(
                    "policy.category.save",
                    actor=actor,
                    subject=category,
                    details={"code": entry.code},
                )
            summary.counts[
                "categories " + ("created" if created else "updated" if changed else "unchanged")
            ] += 1
        categories = {c.code: c for c in Category.objects.all()}
        for site_entry in parsed.sites:
            # An administrator's import is its own approval; the proposer is the file.
            outcome = _upsert_site(site_entry, categories, actor, f"import:{file_name}")
            summary.counts[f"sites {outcome}"] += 1
        for rule_entry in parsed.rules:
            outcome = _upsert_rule(rule_entry, establishment, actor)
            summary.counts[f"rules {outcome}"] += 1
        sites = {s.name: s for s in Site.objects.all()}
        prisoners = {
            p.prison_number: p
            for p in Prisoner.objects.filter(
                prison_number__in=[e.prisoner for e in parsed.exceptions]
            )
        }
        for exception_entry in parsed.exceptions:
            prisoner = prisoners[exception_entry.prisoner]
            granted = _grant_exception(exception_entry, prisoner, sites, categories, actor)
            summary.counts[f"exceptions {'unchanged' if granted is None else 'created'}"] += 1
        record_event(
            "policy.import",
            actor=actor,
            establishment=establishment,
            details={"file": file_name, "counts": dict(summary.counts)},
        )
    return summary


def _upsert_site(entry: Any, categories: dict[str, Category], who: Actor, proposed_by: str) -> str:
    """Add or change the site named ``entry.name``; ``who`` approves what ``proposed_by`` proposed."""
    wanted = {
        "category": categories[entry.category],
        "hosts": entry.hosts,
        "paths": entry.paths,
        "ports": entry.ports,
        "internal": entry.internal,
        "https": entry.https,
        "min_clearance": Clearance[entry.min_clearance].value if entry.min_clearance else None,
        "review_by": entry.review_by,
    }
    site = Site.objects.filter(name=entry.name).first()
    if (
        site is not None
        and all(getattr(site, key) == value for key, value in wanted.items())
        and site.is_approved
    ):
        return "unchanged"
    created = site is None
    site = site or Site(name=entry.name)
    for key, value in wanted.items():
        setattr(site, key, value)
    site.proposed_by = proposed_by[:150]
    site.approved_by = who.label
    site.approved_at = timezone.now()
    site.retired_at = None
    site.save()
    record_event(
        "policy.site.approve",
        actor=who,
        subject=site,
        details={
            "hosts": entry.hosts,
            "paths": entry.paths,
            "category": entry.category,
            "created": created,
        },
    )
    return "created" if created else "updated"


def rule_values(entry: Any) -> dict[str, Any]:
    """An AccessRule's fields as a checked rule entry sets them."""
    return {
        "effect": entry.effect,
        "categories": entry.categories,
        "conditions": {k: v for k, v in entry.when.model_dump().items() if v is not None},
        "hours": entry.hours or "",
        "locations": entry.locations or [],
        "description": entry.description,
    }


def _upsert_rule(entry: Any, establishment: Establishment | None, who: Actor) -> str:
    wanted = rule_values(entry)
    rule = AccessRule.objects.filter(establishment=establishment, rule_id=entry.id).first()
    if rule is not None and all(getattr(rule, key) == value for key, value in wanted.items()):
        return "unchanged"
    created = rule is None
    before = {key: getattr(rule, key) for key in wanted} if rule is not None else None
    rule = rule or AccessRule(establishment=establishment, rule_id=entry.id)
    for key, value in wanted.items():
        setattr(rule, key, value)
    rule.save()
    record_event(
        "policy.rule.save",
        actor=who,
        subject=rule,
        establishment=establishment,
        details={"rule": rule.policy_id, "before": before, "after": wanted},
    )
    return "created" if created else "updated"


def _grant_exception(
    entry: Any,
    prisoner: Prisoner,
    sites: dict[str, Site],
    categories: dict[str, Category],
    who: Actor,
) -> PrisonerException | None:
    """A checked exception entry for ``prisoner``; None if the same one is already in force."""
    target = entry.target
    values = {
        "prisoner": prisoner,
        "effect": entry.effect,
        "site": sites[target.site] if target.site else None,
        "category": categories[target.category] if target.category else None,
        "until": entry.until,
        "reason": entry.reason,
    }
    if PrisonerException.objects.filter(revoked_at__isnull=True, **values).exists():
        return None
    exception = PrisonerException.objects.create(approved_by=who.label, **values)
    record_event(
        "policy.exception.grant",
        actor=who,
        subject=prisoner,
        establishment=prisoner.establishment,
        details={
            "exception": exception.pk,
            "effect": exception.effect,
            "target": target.site or target.category,
            "until": str(exception.until),
            "reason": exception.reason,
        },
    )
    return exception

"""The policy app's staff pages and forms (site requests, catalogue, rules, proposals,
exceptions) for the persona suite (wicketgate/tests/test_access.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wicketgate.accounts.actions import do_create_staff_user
from wicketgate.accounts.models import User
from wicketgate.accounts.roles import StaffRole
from wicketgate.policy.models import (
    AccessRule,
    Category,
    PolicyProposal,
    PrisonerException,
    Site,
    SiteRequest,
)
from wicketgate.policy.site_requests import do_request_site
from wicketgate.testing.endpoints import PROFILE, Endpoint
from wicketgate.testing.personas import PASSWORD, SETUP, Estate


def _site_request_at_a(estate: Estate) -> SiteRequest:
    """An open request from the prisoner at A: the same one, however often it is asked for."""
    return SiteRequest.objects.filter(
        prisoner=estate.prisoner_a, status=SiteRequest.Status.OPEN
    ).first() or do_request_site(
        estate.prisoner_a, "https://www.example.org/jobs", "To look for work", actor=SETUP
    )


REQUEST = "/staff/site-requests/"
SITE_REQUESTS = [
    Endpoint(
        "site request queue",
        "get",
        lambda e: (REQUEST, {}),
        scoped=False,
        role=StaffRole.EDUCATION,
    ),
    Endpoint(
        "site request",
        "get",
        lambda e: (f"{REQUEST}{_site_request_at_a(e).pk}/", {}),
        role=StaffRole.EDUCATION,
    ),
    Endpoint(
        "decline site request",
        "post",
        lambda e: (f"{REQUEST}{_site_request_at_a(e).pk}/decline", {"response": "Not for now"}),
        302,
        role=StaffRole.EDUCATION,
    ),
    Endpoint(
        "propose site from request",
        "post",
        lambda e: (
            f"{REQUEST}{_site_request_at_a(e).pk}/propose",
            {"name": "Example jobs", "category": "EMPLOYMENT", "paths": "", "note": "Job search"},
        ),
        302,
        role=StaffRole.EDUCATION,
    ),
]


def _site(estate: Estate) -> Site:
    """A site in the catalogue: the same one, however often it is asked for."""
    return Site.objects.filter(name="BBC News").first() or Site.objects.create(
        name="BBC News",
        category=Category.objects.get(code="NEWS"),
        hosts=["www.bbc.co.uk"],
        proposed_by="import:test",
        approved_by="test-setup",
        approved_at=timezone.now(),
    )


def _rule_at_a(estate: Estate) -> AccessRule:
    return AccessRule.objects.get_or_create(
        establishment=estate.a,
        rule_id="jobs",
        defaults={"effect": "allow", "categories": ["EMPLOYMENT"]},
    )[0]


def _exception_at_a(estate: Estate) -> PrisonerException:
    """An exception in force for the prisoner at A: the same one, however often it is asked for."""
    return PrisonerException.objects.filter(
        prisoner=estate.prisoner_a
    ).first() or PrisonerException.objects.create(
        prisoner=estate.prisoner_a,
        effect="forbid",
        category=Category.objects.get(code="NEWS"),
        until=dt.date(2099, 1, 31),
        reason="Misuse of news sites",
        approved_by="test-setup",
    )


def _proposal_at_a(estate: Estate, *, own: bool = False) -> PolicyProposal:
    """A site proposed at A, waiting: by the clerk at A if ``own``, else by someone else there."""
    proposer = (
        estate.clerk_a
        if own
        else (
            User.objects.filter(username="proposer.a").first()
            or do_create_staff_user(
                "proposer.a",
                password=PASSWORD,
                roles=[(estate.a, StaffRole.EDUCATION)],
                actor=SETUP,
                check_password=False,
            )
        )
    )
    return PolicyProposal.objects.filter(
        proposed_by=proposer, status=PolicyProposal.Status.PENDING
    ).first() or PolicyProposal.objects.create(
        kind=PolicyProposal.Kind.SITE,
        establishment=estate.a,
        payload={"name": "NHS", "hosts": ["www.nhs.uk"], "category": "HEALTH"},
        reason="Health advice",
        proposed_by=proposer,
    )


POLICY_SITES = "/staff/policy/sites/"
POLICY_RULES = "/staff/policy/rules/"
PROPOSALS = "/staff/policy/proposals/"
EXCEPTIONS = f"{PROFILE}exceptions/"
PROPOSER = StaffRole.EDUCATION  # may propose policy, not approve it
APPROVER = StaffRole.SECURITY
POLICY = [
    Endpoint("policy catalogue", "get", lambda e: (f"{POLICY_SITES}?q=bbc", {}), scoped=False),
    Endpoint("policy site", "get", lambda e: (f"{POLICY_SITES}{_site(e).pk}/", {}), scoped=False),
    Endpoint(
        "propose a site page",
        "get",
        lambda e: (f"{POLICY_SITES}new", {}),
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a site change page",
        "get",
        lambda e: (f"{POLICY_SITES}{_site(e).pk}/change", {}),
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose to retire a site page",
        "get",
        lambda e: (f"{POLICY_SITES}{_site(e).pk}/retire", {}),
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint("policy rules", "get", lambda e: (POLICY_RULES, {}), scoped=False),
    Endpoint(
        "propose a rule page",
        "get",
        lambda e: (f"{POLICY_RULES}new", {}),
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a rule change page",
        "get",
        lambda e: (f"{POLICY_RULES}{_rule_at_a(e).pk}/change", {}),
        role=PROPOSER,
    ),
    Endpoint(
        "propose to remove a rule page",
        "get",
        lambda e: (f"{POLICY_RULES}{_rule_at_a(e).pk}/remove", {}),
        role=PROPOSER,
    ),
    Endpoint(
        "propose an exception page",
        "get",
        lambda e: (f"{EXCEPTIONS}propose", {}),
        role=PROPOSER,
    ),
    Endpoint(
        "propose to revoke an exception page",
        "get",
        lambda e: (f"{EXCEPTIONS}{_exception_at_a(e).pk}/revoke", {}),
        role=PROPOSER,
    ),
    Endpoint("policy proposals", "get", lambda e: (PROPOSALS, {}), scoped=False, role=APPROVER),
    Endpoint(
        "policy proposal",
        "get",
        lambda e: (f"{PROPOSALS}{_proposal_at_a(e).pk}/", {}),
        role=APPROVER,
    ),
    Endpoint(
        "why tool",
        "get",
        lambda e: ("/staff/policy/why/?prisoner=A1234BC&url=https://www.bbc.co.uk/", {}),
        scoped=False,
    ),
    Endpoint(
        "propose a site",
        "post",
        lambda e: (
            f"{POLICY_SITES}new",
            {
                "name": "NHS",
                "hosts": "www.nhs.uk",
                "category": "HEALTH",
                "decider": "NGT",
                "reason": "Health advice",
            },
        ),
        302,
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a site change",
        "post",
        lambda e: (
            f"{POLICY_SITES}{_site(e).pk}/change",
            {
                "hosts": "www.bbc.co.uk\nnews.bbc.co.uk",
                "category": "NEWS",
                "decider": "NGT",
                "reason": "The news pages moved",
            },
        ),
        302,
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose to retire a site",
        "post",
        lambda e: (f"{POLICY_SITES}{_site(e).pk}/retire", {"decider": "NGT", "reason": "Gone"}),
        302,
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a rule",
        "post",
        lambda e: (
            f"{POLICY_RULES}new",
            {
                "decider": "NGT",
                "rule_id": "news-at-ngt",
                "effect": "allow",
                "categories": ["NEWS"],
                "reason": "News for everyone",
            },
        ),
        302,
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a rule change",
        "post",
        lambda e: (
            f"{POLICY_RULES}{_rule_at_a(e).pk}/change",
            {"effect": "allow", "categories": ["EMPLOYMENT", "EDUCATION"], "reason": "Courses"},
        ),
        302,
        role=PROPOSER,
    ),
    Endpoint(
        "propose to remove a rule",
        "post",
        lambda e: (f"{POLICY_RULES}{_rule_at_a(e).pk}/remove", {"reason": "Not needed"}),
        302,
        role=PROPOSER,
    ),
    Endpoint(
        "propose an exception",
        "post",
        lambda e: (
            f"{EXCEPTIONS}propose",
            {
                "effect": "allow",
                "site": _site(e).pk,
                "until_day": "31",
                "until_month": "1",
                "until_year": "2099",
                "exception_reason": "Studying journalism",
                "reason": "Agreed with the course tutor",
            },
        ),
        302,
        role=PROPOSER,
    ),
    Endpoint(
        "propose to revoke an exception",
        "post",
        lambda e: (f"{EXCEPTIONS}{_exception_at_a(e).pk}/revoke", {"reason": "No longer needed"}),
        302,
        role=PROPOSER,
    ),
    Endpoint(
        "approve a proposal",
        "post",
        lambda e: (
            f"{PROPOSALS}{_proposal_at_a(e).pk}/decide",
            {"decision": "approve", "note": "Checked"},
        ),
        302,
        role=APPROVER,
    ),
    # Only the proposer may withdraw (the estate admin included), so not in SCOPED.
    Endpoint(
        "withdraw a proposal",
        "post",
        lambda e: (f"{PROPOSALS}{_proposal_at_a(e, own=True).pk}/withdraw", {}),
        302,
        scoped=False,
        role=PROPOSER,
    ),
]

ENDPOINTS = SITE_REQUESTS + POLICY

"""Four eyes: a change proposed in the staff UI takes effect only when a second person,
with the right role where it applies, approves it; both, and the diff, are on the record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from wicketgate.accounts.actions import do_create_staff_user
from wicketgate.accounts.models import User
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.people.actions import do_transfer_prisoner
from wicketgate.policy.engine import Engine
from wicketgate.policy.models import (
    AccessRule,
    Category,
    PolicyProposal,
    PrisonerException,
    Site,
)
from wicketgate.policy.proposals import (
    ProposalError,
    ProposalRefused,
    do_approve_policy_proposal,
    do_propose_policy_change,
    do_reject_policy_proposal,
    do_withdraw_policy_proposal,
    rule_cedar,
)
from wicketgate.testing.personas import PASSWORD, SETUP, Estate
from wicketgate.testing.policy import THURSDAY_10

ALAN = "A1234BC"  # STD at NGT (establishment A), category B
KIND = PolicyProposal.Kind
NEW_SITE = {"name": "NHS", "hosts": ["www.nhs.uk"], "category": "HEALTH"}


def staff(username: str, *roles: tuple[Any, str], admin: bool = False) -> User:
    return do_create_staff_user(
        username,
        password=PASSWORD,
        roles=list(roles),
        estate_admin=admin,
        actor=SETUP,
        check_password=False,
    )


@pytest.fixture
def people(policy: Estate) -> dict[str, User]:
    """A proposer and an approver at A, an approver at B, and the estate admin.

    Rules and exceptions are decided at their establishment; catalogue changes (sites
    and their retirement) are estate-wide, so only the estate admin decides them."""
    return {
        "teacher": staff("teacher.a", (policy.a, StaffRole.EDUCATION)),
        "security": staff("security.a", (policy.a, StaffRole.SECURITY)),
        "governor": staff("governor.a", (policy.a, StaffRole.GOVERNOR)),
        "governor_b": staff("governor.b", (policy.b, StaffRole.GOVERNOR)),
        "admin": policy.estate_admin,
    }


def propose(by: User, kind: str, payload: Any, where: Any, reason: str = "Needed") -> Any:
    return do_propose_policy_change(
        kind, payload, establishment=where, reason=reason, actor=Actor.of_user(by)
    )


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# --- proposing -----------------------------------------------------------------------------


def test_it_keeps_a_checked_proposal_and_what_it_replaces(
    policy: Estate, people: dict[str, User]
) -> None:
    proposal = propose(
        people["teacher"],
        KIND.SITE,
        {"name": "BBC News", "hosts": ["WWW.BBC.CO.UK", "news.bbc.co.uk"], "category": "NEWS"},
        policy.a,
    )
    assert proposal.status == PolicyProposal.Status.PENDING
    assert proposal.establishment is None  # the catalogue is the estate's
    assert proposal.payload["hosts"] == [
        "news.bbc.co.uk",
        "www.bbc.co.uk",
    ]  # as an import keeps them
    assert proposal.before["hosts"] == ["www.bbc.co.uk"]
    assert proposal.before["retired"] is False
    (event,) = events("policy.proposal.create")
    assert event.actor_label == "teacher.a" and event.establishment_id is None
    assert Site.objects.get(name="BBC News").hosts == ["www.bbc.co.uk"]  # nothing applied yet


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({**NEW_SITE, "hosts": ["www.*.uk"]}, ("hosts", "a wildcard may only be a leading '*.'")),
        ({**NEW_SITE, "category": "SPORT"}, ("category", "no category SPORT")),
        ({**NEW_SITE, "paths": ["conditions"]}, ("paths", "a path prefix starts with /")),
        ({**NEW_SITE, "colour": "blue"}, ("colour", "unknown key")),
    ],
)
def test_it_checks_a_site_as_an_import_would(
    policy: Estate, people: dict[str, User], payload: dict[str, Any], expected: tuple[str, str]
) -> None:
    with pytest.raises(ProposalError) as caught:
        propose(people["teacher"], KIND.SITE, payload, policy.a)
    field, message = caught.value.errors()[0]
    assert field == expected[0] and expected[1] in message
    assert not PolicyProposal.objects.exists() and not events("policy.proposal.create")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"id": "Jobs", "allow": ["EMPLOYMENT"]}, "id"),
        ({"id": "jobs", "allow": ["SPORT"]}, "allow"),
        ({"id": "jobs", "allow": ["EMPLOYMENT"], "hours": "weekdays"}, "hours"),
        ({"id": "jobs", "allow": ["EMPLOYMENT"], "when": {"alert": ["NOPE"]}}, "alert"),
        ({"id": "jobs", "allow": ["EMPLOYMENT"], "locations": ["BEACH"]}, "locations"),
    ],
)
def test_it_checks_a_rule_as_an_import_would(
    policy: Estate, people: dict[str, User], payload: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ProposalError) as caught:
        propose(people["teacher"], KIND.RULE, payload, policy.a)
    assert caught.value.errors()[0][0] == expected
    assert not PolicyProposal.objects.exists()


def test_it_refuses_a_proposal_that_changes_nothing(
    policy: Estate, people: dict[str, User]
) -> None:
    with pytest.raises(ProposalError, match="Nothing would change"):
        propose(people["admin"], KIND.RULE, {"id": "news", "allow": ["NEWS"]}, None)
    with pytest.raises(ProposalError, match="Nothing would change"):
        propose(
            people["teacher"],
            KIND.SITE,
            {"name": "BBC News", "hosts": ["www.bbc.co.uk"], "category": "NEWS"},
            policy.a,
        )


def test_it_refuses_a_proposal_without_a_reason(policy: Estate, people: dict[str, User]) -> None:
    with pytest.raises(ProposalError) as caught:
        propose(people["teacher"], KIND.SITE, NEW_SITE, policy.a, reason="  ")
    assert caught.value.errors() == [("reason", "Give the reason for the change")]


def test_only_staff_who_may_propose_there_can(policy: Estate, people: dict[str, User]) -> None:
    with pytest.raises(ProposalRefused):  # a wing officer may not propose policy
        propose(policy.clerk_a, KIND.SITE, NEW_SITE, policy.a)
    with pytest.raises(ProposalRefused):  # not at another establishment
        propose(people["teacher"], KIND.RULE, {"id": "jobs", "allow": ["EMPLOYMENT"]}, policy.b)
    # Estate-wide changes may be proposed by anyone who may propose; the estate admin decides.
    assert propose(people["teacher"], KIND.SITE, NEW_SITE, None).establishment is None


def test_an_exception_is_proposed_at_the_prisoners_establishment(
    policy: Estate, people: dict[str, User]
) -> None:
    payload = {
        "prisoner": ALAN,
        "allow": {"site": "OpenLearn"},
        "until": "2099-01-31",
        "reason": "Course",
    }
    with pytest.raises(ProposalError, match="held at HMP Northgate"):
        propose(people["admin"], KIND.EXCEPTION, payload, None)
    assert propose(people["teacher"], KIND.EXCEPTION, payload, policy.a).before is None


# --- who may approve -----------------------------------------------------------------------


def test_the_proposer_cannot_approve_their_own_proposal(
    policy: Estate, people: dict[str, User]
) -> None:
    security = people["security"]  # may approve rules at A, but not what they proposed
    proposal = propose(security, KIND.RULE, {"id": "jobs", "allow": ["EMPLOYMENT"]}, policy.a)
    with pytest.raises(ProposalRefused, match="someone else"):
        do_approve_policy_proposal(proposal, actor=Actor.of_user(security), note="")
    with pytest.raises(ProposalRefused, match="someone else"):
        do_reject_policy_proposal(proposal, actor=Actor.of_user(security), note="Changed my mind")
    proposal.refresh_from_db()
    assert proposal.status == PolicyProposal.Status.PENDING
    assert not AccessRule.objects.filter(rule_id="jobs").exists()
    assert (
        not AuditEvent.objects.filter(actor_label="security.a")
        .exclude(action="policy.proposal.create")
        .exists()
    )
    site = propose(people["admin"], KIND.SITE, NEW_SITE, None)  # nor the estate admin theirs
    with pytest.raises(ProposalRefused, match="someone else"):
        do_approve_policy_proposal(site, actor=Actor.of_user(people["admin"]), note="")


def test_the_database_refuses_a_decision_by_the_proposer(
    policy: Estate, people: dict[str, User]
) -> None:
    proposal = propose(people["security"], KIND.SITE, NEW_SITE, policy.a)
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyProposal.objects.filter(pk=proposal.pk).update(decided_by=people["security"])


@pytest.mark.parametrize("who", ["teacher2", "governor_b"])
def test_only_staff_who_may_approve_there_can(
    policy: Estate, people: dict[str, User], who: str
) -> None:
    people["teacher2"] = staff("teacher2.a", (policy.a, StaffRole.EDUCATION))
    proposal = propose(
        people["teacher"], KIND.RULE, {"id": "jobs", "allow": ["EMPLOYMENT"]}, policy.a
    )
    with pytest.raises(ProposalRefused, match="HMP Northgate"):
        do_approve_policy_proposal(proposal, actor=Actor.of_user(people[who]), note="")
    assert not AccessRule.objects.filter(rule_id="jobs").exists()


def test_an_estate_wide_proposal_is_for_the_estate_admin(
    policy: Estate, people: dict[str, User]
) -> None:
    proposal = propose(people["teacher"], KIND.SITE, NEW_SITE, None)
    with pytest.raises(ProposalRefused, match="estate administrator"):
        do_approve_policy_proposal(proposal, actor=Actor.of_user(people["security"]), note="")
    do_approve_policy_proposal(proposal, actor=Actor.of_user(people["admin"]), note="")
    assert Site.objects.get(name="NHS").approved_by == "estate.admin"


@pytest.mark.parametrize("kind", [KIND.SITE, KIND.RETIRE_SITE])
def test_a_catalogue_proposal_is_estate_wide_wherever_it_is_made(
    policy: Estate, people: dict[str, User], kind: str
) -> None:
    """The catalogue is shared by the whole estate: a site approved for one prison is
    reachable from every prison whose rules allow its category. So a site proposal made
    by staff at A is estate-wide, and A's governor, who decides A's rules, cannot decide
    it; the estate admin can."""
    payload = NEW_SITE if kind == KIND.SITE else {"name": "BBC News"}
    proposal = propose(people["teacher"], kind, payload, policy.a)
    assert proposal.establishment is None
    for who in ("governor", "security"):
        with pytest.raises(ProposalRefused, match="estate administrator"):
            do_approve_policy_proposal(proposal, actor=Actor.of_user(people[who]), note="")
        with pytest.raises(ProposalRefused, match="estate administrator"):
            do_reject_policy_proposal(proposal, actor=Actor.of_user(people[who]), note="No")
    proposal.refresh_from_db()
    assert proposal.status == PolicyProposal.Status.PENDING
    do_approve_policy_proposal(proposal, actor=Actor.of_user(people["admin"]), note="")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == (
        PolicyProposal.Status.APPROVED,
        people["admin"],
    )
    if kind == KIND.SITE:
        assert Site.objects.get(name="NHS").approved_by == "estate.admin"
    else:
        assert Site.objects.get(name="BBC News").retired_at is not None


def test_it_decides_a_proposal_only_once(policy: Estate, people: dict[str, User]) -> None:
    proposal = propose(people["teacher"], KIND.SITE, NEW_SITE, policy.a)
    do_reject_policy_proposal(proposal, actor=Actor.of_user(people["admin"]), note="Not needed")
    with pytest.raises(ProposalError, match="already been dealt with: rejected"):
        do_approve_policy_proposal(
            proposal, actor=Actor.of_user(staff("estate.admin2", admin=True)), note=""
        )
    assert not Site.objects.filter(name="NHS").exists()


# --- approving applies it --------------------------------------------------------------------


def test_approving_a_site_applies_it_with_both_people_named(
    policy: Estate, people: dict[str, User]
) -> None:
    engine = Engine(refresh_every=0)
    assert engine.decide(ALAN, "https://www.nhs.uk/", at=at(THURSDAY_10)).rules == (
        "catalogue:not-listed",
    )
    load = {**NEW_SITE, "category": "NEWS"}  # the "news" rule allows everyone NEWS
    proposal = propose(people["teacher"], KIND.SITE, load, policy.a, reason="Health advice")
    with pytest.raises(ProposalRefused, match="estate administrator"):  # not A's approvers
        do_approve_policy_proposal(
            proposal, actor=Actor.of_user(people["security"]), note="Checked"
        )
    after = do_approve_policy_proposal(
        proposal, actor=Actor.of_user(people["admin"]), note="Checked"
    )
    site = Site.objects.get(name="NHS")
    assert (site.proposed_by, site.approved_by, site.is_approved) == (
        "teacher.a",
        "estate.admin",
        True,
    )
    assert after["hosts"] == ["www.nhs.uk"]
    proposal.refresh_from_db()
    assert proposal.status == PolicyProposal.Status.APPROVED
    assert (proposal.decided_by, proposal.decision_note) == (people["admin"], "Checked")
    (event,) = events("policy.proposal.approve")
    assert event.actor_label == "estate.admin" and event.establishment_id is None
    assert event.details["proposed_by"] == "teacher.a"
    assert event.details["approved_by"] == "estate.admin"
    assert event.details["before"] is None and event.details["after"]["name"] == "NHS"
    assert engine.decide(ALAN, "https://www.nhs.uk/", at=at(THURSDAY_10)).allowed


def test_approving_a_rule_change_changes_decisions(policy: Estate, people: dict[str, User]) -> None:
    engine = Engine(refresh_every=0)
    assert engine.decide(ALAN, "https://www.bbc.co.uk/", at=at(THURSDAY_10)).allowed
    proposal = propose(
        people["admin"],
        KIND.RULE,
        {"id": "news", "allow": ["NEWS"], "when": {"incentive_level": ["ENH"]}},
        None,
    )
    assert proposal.before == {"id": "news", "allow": ["NEWS"]}
    second_admin = staff("estate.admin2", admin=True)
    do_approve_policy_proposal(proposal, actor=Actor.of_user(second_admin), note="")
    rule = AccessRule.objects.get(establishment=None, rule_id="news")
    assert rule.conditions == {"incentive_level": ["ENH"]}
    decision = engine.decide(ALAN, "https://www.bbc.co.uk/", at=at(THURSDAY_10))
    assert not decision.allowed and decision.rules == ("default:deny",)
    (event,) = events("policy.proposal.approve")
    assert event.details["before"] == {"id": "news", "allow": ["NEWS"]}
    assert event.details["after"]["when"] == {"incentive_level": ["ENH"]}


def test_a_rule_proposal_at_an_establishment_is_for_that_establishments_rule(
    policy: Estate, people: dict[str, User]
) -> None:
    proposal = propose(
        people["teacher"],
        KIND.RULE,
        {"id": "news", "forbid": "ALL", "when": {"alert": "CYBER"}},
        policy.a,
    )
    assert proposal.before is None  # the estate-wide "news" is another rule
    do_approve_policy_proposal(proposal, actor=Actor.of_user(people["security"]), note="")
    rule = AccessRule.objects.get(establishment=policy.a, rule_id="news")
    assert (rule.policy_id, rule.categories, rule.conditions) == (
        "rule:NGT:news",
        ["ALL"],
        {"alert": ["CYBER"]},
    )
    assert 'principal.establishment == "NGT"' in rule_cedar(proposal.payload, policy.a)


def test_approving_a_retirement_and_a_removal(policy: Estate, people: dict[str, User]) -> None:
    engine = Engine(refresh_every=0)
    retire = propose(people["teacher"], KIND.RETIRE_SITE, {"name": "BBC News"}, policy.a)
    remove = propose(people["admin"], KIND.DELETE_RULE, {"id": "news"}, None)
    assert retire.establishment is None  # the catalogue is the estate's
    with pytest.raises(ProposalRefused, match="estate administrator"):
        do_approve_policy_proposal(retire, actor=Actor.of_user(people["security"]), note="")
    do_approve_policy_proposal(retire, actor=Actor.of_user(people["admin"]), note="")
    do_approve_policy_proposal(
        remove, actor=Actor.of_user(staff("estate.admin2", admin=True)), note=""
    )
    assert Site.objects.get(name="BBC News").retired_at is not None
    assert not AccessRule.objects.filter(rule_id="news").exists()
    assert engine.decide(ALAN, "https://www.bbc.co.uk/", at=at(THURSDAY_10)).rules == (
        "catalogue:not-listed",
    )
    assert sorted(
        AuditEvent.objects.filter(
            action__in=["policy.site.retire", "policy.rule.delete"]
        ).values_list("action", "actor_label")
    ) == [("policy.rule.delete", "estate.admin2"), ("policy.site.retire", "estate.admin")]


def test_approving_an_exception_and_its_revocation(policy: Estate, people: dict[str, User]) -> None:
    engine = Engine(refresh_every=0)
    grant = propose(
        people["teacher"],
        KIND.EXCEPTION,
        {
            "prisoner": ALAN,
            "forbid": {"site": "BBC News"},
            "until": "2099-01-31",
            "reason": "Misuse",
        },
        policy.a,
    )
    after = do_approve_policy_proposal(grant, actor=Actor.of_user(people["security"]), note="")
    exception = PrisonerException.objects.get()
    assert (exception.approved_by, after["forbid"]) == ("security.a", {"site": "BBC News"})
    assert (
        "exception:forbid-site"
        in engine.decide(ALAN, "https://www.bbc.co.uk/", at=at(THURSDAY_10)).rules
    )
    revoke = propose(
        people["teacher"], KIND.REVOKE_EXCEPTION, {"exception": exception.pk}, policy.a
    )
    assert revoke.before["reason"] == "Misuse"
    do_approve_policy_proposal(revoke, actor=Actor.of_user(people["security"]), note="")
    exception.refresh_from_db()
    assert exception.revoked_at is not None
    assert engine.decide(ALAN, "https://www.bbc.co.uk/", at=at(THURSDAY_10)).allowed


# --- rejecting and withdrawing ---------------------------------------------------------------


def test_rejecting_applies_nothing_and_says_why(policy: Estate, people: dict[str, User]) -> None:
    proposal = propose(people["teacher"], KIND.SITE, NEW_SITE, policy.a)
    with pytest.raises(ProposalError, match="Say why"):
        do_reject_policy_proposal(proposal, actor=Actor.of_user(people["admin"]), note=" ")
    with pytest.raises(ProposalRefused, match="estate administrator"):
        do_reject_policy_proposal(
            proposal, actor=Actor.of_user(people["security"]), note="Not at A"
        )
    do_reject_policy_proposal(
        proposal, actor=Actor.of_user(people["admin"]), note="Use the NHS app instead"
    )
    assert proposal.status == PolicyProposal.Status.REJECTED
    assert proposal.decided_by == people["admin"]
    assert not Site.objects.filter(name="NHS").exists()
    (event,) = events("policy.proposal.reject")
    assert event.details["note"] == "Use the NHS app instead"


def test_only_the_proposer_may_withdraw(policy: Estate, people: dict[str, User]) -> None:
    proposal = propose(people["teacher"], KIND.SITE, NEW_SITE, policy.a)
    with pytest.raises(ProposalRefused):
        do_withdraw_policy_proposal(proposal, actor=Actor.of_user(people["security"]))
    do_withdraw_policy_proposal(proposal, actor=Actor.of_user(people["teacher"]))
    assert proposal.status == PolicyProposal.Status.WITHDRAWN and proposal.decided_by is None
    assert len(events("policy.proposal.withdraw")) == 1
    with pytest.raises(ProposalError, match="already been dealt with"):
        do_approve_policy_proposal(proposal, actor=Actor.of_user(people["admin"]), note="")


# --- stale proposals -------------------------------------------------------------------------


def test_it_refuses_a_proposal_whose_category_has_gone(
    policy: Estate, people: dict[str, User]
) -> None:
    Category.objects.create(code="JOB_SEARCH", name="Job search")
    proposal = propose(
        people["teacher"], KIND.SITE, {**NEW_SITE, "category": "JOB_SEARCH"}, policy.a
    )
    Category.objects.filter(code="JOB_SEARCH").delete()
    with pytest.raises(ProposalError, match="no category JOB_SEARCH"):
        do_approve_policy_proposal(proposal, actor=Actor.of_user(people["admin"]), note="")
    proposal.refresh_from_db()
    assert proposal.status == PolicyProposal.Status.PENDING
    assert not Site.objects.filter(name="NHS").exists() and not events("policy.proposal.approve")


def test_it_refuses_a_proposal_whose_site_was_renamed_or_changed_since(
    policy: Estate, people: dict[str, User]
) -> None:
    change = propose(
        people["teacher"],
        KIND.SITE,
        {"name": "BBC News", "hosts": ["www.bbc.co.uk", "news.bbc.co.uk"], "category": "NEWS"},
        policy.a,
    )
    other = propose(people["teacher"], KIND.SITE, {**NEW_SITE, "name": "Open University"}, policy.a)
    Site.objects.filter(name="BBC News").update(name="BBC")
    Site.objects.filter(name="Open University").update(paths=["/courses/"])
    with pytest.raises(ProposalError, match="The site BBC News has changed since"):
        do_approve_policy_proposal(change, actor=Actor.of_user(people["admin"]), note="")
    with pytest.raises(ProposalError, match="The site Open University has changed since"):
        do_approve_policy_proposal(other, actor=Actor.of_user(people["admin"]), note="")
    assert not Site.objects.filter(name="BBC News").exists()  # no second copy made


def test_it_refuses_an_exception_for_a_prisoner_who_has_moved(
    policy: Estate, people: dict[str, User]
) -> None:
    proposal = propose(
        people["teacher"],
        KIND.EXCEPTION,
        {
            "prisoner": ALAN,
            "allow": {"category": "NEWS"},
            "until": "2099-01-31",
            "reason": "Course",
        },
        policy.a,
    )
    do_transfer_prisoner(policy.prisoner_a, policy.b, actor=SETUP)
    with pytest.raises(ProposalError, match="held at HMP Riverside"):
        do_approve_policy_proposal(proposal, actor=Actor.of_user(people["security"]), note="")
    assert not PrisonerException.objects.exists()


def test_only_a_member_of_staff_in_person_proposes_or_decides(
    policy: Estate, people: dict[str, User]
) -> None:
    """An operator at the console, or an account since made inactive, cannot stand in for
    the second person: the four-eyes check needs the account behind the actor."""
    with pytest.raises(ProposalRefused, match="Only a member of staff"):
        do_propose_policy_change(
            KIND.SITE, NEW_SITE, establishment=None, reason="x", actor=Actor.operator("root")
        )
    proposal = propose(people["teacher"], KIND.SITE, NEW_SITE, policy.a)
    with pytest.raises(ProposalRefused, match="Only a member of staff"):
        do_approve_policy_proposal(proposal, actor=Actor.operator("root"), note="")
    admin = people["admin"]
    User.objects.filter(pk=admin.pk).update(is_active=False)
    with pytest.raises(ProposalRefused, match="Only a member of staff"):
        do_approve_policy_proposal(proposal, actor=Actor.of_user(admin), note="")
    proposal.refresh_from_db()
    assert proposal.status == PolicyProposal.Status.PENDING
    assert not Site.objects.filter(name="NHS").exists()

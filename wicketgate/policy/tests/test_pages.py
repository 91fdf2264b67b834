"""The policy pages: catalogue, rules with their Cedar text, proposals decided by a second
person (four eyes), and the "why?" tool. Who may open each page at all is in
test_access.py (see endpoints.POLICY); here is what each one does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from wicketgate.accounts.models import StaffMembership
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.people.actions import do_add_alert
from wicketgate.policy import engine as engine_module
from wicketgate.policy.engine import Engine
from wicketgate.policy.models import AccessRule, Category, PolicyProposal, PrisonerException, Site
from wicketgate.policy.tests.endpoints import POLICY as POLICY_ENDPOINTS
from wicketgate.testing.endpoints import Endpoint
from wicketgate.testing.personas import SETUP, Estate, sign_in_staff, staff_client
from wicketgate.testing.policy import IN_THE_POLICY_WEEK, POLICY

SITES = "/staff/policy/sites/"
RULES = "/staff/policy/rules/"
PROPOSALS = "/staff/policy/proposals/"
WHY = "/staff/policy/why/"
ALAN = "A1234BC"
THURSDAY_DATE = dt.date(2026, 11, 26)
THURSDAY = {"on_day": "26", "on_month": "11", "on_year": "2026"}


@pytest.fixture(autouse=True)
def _policy(estate: Estate, load_policy: Callable[[str], Any]) -> None:
    load_policy(POLICY)
    # A fresh engine that re-reads the policy version on every decision, as the API tests do.
    engine_module._engine = Engine(refresh_every=0)


staff = staff_client


def propose_site(client: Client, **fields: Any) -> Any:
    data = {
        "name": "NHS",
        "hosts": "www.nhs.uk",
        "category": "NEWS",  # the estate-wide "news" rule allows NEWS to everyone
        "decider": "NGT",
        "reason": "Health advice",
        **fields,
    }
    return client.post(f"{SITES}new", data)


def only_proposal() -> PolicyProposal:
    return PolicyProposal.objects.get()


def decide(client: Client, proposal: PolicyProposal, decision: str, note: str = "") -> Any:
    return client.post(f"{PROPOSALS}{proposal.pk}/decide", {"decision": decision, "note": note})


def nhs_allowed() -> bool:
    return engine_module.decide(ALAN, "https://www.nhs.uk/").allowed


# --- the catalogue ---------------------------------------------------------------------------


def test_it_searches_the_catalogue_by_name_address_and_category(
    client_a: Client, estate: Estate
) -> None:
    content = client_a.get(f"{SITES}?q=open.edu").content.decode()
    assert "OpenLearn" in content and "Open University" in content and "BBC News" not in content
    content = client_a.get(f"{SITES}?category=EMPLOYMENT").content.decode()
    assert "Find a job" in content and "OpenLearn" not in content
    content = client_a.get(f"{SITES}?q=job+search").content.decode()  # a category's name
    assert "Find a job" in content and "Open prison jobs" in content and "BBC News" not in content


def test_it_highlights_a_review_date_that_has_passed(client_a: Client, estate: Estate) -> None:
    Site.objects.filter(name="BBC News").update(review_by="2020-01-01")
    content = client_a.get(f"{SITES}?review=overdue").content.decode()
    assert "BBC News" in content and "Overdue" in content and "Find a job" not in content
    site = Site.objects.get(name="BBC News")
    assert "Its review date has passed" in client_a.get(f"{SITES}{site.pk}/").content.decode()


def test_a_member_of_staff_who_may_only_view_sees_but_cannot_propose(estate: Estate) -> None:
    visits = staff(estate, "visits.a", StaffRole.VISITS)
    assert "Propose a site" not in visits.get(SITES).content.decode()
    assert visits.get(RULES).status_code == 200


@pytest.mark.parametrize(
    "endpoint",
    # Withdrawing is the proposer's own business, whatever their role now.
    [e for e in POLICY_ENDPOINTS if e.role != StaffRole.WING_OFFICER and "withdraw" not in e.name],
    ids=str,
)
def test_it_gives_staff_who_may_not_propose_or_approve_a_404(
    estate: Estate, endpoint: Endpoint
) -> None:
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.VISITS)
    url, data = endpoint.build(estate)
    before = AuditEvent.objects.count()
    client = sign_in_staff(Client(), estate.clerk_a)
    response = client.post(url, data) if endpoint.method == "post" else client.get(url)
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


def test_a_proposal_is_checked_as_an_import_would_be(teacher: Client, estate: Estate) -> None:
    response = propose_site(teacher, hosts="www.*.uk", paths="conditions")
    content = response.content.decode()
    assert response.status_code == 200
    assert "a wildcard may only be a leading" in content
    assert "a path prefix starts with /" in content
    assert not PolicyProposal.objects.exists()


def test_an_outsider_cannot_propose_for_another_establishment(estate: Estate) -> None:
    outsider = staff(estate, "teacher.b", StaffRole.EDUCATION, where="b")
    response = propose_site(outsider)
    assert response.status_code == 200
    assert "Choose one of your establishments from the list" in response.content.decode()
    assert not PolicyProposal.objects.exists()


# --- four eyes -------------------------------------------------------------------------------


def test_the_proposer_cannot_approve_their_own_proposal(security: Client, estate: Estate) -> None:
    response = propose_site(security)
    proposal = only_proposal()
    assert response["Location"] == f"{PROPOSALS}{proposal.pk}/"
    page = security.get(response["Location"]).content.decode()
    assert "You proposed this change, so someone else must approve or reject it." in page
    assert 'value="approve"' not in page  # no Approve button
    before = AuditEvent.objects.count()
    refused = decide(security, proposal, "approve")
    assert refused.status_code == 403
    assert "someone else must approve" in refused.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == PolicyProposal.Status.PENDING
    assert not Site.objects.filter(name="NHS").exists() and not nhs_allowed()
    assert AuditEvent.objects.count() == before  # nothing recorded as approved


def test_approval_by_a_second_person_applies_it_at_once(
    teacher: Client, security: Client, client_admin: Client, estate: Estate
) -> None:
    propose_site(teacher)
    proposal = only_proposal()
    assert proposal.establishment is None  # the catalogue is the estate's
    assert not nhs_allowed()
    # A's approvers decide A's rules, not the estate's catalogue.
    assert "Add the site NHS" not in security.get(PROPOSALS).content.decode()
    assert decide(security, proposal, "approve", "Checked the site").status_code == 404
    assert not nhs_allowed()
    queue = client_admin.get(PROPOSALS).content.decode()
    assert "Add the site NHS" in queue and "Review and decide" in queue
    page = client_admin.get(f"{PROPOSALS}{proposal.pk}/").content.decode()
    assert 'value="approve"' in page and "www.nhs.uk" in page
    response = decide(client_admin, proposal, "approve", "Checked the site")
    assert response.status_code == 302
    assert nhs_allowed()
    site = Site.objects.get(name="NHS")
    assert (site.proposed_by, site.approved_by) == ("teacher.a", "estate.admin")
    event = AuditEvent.objects.get(action="policy.proposal.approve")
    assert (event.details["proposed_by"], event.details["approved_by"]) == (
        "teacher.a",
        "estate.admin",
    )
    assert event.details["after"]["hosts"] == ["www.nhs.uk"]
    assert "Approved and applied" in client_admin.get(f"{PROPOSALS}{proposal.pk}/").content.decode()
    # The proposer follows it to the end.
    assert "Approved and applied" in teacher.get(f"{PROPOSALS}{proposal.pk}/").content.decode()


def test_staff_who_may_only_propose_see_the_proposal_but_cannot_decide(
    teacher: Client, security: Client, estate: Estate
) -> None:
    # A rule at A: decided at A (a site would be the estate administrator's).
    response = security.post(
        f"{RULES}new",
        {
            "rule_id": "jobs",
            "effect": "allow",
            "categories": ["EMPLOYMENT"],
            "decider": "NGT",
            "reason": "Job search",
        },
    )
    assert response.status_code == 302, response.content.decode()
    proposal = only_proposal()
    assert proposal.establishment == estate.a
    page = teacher.get(f"{PROPOSALS}{proposal.pk}/").content.decode()
    assert "Only staff who may approve policy at HMP Northgate can decide" in page
    assert decide(teacher, proposal, "approve").status_code == 403
    assert not AccessRule.objects.filter(rule_id="jobs").exists()


def test_rejection_applies_nothing_and_needs_a_note(
    teacher: Client, security: Client, client_admin: Client, estate: Estate
) -> None:
    propose_site(teacher)
    proposal = only_proposal()
    assert decide(security, proposal, "reject", "Not at A").status_code == 404  # estate-wide
    without = decide(client_admin, proposal, "reject")
    assert without.status_code == 200 and "Say why it is rejected" in without.content.decode()
    assert decide(client_admin, proposal, "reject", "Use the NHS app").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == PolicyProposal.Status.REJECTED
    assert not Site.objects.filter(name="NHS").exists() and not nhs_allowed()
    assert AuditEvent.objects.filter(action="policy.proposal.reject").count() == 1


def test_the_proposer_may_withdraw(teacher: Client, security: Client, estate: Estate) -> None:
    propose_site(teacher)
    proposal = only_proposal()
    assert security.post(f"{PROPOSALS}{proposal.pk}/withdraw").status_code == 404
    assert teacher.post(f"{PROPOSALS}{proposal.pk}/withdraw").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == PolicyProposal.Status.WITHDRAWN


def test_an_outsider_cannot_see_or_decide_a_proposal(teacher: Client, estate: Estate) -> None:
    propose_site(teacher)
    proposal = only_proposal()
    outsider = staff(estate, "security.b", StaffRole.SECURITY, where="b")
    assert outsider.get(f"{PROPOSALS}{proposal.pk}/").status_code == 404
    assert decide(outsider, proposal, "approve").status_code == 404
    assert "Add the site NHS" not in outsider.get(PROPOSALS).content.decode()


def test_a_stale_proposal_is_refused_with_a_clear_message(
    teacher: Client, client_admin: Client, estate: Estate
) -> None:
    bbc = Site.objects.get(name="BBC News")
    teacher.post(
        f"{SITES}{bbc.pk}/change",
        {
            "hosts": "www.bbc.co.uk\nnews.bbc.co.uk",
            "category": "NEWS",
            "decider": "NGT",
            "reason": "More pages",
        },
    )
    Category.objects.create(code="JOB_SEARCH", name="Job search")
    propose_site(teacher, category="JOB_SEARCH")
    change, new = PolicyProposal.objects.order_by("pk")
    Site.objects.filter(pk=bbc.pk).update(name="BBC")  # renamed since
    Category.objects.filter(code="JOB_SEARCH").delete()  # gone since
    renamed = decide(client_admin, change, "approve")
    assert renamed.status_code == 409
    assert "The site BBC News has changed since this was proposed" in renamed.content.decode()
    gone = decide(client_admin, new, "approve")
    assert gone.status_code == 409 and "no category JOB_SEARCH" in gone.content.decode()
    assert not Site.objects.filter(name__in=["BBC News", "NHS"]).exists()
    assert not AuditEvent.objects.filter(action="policy.proposal.approve").exists()


# --- rules -----------------------------------------------------------------------------------


def test_the_rules_page_shows_each_rule_in_words_and_in_cedar(
    client_a: Client, estate: Estate
) -> None:
    AccessRule.objects.create(
        establishment=estate.b, rule_id="riverside-only", effect="allow", categories=["NEWS"]
    )
    content = client_a.get(RULES).content.decode()
    assert 'id="rule-estate-std-learning"' in content
    assert (
        "Allows Education and Employment and job search sites to people on Standard or "
        "Enhanced, Mon–Fri 08:00–20:00; Sat–Sun 10:00–16:00, only from: cell or education."
    ) in content
    assert "@id(&quot;rule:estate:cyber-no-news&quot;)" in content
    assert "principal.alerts.containsAny([&quot;CYBER&quot;])" in content
    assert "riverside-only" not in content  # another establishment's rule


def test_a_rule_change_is_shown_with_its_cedar_before_and_after(
    teacher: Client, security: Client, estate: Estate
) -> None:
    rule = AccessRule.objects.create(
        establishment=estate.a, rule_id="jobs", effect="allow", categories=["EMPLOYMENT"]
    )
    response = teacher.post(
        f"{RULES}{rule.pk}/change",
        {
            "effect": "allow",
            "categories": ["EMPLOYMENT"],
            "incentive_levels": ["ENH"],
            "hours": "Mon-Fri 09:00-17:00",
            "reason": "Only for the enhanced, in the day",
        },
    )
    assert response.status_code == 302, response.content.decode()
    proposal = only_proposal()
    assert proposal.before is not None
    assert proposal.establishment == estate.a and proposal.before["id"] == "jobs"
    page = security.get(response["Location"]).content.decode()
    assert "Change the rule jobs at HMP Northgate" in page
    assert "[&quot;ENH&quot;].contains(principal.incentive_level)" in page  # after
    assert page.count("@id(&quot;rule:NGT:jobs&quot;)") == 2  # before and after
    decide(security, proposal, "approve")
    rule.refresh_from_db()
    assert (rule.conditions, rule.hours) == ({"incentive_level": ["ENH"]}, "Mon-Fri 09:00-17:00")


def test_an_outsider_cannot_propose_a_change_to_a_rule_elsewhere(estate: Estate) -> None:
    rule = AccessRule.objects.create(
        establishment=estate.a, rule_id="jobs", effect="allow", categories=["EMPLOYMENT"]
    )
    outsider = staff(estate, "teacher.b", StaffRole.EDUCATION, where="b")
    assert outsider.get(f"{RULES}{rule.pk}/change").status_code == 404


# --- why? ------------------------------------------------------------------------------------


def why(client: Client, url: str, time: str, location: str = "CELL", number: str = ALAN) -> str:
    query = {"prisoner": number, "url": url, "time": time, "location": location, **THURSDAY}
    return client.get(WHY, query).content.decode()


@IN_THE_POLICY_WEEK
def test_why_explains_an_allowed_request(client_a: Client, estate: Estate) -> None:
    content = why(client_a, "https://www.open.edu/openlearn/course", "10:00")
    assert '<h2 class="govuk-heading-m" id="answer">Allowed</h2>' in content
    assert 'href="/staff/policy/rules/#rule-estate-std-learning"' in content
    assert "Education sites are open to you Mon–Fri 08:00–20:00" in content
    assert "Category B" in content and "Standard" in content


@IN_THE_POLICY_WEEK
def test_why_explains_a_denied_request_and_the_facts_behind_it(
    client_a: Client, estate: Estate, load_policy: Callable[[str], Any]
) -> None:
    load_policy(
        "exceptions:\n  - {prisoner: A1234BC, forbid: {category: NEWS}, until: 2099-01-31, reason: Misuse}\n"
    )
    # In force from the Thursday asked about (today is the Monday before).
    do_add_alert(estate.prisoner_a, "CYBER", actor=SETUP, starts_on=THURSDAY_DATE)
    late = why(client_a, "https://www.open.edu/openlearn/", "22:00")
    assert '<h2 class="govuk-heading-m" id="answer">Not allowed</h2>' in late
    assert "default:deny" in late and "Education sites are open Mon–Fri 08:00–20:00" in late
    news = why(client_a, "https://www.bbc.co.uk/", "10:00")
    assert "rule:estate:cyber-no-news" in news and "exception:forbid-category" in news
    assert "People with an IT misuse alert cannot read news sites." in news
    assert "CYBER" in news and "Misuse" in news  # the alert and the exception in force
    assert PrisonerException.objects.count() == 1
    unlisted = why(client_a, "https://www.example.org/", "10:00")
    assert "catalogue:not-listed" in unlisted and "Not in the catalogue" in unlisted


@IN_THE_POLICY_WEEK
def test_why_is_scoped_to_the_users_prisoners(client_b: Client, estate: Estate) -> None:
    hidden = why(client_b, "https://www.bbc.co.uk/", "10:00")
    missing = why(client_b, "https://www.bbc.co.uk/", "10:00", number="Z9999ZZ")
    message = "There is no one with that prison number at your establishments"
    assert message in hidden and message in missing
    assert 'id="answer"' not in hidden and "Category B" not in hidden


@IN_THE_POLICY_WEEK
def test_why_refuses_an_address_it_cannot_decide(client_a: Client, estate: Estate) -> None:
    content = why(client_a, "ftp://files.example.org/", "10:00")
    assert "only http and https addresses are decided" in content and 'id="answer"' not in content


def test_the_staff_navigation_has_policy(client_a: Client, estate: Estate) -> None:
    assert 'href="/staff/policy/sites/"' in client_a.get("/staff/").content.decode()


def test_an_estate_wide_proposal_is_for_the_estate_admin(
    teacher: Client, client_admin: Client, security: Client, estate: Estate
) -> None:
    propose_site(teacher, decider="")
    proposal = only_proposal()
    assert proposal.establishment is None
    assert security.get(f"{PROPOSALS}{proposal.pk}/").status_code == 404
    assert decide(client_admin, proposal, "approve").status_code == 302
    assert Site.objects.get(name="NHS").approved_by == "estate.admin"


def test_why_shows_a_sanction_in_force_and_what_its_rule_means(
    client_a: Client, estate: Estate
) -> None:
    import datetime as dt

    from django.utils import timezone

    from wicketgate.conduct.actions import do_add_sanction

    do_add_sanction(
        prisoner=estate.prisoner_a,
        service="web",
        categories=["NEWS"],
        days=3,
        reason="Proved charge",
        actor=SETUP,
    )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    day = {"on_day": tomorrow.day, "on_month": tomorrow.month, "on_year": tomorrow.year}
    query: dict[str, str | int] = {
        "prisoner": ALAN,
        "url": "https://www.bbc.co.uk/",
        "time": "10:00",
        **day,
    }
    content = client_a.get(WHY, {**query, "location": "CELL"}).content.decode()
    assert "sanction:web-category" in content
    assert (
        "Forbids a category to a prisoner while a sanction on that category is in force." in content
    )
    assert "web: NEWS" in content  # the fact the decision was made on


def test_a_site_on_another_port_and_an_internal_service_are_proposed_and_shown(
    teacher: Client, client_admin: Client, estate: Estate
) -> None:
    response = propose_site(
        teacher, name="Library", hosts="library.prison.test", ports="8080, 8443", internal="on"
    )
    assert response.status_code == 302, response.content.decode()
    proposal = only_proposal()
    assert (proposal.payload["ports"], proposal.payload["internal"]) == ([8080, 8443], True)
    page = client_admin.get(f"{PROPOSALS}{proposal.pk}/").content.decode()
    assert "8080, 8443" in page and "80, 443" not in page  # an internal service: its own only
    assert "it may be on a network the gateway refuses for every other site" in page
    decide(client_admin, proposal, "approve", "The offline library")
    site = Site.objects.get(name="Library")
    assert (site.ports, site.internal) == ([8080, 8443], True)
    shown = client_admin.get(f"{SITES}{site.pk}/").content.decode()
    assert "8080, 8443" in shown and "Internal service" in shown


def test_a_port_that_is_not_one_is_named_against_its_field(teacher: Client, estate: Estate) -> None:
    response = propose_site(teacher, ports="8080 http")
    assert response.status_code == 200
    assert "Enter ports as numbers from 1 to 65535" in response.content.decode()
    assert not PolicyProposal.objects.exists()


def test_a_site_passed_through_is_proposed_and_shown_with_its_risk(
    teacher: Client, client_admin: Client, estate: Estate
) -> None:
    response = propose_site(
        teacher, name="Legal advice", hosts="www.citizensadvice.org.uk", https="pass-through"
    )
    assert response.status_code == 302, response.content.decode()
    proposal = only_proposal()
    assert proposal.payload["https"] == "pass-through"
    page = client_admin.get(f"{PROPOSALS}{proposal.pk}/").content.decode()
    assert "Passed through: never decrypted." in page and "domain fronting" in page
    decide(client_admin, proposal, "approve", "Legal advice is private")
    site = Site.objects.get(name="Legal advice")
    assert site.https == "pass-through"
    shown = client_admin.get(f"{SITES}{site.pk}/").content.decode()
    assert "Its HTTPS is passed through, never decrypted" in shown
    # Sites are inspected unless someone says otherwise.
    propose_site(teacher, name="NHS", hosts="www.nhs.uk")
    assert PolicyProposal.objects.latest("pk").payload["https"] == "inspect"


def test_a_site_passed_through_cannot_be_limited_to_some_pages(
    teacher: Client, estate: Estate
) -> None:
    response = propose_site(teacher, paths="/advice/", https="pass-through")
    assert response.status_code == 200
    assert "a site passed through is never decrypted" in response.content.decode()
    assert not PolicyProposal.objects.exists()

"""A prisoner's web access exceptions: listed on their profile, proposed and revoked from
there, and applied only when a second person approves (four eyes). Who may open each
page at all is in test_access.py (see endpoints.POLICY); here is what each one does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.policy.engine import Engine
from wicketgate.policy.models import PolicyProposal, PrisonerException, Site
from wicketgate.testing.personas import Estate, staff_client
from wicketgate.testing.policy import POLICY, THURSDAY_22

ALAN = "A1234BC"
PROFILE = f"/staff/prisoners/{ALAN}/"
PROPOSE = f"{PROFILE}exceptions/propose"
PROPOSALS = "/staff/policy/proposals/"
BBC = "https://www.bbc.co.uk/"  # the estate-wide "news" rule allows it to everyone


@pytest.fixture(autouse=True)
def _policy(estate: Estate, load_policy: Callable[[str], Any]) -> None:
    load_policy(POLICY)


staff = staff_client


def propose(client: Client, **fields: Any) -> Any:
    data = {
        "effect": "forbid",
        "site": Site.objects.get(name="BBC News").pk,
        "until_day": "31",
        "until_month": "1",
        "until_year": "2099",
        "exception_reason": "Misuse of the news site",
        "reason": "Security intelligence report",
        **fields,
    }
    return client.post(PROPOSE, data)


def approve(client: Client, proposal: PolicyProposal) -> Any:
    return client.post(f"{PROPOSALS}{proposal.pk}/decide", {"decision": "approve", "note": "OK"})


def bbc_allowed() -> bool:
    return Engine(refresh_every=0).decide(ALAN, BBC).allowed


def test_it_lists_the_exceptions_on_the_profile(teacher: Client, estate: Estate) -> None:
    news = PrisonerException.objects.create(
        prisoner=estate.prisoner_a,
        effect="forbid",
        site=Site.objects.get(name="BBC News"),
        until=dt.date(2099, 1, 31),
        reason="Misuse of the news site",
        approved_by="security.a",
    )
    PrisonerException.objects.create(
        prisoner=estate.prisoner_a,
        effect="allow",
        site=Site.objects.get(name="Find a job"),
        until=dt.date(2099, 1, 31),
        reason="Release planning",
        approved_by="security.a",
        revoked_at=timezone.now(),
    )
    content = teacher.get(PROFILE).content.decode()
    assert "Web access exceptions" in content and "Propose an exception" in content
    assert "Misuse of the news site" in content and "security.a" in content
    assert "Release planning" in content and "Revoked" in content
    assert content.count("Propose to revoke") == 1  # only the one in force
    assert f"{PROFILE}exceptions/{news.pk}/revoke" in content
    viewer = staff(estate, "visits.a", StaffRole.VISITS).get(PROFILE).content.decode()
    assert "Misuse of the news site" in viewer
    assert "Propose an exception" not in viewer and "Propose to revoke" not in viewer


def test_the_owner_proposes_an_exception(teacher: Client, estate: Estate) -> None:
    response = propose(teacher)
    proposal = PolicyProposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{PROPOSALS}{proposal.pk}/"
    assert (proposal.kind, proposal.establishment) == (PolicyProposal.Kind.EXCEPTION, estate.a)
    assert proposal.payload == {
        "prisoner": ALAN,
        "forbid": {"site": "BBC News"},
        "until": "2099-01-31",
        "reason": "Misuse of the news site",
    }
    page = teacher.get(response["Location"]).content.decode()
    assert "govuk-notification-banner" in page and "Proposed." in page
    assert "Make an exception for A1234BC" in page
    assert not PrisonerException.objects.exists() and bbc_allowed()


def test_an_outsider_or_staff_who_may_not_propose_get_a_404(estate: Estate) -> None:
    outsider = staff(estate, "teacher.b", StaffRole.EDUCATION, where="b")
    visits = staff(estate, "visits.a", StaffRole.VISITS)
    for client in (outsider, visits):
        assert client.get(PROPOSE).status_code == 404
        assert propose(client).status_code == 404
    assert not PolicyProposal.objects.exists()


def test_approval_by_a_second_person_grants_it_and_revoking_takes_it_back(
    teacher: Client, security: Client, estate: Estate
) -> None:
    propose(teacher)
    assert bbc_allowed()
    response = approve(security, PolicyProposal.objects.get())
    assert response.status_code == 302
    exception = PrisonerException.objects.get()
    assert exception.site is not None
    assert (exception.effect, exception.site.name, exception.approved_by) == (
        "forbid",
        "BBC News",
        "security.a",
    )
    assert not bbc_allowed()

    revoke = f"{PROFILE}exceptions/{exception.pk}/revoke"
    page = teacher.get(revoke).content.decode()
    assert "Forbid the site BBC News" in page and "31 January 2099" in page
    response = teacher.post(revoke, {"reason": "Completed the course"})
    proposal = PolicyProposal.objects.get(kind=PolicyProposal.Kind.REVOKE_EXCEPTION)
    assert response["Location"] == f"{PROPOSALS}{proposal.pk}/"
    assert proposal.payload == {"exception": exception.pk}
    assert not bbc_allowed()  # not until it is approved
    assert approve(security, proposal).status_code == 302
    assert bbc_allowed()
    exception.refresh_from_db()
    assert exception.revoked_at is not None
    profile = teacher.get(PROFILE).content.decode()
    assert "No exceptions in force." in profile and "Revoked" in profile
    assert teacher.get(revoke).status_code == 404  # nothing left to revoke


def test_a_category_exception_allows_what_no_rule_does(
    teacher: Client, security: Client, estate: Estate
) -> None:
    job = "https://findajob.dwp.gov.uk/"
    at = dt.datetime.fromisoformat(THURSDAY_22)  # after std-learning's hours
    assert not Engine(refresh_every=0).decide(ALAN, job, at=at).allowed
    propose(teacher, effect="allow", site="", category="EMPLOYMENT")
    approve(security, PolicyProposal.objects.get())
    assert Engine(refresh_every=0).decide(ALAN, job, at=at).allowed


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        (
            {"effect": "", "site": "", "until_day": "", "exception_reason": "", "reason": ""},
            [
                "Choose allow or forbid",
                "Choose a site or a category",
                "Until must include a day, month and year",
                "Give the reason for the exception",
                "Give the reason for the change",
            ],
        ),
        ({"category": "EMPLOYMENT"}, ["Choose a site or a category, not both"]),
        ({"until_year": "2020"}, ["The last day it applies must be today or in the future"]),
        ({"until_month": "2", "until_day": "30"}, ["Until must be a real date"]),
    ],
    ids=["empty", "both", "in the past", "not a date"],
)
def test_bad_input_is_shown_in_the_error_summary_and_writes_nothing(
    teacher: Client, estate: Estate, fields: dict[str, str], messages: list[str]
) -> None:
    before = AuditEvent.objects.count()
    response = propose(teacher, **fields)
    assert response.status_code == 200
    content = response.content.decode()
    assert "govuk-error-summary" in content
    for message in messages:
        assert message in content
    assert not PolicyProposal.objects.exists() and not PrisonerException.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_retired_site_cannot_be_chosen(teacher: Client, estate: Estate) -> None:
    Site.objects.filter(name="BBC News").update(retired_at=timezone.now())
    assert "BBC News" not in teacher.get(PROPOSE).content.decode()
    response = propose(teacher)
    assert "Choose a site from the list" in response.content.decode()
    assert not PolicyProposal.objects.exists()


def test_an_exception_in_force_already_is_refused(
    teacher: Client, security: Client, estate: Estate
) -> None:
    propose(teacher)
    approve(security, PolicyProposal.objects.get())
    response = propose(teacher)
    assert response.status_code == 200
    assert "Nothing would change" in response.content.decode()
    assert PolicyProposal.objects.count() == 1

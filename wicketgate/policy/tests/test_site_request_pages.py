"""Asking for a site from the portal, and the review queue where staff answer.

The staff pages' persona matrix (owner, outsider, estate admin, anonymous, prisoner,
family) is in test_access.py, through endpoints.SITE_REQUESTS.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from wicketgate.accounts.models import StaffMembership, User
from wicketgate.accounts.roles import ROLE_ACTIONS, Action, StaffRole
from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.people.models import Prisoner
from wicketgate.policy.models import PolicyProposal, Site, SiteRequest
from wicketgate.policy.site_requests import (
    SiteRequestError,
    do_decline_site_request,
    do_propose_site_from_request,
    do_request_site,
)
from wicketgate.testing.personas import SETUP, Estate, sign_in_staff

NEW = "/portal/requests/new"
MINE = "/portal/requests/"
QUEUE = "/staff/site-requests/"


def ask(client: Client, url: str = "https://www.example.org/jobs", reason: str = "Work") -> Any:
    return client.post(NEW, {"url": url, "reason": reason})


def written() -> tuple[int, int, int]:
    """Rows that a refused request must not have added."""
    return (
        SiteRequest.objects.count(),
        PolicyProposal.objects.count(),
        AuditEvent.objects.filter(action__startswith="policy.").count(),
    )


@pytest.fixture
def reviewer_a(estate: Estate) -> Client:
    """The clerk at A, in the education department there."""
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.EDUCATION)
    return sign_in_staff(Client(), estate.clerk_a)


@pytest.fixture
def proposer_a(estate: Estate) -> User:
    """The clerk at A, in the education department there: may propose policy."""
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.EDUCATION)
    return User.objects.get(pk=estate.clerk_a.pk)


@pytest.fixture
def request_a(estate: Estate) -> SiteRequest:
    return do_request_site(
        estate.prisoner_a,
        "https://learn.example.org/courses/maths",
        "I want to do a maths course",
        actor=Actor.of_user(estate.prisoner_user),
    )


@pytest.fixture
def request_b(estate: Estate) -> SiteRequest:
    return do_request_site(
        estate.prisoner_b, "www.example.net", "To read about my rights", actor=SETUP
    )


# --- the portal --------------------------------------------------------------------------


def test_it_sends_a_request_into_the_review_queue(client_prisoner: Client, estate: Estate) -> None:
    response = ask(client_prisoner, " https://www.Example.org/jobs?q=1 ", "  To look for work  ")
    assert response["Location"] == MINE
    site_request = SiteRequest.objects.get()
    assert (site_request.prisoner, site_request.host, site_request.url, site_request.reason) == (
        estate.prisoner_a,
        "www.example.org",
        "https://www.Example.org/jobs?q=1",
        "To look for work",
    )
    assert site_request.status == SiteRequest.Status.OPEN
    event = AuditEvent.objects.get(action="policy.site_request.create")
    assert (event.actor_kind, event.establishment_id) == ("prisoner", estate.a.pk)
    assert event.details == {
        "request": site_request.pk,
        "host": "www.example.org",
        "url": "https://www.Example.org/jobs?q=1",
        "reason": "To look for work",
    }
    listing = client_prisoner.get(MINE).content.decode()
    assert "Your request has been sent." in listing
    assert "www.example.org" in listing and "Waiting for staff" in listing


@pytest.mark.parametrize("typed", ["www.nhs.uk", "www.nhs.uk/conditions/", "HTTP://WWW.NHS.UK"])
def test_it_takes_an_address_as_people_type_it(
    client_prisoner: Client, estate: Estate, typed: str
) -> None:
    assert ask(client_prisoner, typed).status_code == 302
    assert SiteRequest.objects.get().host == "www.nhs.uk"


def test_it_fills_in_the_address_from_a_block_page_link(
    client_prisoner: Client, estate: Estate
) -> None:
    content = client_prisoner.get(NEW, {"url": "https://blocked.example.org/page"}).content
    assert b'value="https://blocked.example.org/page"' in content


@pytest.mark.parametrize(
    ("url", "reason", "message"),
    [
        ("", "Work", "Enter the address of the website, like www.nhs.uk"),
        ("https://www.example.org/", "   ", "Tell us what you need the website for"),
        ("not a website", "Work", "Enter a website address in the right format"),
        ("ftp://files.example.org/", "Work", "Enter a website address in the right format"),
        ("https://user:pw@example.org/", "Work", "Enter a website address in the right format"),
        ("localhost", "Work", "Enter a website address in the right format"),
        ("www.example.org", "x" * 1001, "1000 characters or fewer"),
    ],
)
def test_it_refuses_bad_input_and_writes_nothing(
    client_prisoner: Client, estate: Estate, url: str, reason: str, message: str
) -> None:
    before = written()
    response = ask(client_prisoner, url, reason)
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert "<title>Error: Ask for a website" in content
    assert written() == before


def test_it_refuses_a_second_open_request_for_the_same_site(
    client_prisoner: Client, estate: Estate
) -> None:
    ask(client_prisoner, "https://www.example.org/a")
    before = written()
    content = ask(client_prisoner, "www.example.org/b").content.decode()
    assert "You have already asked for www.example.org." in content
    assert written() == before


def test_it_limits_how_many_requests_may_wait_at_once(
    client_prisoner: Client, estate: Estate, settings: Any, reviewer_a: Client
) -> None:
    settings.WICKETGATE_SITE_REQUESTS_OPEN_LIMIT = 2
    assert ask(client_prisoner, "one.example.org").status_code == 302
    assert ask(client_prisoner, "two.example.org").status_code == 302
    before = written()
    content = ask(client_prisoner, "three.example.org").content.decode()
    assert "You already have 2 requests waiting for staff." in content
    assert written() == before
    # Once staff have answered one, there is room for another.
    first = SiteRequest.objects.get(host="one.example.org")
    do_decline_site_request(first, actor=Actor.of_user(estate.clerk_a), response="No")
    assert ask(client_prisoner, "three.example.org").status_code == 302


def test_the_limit_defaults_to_five(client_prisoner: Client, estate: Estate) -> None:
    for number in range(5):
        assert ask(client_prisoner, f"site{number}.example.org").status_code == 302
    assert "You already have 5 requests" in ask(client_prisoner, "six.example.org").content.decode()


def test_a_prisoner_sees_only_their_own_requests(
    client_prisoner: Client, request_a: SiteRequest, request_b: SiteRequest
) -> None:
    listing = client_prisoner.get(MINE).content.decode()
    assert "learn.example.org" in listing and "www.example.net" not in listing
    assert client_prisoner.get(f"{MINE}{request_a.pk}/").status_code == 200
    assert client_prisoner.get(f"{MINE}{request_b.pk}/").status_code == 404
    assert client_prisoner.get(f"{MINE}999999/").status_code == 404


def test_a_prisoner_reads_the_answer_to_their_request(
    client_prisoner: Client, estate: Estate, request_a: SiteRequest
) -> None:
    do_decline_site_request(
        request_a,
        actor=Actor.of_user(estate.clerk_a),
        response="The course is on OpenLearn instead.",
    )
    listing = client_prisoner.get(MINE).content.decode()
    assert "Staff said no" in listing and "The course is on OpenLearn instead." in listing
    page = client_prisoner.get(f"{MINE}{request_a.pk}/").content.decode()
    assert "The course is on OpenLearn instead." in page
    assert "I want to do a maths course" in page


def test_a_prisoner_follows_a_proposal_to_its_approval(
    client_prisoner: Client, estate: Estate, request_a: SiteRequest, proposer_a: User
) -> None:
    proposal = do_propose_site_from_request(
        request_a,
        actor=Actor.of_user(proposer_a),
        name="Maths",
        category="EDUCATION",
        paths=[],
        note="Yes",
    )
    assert "Sent for approval" in client_prisoner.get(MINE).content.decode()
    PolicyProposal.objects.filter(pk=proposal.pk).update(status=PolicyProposal.Status.APPROVED)
    assert "Approved" in client_prisoner.get(MINE).content.decode()
    PolicyProposal.objects.filter(pk=proposal.pk).update(status=PolicyProposal.Status.REJECTED)
    assert "Not approved" in client_prisoner.get(MINE).content.decode()


@pytest.mark.parametrize("path", [NEW, MINE, "request"])
@pytest.mark.parametrize("who", ["client_a", "client_admin", "client_family"])
def test_the_portal_pages_give_staff_and_families_a_404(
    who: str, path: str, request_a: SiteRequest, request: pytest.FixtureRequest
) -> None:
    url = f"{MINE}{request_a.pk}/" if path == "request" else path
    client = request.getfixturevalue(who)
    assert client.get(url).status_code == 404
    before = written()
    assert client.post(NEW, {"url": "www.example.com", "reason": "Work"}).status_code == 404
    assert written() == before


@pytest.mark.parametrize("path", [NEW, MINE, "/portal/requests/1/"])
def test_the_portal_pages_send_anonymous_visitors_to_sign_in(
    client_anon: Client, path: str
) -> None:
    assert client_anon.get(path)["Location"] == f"/portal/sign-in?next={path}"


# --- the review queue --------------------------------------------------------------------


def test_the_queue_lists_open_requests_at_the_reviewers_establishments(
    reviewer_a: Client, estate: Estate, request_a: SiteRequest, request_b: SiteRequest
) -> None:
    declined = do_request_site(estate.prisoner_a, "old.example.org", "Old", actor=SETUP)
    do_decline_site_request(declined, actor=Actor.of_user(estate.clerk_a), response="No")
    content = reviewer_a.get(QUEUE).content.decode()
    assert "learn.example.org" in content
    assert "Alan Ashdown" in content and "I want to do a maths course" in content
    assert "www.example.net" not in content  # at the other establishment
    assert "old.example.org" not in content  # dealt with
    assert "1 request waiting for review" in content


def test_the_queue_puts_the_longest_wait_first(
    reviewer_a: Client, estate: Estate, request_a: SiteRequest
) -> None:
    older = do_request_site(estate.prisoner_a, "older.example.org", "Earlier", actor=SETUP)
    SiteRequest.objects.filter(pk=older.pk).update(
        created_at=request_a.created_at - dt.timedelta(days=3)
    )
    content = reviewer_a.get(QUEUE).content.decode()
    assert content.index("older.example.org") < content.index("learn.example.org")
    assert "3\xa0days" in content  # timesince keeps the number with its unit


def test_a_reviewer_declines_with_a_response(
    reviewer_a: Client, estate: Estate, request_a: SiteRequest
) -> None:
    response = reviewer_a.post(f"{QUEUE}{request_a.pk}/decline", {"response": "  Not suitable  "})
    assert response["Location"] == QUEUE
    request_a.refresh_from_db()
    assert (request_a.status, request_a.response, request_a.handled_by) == (
        SiteRequest.Status.DECLINED,
        "Not suitable",
        estate.clerk_a,
    )
    assert request_a.handled_at is not None
    event = AuditEvent.objects.get(action="policy.site_request.decline")
    assert (event.actor_label, event.establishment_id) == ("clerk.a", estate.a.pk)
    assert event.details["response"] == "Not suitable"


def test_a_reviewer_proposes_the_site_for_the_catalogue(
    reviewer_a: Client, estate: Estate, request_a: SiteRequest
) -> None:
    response = reviewer_a.post(
        f"{QUEUE}{request_a.pk}/propose",
        {
            "name": " Example Learning ",
            "category": "EDUCATION",
            "paths": "/courses/\n\n/maths ",
            "note": "A free maths course at entry level",
        },
    )
    assert response["Location"] == QUEUE
    proposal = PolicyProposal.objects.get()
    assert proposal.kind == PolicyProposal.Kind.SITE
    assert proposal.status == PolicyProposal.Status.PENDING
    assert proposal.payload == {
        "name": "Example Learning",
        "hosts": ["learn.example.org"],
        "category": "EDUCATION",
        "paths": ["/courses/", "/maths"],
        "ports": [],
        "internal": False,
        "https": "inspect",  # sites are inspected unless someone says otherwise
        "min_clearance": None,  # as a proposal made on the policy pages is kept
        "review_by": None,
    }
    # The catalogue is the estate's: the estate administrator decides the proposal.
    assert (proposal.proposed_by, proposal.establishment) == (estate.clerk_a, None)
    assert proposal.reason.startswith("A free maths course at entry level")
    assert "I want to do a maths course" in proposal.reason
    assert proposal.before is None and proposal.decided_by is None
    request_a.refresh_from_db()
    assert (request_a.status, request_a.proposal, request_a.handled_by) == (
        SiteRequest.Status.PROPOSED,
        proposal,
        estate.clerk_a,
    )
    assert not Site.objects.filter(name="Example Learning").exists()  # only once approved
    request_event = AuditEvent.objects.get(action="policy.site_request.propose")
    assert request_event.establishment_id == estate.a.pk  # the request stays the prisoner's
    create_event = AuditEvent.objects.get(action="policy.proposal.create")
    assert create_event.establishment_id is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "category": "EDUCATION", "note": "x"}, "Enter a name for the site"),
        ({"name": "X", "category": "", "note": "x"}, "Choose a category"),
        ({"name": "X", "category": "NOPE", "note": "x"}, "Choose a category from the list"),
        ({"name": "X", "category": "EDUCATION", "note": " "}, "Enter a note for the person"),
        (
            {"name": "X", "category": "EDUCATION", "note": "x", "paths": "courses"},
            "a path prefix starts with /",
        ),
        (
            {"name": "OpenLearn", "category": "EDUCATION", "note": "x"},
            "There is already a site called OpenLearn in the catalogue.",
        ),
    ],
)
def test_a_bad_proposal_is_refused_and_nothing_is_written(
    reviewer_a: Client,
    request_a: SiteRequest,
    load_policy: Any,
    data: dict[str, str],
    message: str,
) -> None:
    load_policy("sites:\n  - {name: OpenLearn, hosts: [www.open.edu], category: EDUCATION}\n")
    before = written()
    response = reviewer_a.post(f"{QUEUE}{request_a.pk}/propose", data)
    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert "<title>Error: Request for learn.example.org" in content
    assert written() == before
    request_a.refresh_from_db()
    assert request_a.status == SiteRequest.Status.OPEN


def test_a_decline_needs_a_response(reviewer_a: Client, request_a: SiteRequest) -> None:
    before = written()
    response = reviewer_a.post(f"{QUEUE}{request_a.pk}/decline", {"response": "   "})
    assert "Enter a response for the prisoner" in response.content.decode()
    assert written() == before


def test_a_request_is_dealt_with_once(
    reviewer_a: Client, estate: Estate, request_a: SiteRequest
) -> None:
    do_decline_site_request(request_a, actor=Actor.of_user(estate.clerk_a), response="No")
    before = written()
    again = reviewer_a.post(f"{QUEUE}{request_a.pk}/decline", {"response": "Still no"})
    assert "This request has already been dealt with." in again.content.decode()
    proposed = reviewer_a.post(
        f"{QUEUE}{request_a.pk}/propose", {"name": "X", "category": "EDUCATION", "note": "x"}
    )
    assert "This request has already been dealt with." in proposed.content.decode()
    assert written() == before
    page = reviewer_a.get(f"{QUEUE}{request_a.pk}/").content.decode()
    assert "Decline request" not in page and "Response to the prisoner" in page


def test_a_second_proposal_of_the_same_name_waits_for_the_first(
    estate: Estate, request_a: SiteRequest, proposer_a: User
) -> None:
    other = do_request_site(estate.prisoner_a, "learn.example.com", "Maths too", actor=SETUP)
    do_propose_site_from_request(
        request_a,
        actor=Actor.of_user(proposer_a),
        name="Maths",
        category="EDUCATION",
        paths=[],
        note="x",
    )
    with pytest.raises(SiteRequestError, match="already waiting for approval"):
        do_propose_site_from_request(
            other,
            actor=Actor.of_user(proposer_a),
            name="Maths",
            category="EDUCATION",
            paths=[],
            note="x",
        )


def test_only_reviewers_who_may_propose_policy_see_the_proposal_form(
    estate: Estate, request_a: SiteRequest, monkeypatch: Any
) -> None:
    monkeypatch.setitem(
        ROLE_ACTIONS, StaffRole.VISITS, frozenset({Action.VIEW, Action.REVIEW_SITE_REQUESTS})
    )
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.VISITS)
    client = sign_in_staff(Client(), User.objects.get(pk=estate.clerk_a.pk))
    page = client.get(f"{QUEUE}{request_a.pk}/").content.decode()
    assert "Decline request" in page and "Propose for the catalogue" not in page
    before = written()
    response = client.post(
        f"{QUEUE}{request_a.pk}/propose", {"name": "X", "category": "EDUCATION", "note": "x"}
    )
    assert response.status_code == 404
    assert written() == before


@pytest.mark.parametrize("role", [StaffRole.WING_OFFICER, StaffRole.VISITS, StaffRole.GOVERNOR])
def test_staff_who_do_not_review_requests_get_a_404(
    estate: Estate, request_a: SiteRequest, role: str
) -> None:
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=role)
    client = sign_in_staff(Client(), estate.clerk_a)
    before = written()
    assert client.get(QUEUE).status_code == 404
    assert client.get(f"{QUEUE}{request_a.pk}/").status_code == 404
    assert client.post(f"{QUEUE}{request_a.pk}/decline", {"response": "No"}).status_code == 404
    assert written() == before


def test_a_request_follows_the_prisoner_on_transfer(
    estate: Estate, request_a: SiteRequest, reviewer_a: Client
) -> None:
    Prisoner.objects.filter(pk=estate.prisoner_a.pk).update(establishment=estate.b)
    assert reviewer_a.get(f"{QUEUE}{request_a.pk}/").status_code == 404

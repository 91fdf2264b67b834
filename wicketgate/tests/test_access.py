"""Who may open each staff page and send each staff form (see shared STYLE.md: personas).

The owner (clerk at A) succeeds; the outsider (clerk at B) gets a 404 for A's records;
for the audit pages both hold the security department's role, and as wing officers get
a 404 for every one of them; staff whose role lacks the action a page needs (the
gateway's: supervising or managing devices, reading browsing history) get a 404;
an anonymous visitor and a session without a second factor are sent to sign in; a
prisoner or a family member gets a 404, as if the staff site did not exist.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from wicketgate.accounts.models import StaffMembership
from wicketgate.accounts.roles import ROLE_ACTIONS, StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.audit.tests.endpoints import ENDPOINTS as AUDIT
from wicketgate.testing.endpoints import Endpoint, open_endpoints, staff_endpoints, staff_routes
from wicketgate.testing.personas import Estate, sign_in_staff

ALL = staff_endpoints()  # every app's, joined (testing/endpoints.py)
SCOPED = [endpoint for endpoint in ALL if endpoint.scoped]
CHANGES = [endpoint for endpoint in ALL if endpoint.returns_to_profile]
RECORDED = [endpoint for endpoint in ALL if endpoint.is_recorded]
OPEN = open_endpoints()


def send(client: Client, endpoint: Endpoint, estate: Estate) -> tuple[Any, int]:
    """Send the endpoint's request; returns the response and the audit rows it wrote."""
    url, data = endpoint.build(estate)
    before = AuditEvent.objects.count()
    response = client.post(url, data) if endpoint.method == "post" else client.get(url)
    return response, AuditEvent.objects.count() - before


def in_role(estate: Estate, endpoint: Endpoint) -> None:
    """The clerks at A and B hold the role that ``endpoint`` is for, each at their own."""
    StaffMembership.objects.filter(user__in=[estate.clerk_a, estate.clerk_b]).update(
        role=endpoint.role
    )


@pytest.mark.parametrize("endpoint", ALL, ids=str)
def test_it_lets_the_owner_in(client_a: Client, estate: Estate, endpoint: Endpoint) -> None:
    in_role(estate, endpoint)
    response, written = send(client_a, endpoint, estate)
    assert response.status_code == endpoint.owner_status
    if endpoint in CHANGES:
        assert response["Location"].startswith("/staff/prisoners/A")  # back to the profile
    if endpoint in RECORDED:
        assert written >= 1


@pytest.mark.parametrize("endpoint", SCOPED, ids=str)
def test_it_gives_an_outsider_a_404_for_anothers_records(
    client_b: Client, estate: Estate, endpoint: Endpoint
) -> None:
    in_role(estate, endpoint)
    response, written = send(client_b, endpoint, estate)
    assert response.status_code == 404
    assert written == 0


@pytest.mark.parametrize("endpoint", SCOPED, ids=str)
def test_it_lets_the_estate_admin_in_everywhere(
    client_admin: Client, estate: Estate, endpoint: Endpoint
) -> None:
    response, _written = send(client_admin, endpoint, estate)
    assert response.status_code == endpoint.owner_status


@pytest.mark.parametrize("endpoint", ALL, ids=str)
def test_it_sends_an_anonymous_visitor_to_sign_in(
    client_anon: Client, estate: Estate, endpoint: Endpoint
) -> None:
    response, written = send(client_anon, endpoint, estate)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/sign-in")
    assert written == 0


@pytest.mark.parametrize("endpoint", [e for e in ALL if e.method == "get"], ids=str)
def test_it_comes_back_to_the_page_after_sign_in(
    client_anon: Client, estate: Estate, endpoint: Endpoint
) -> None:
    response, _written = send(client_anon, endpoint, estate)
    url, _data = endpoint.build(estate)
    assert response["Location"] == f"/staff/sign-in?{urlencode({'next': url}, safe='/')}"


@pytest.mark.parametrize("endpoint", ALL, ids=str)
def test_it_sends_a_session_without_a_second_factor_to_sign_in(
    client_unverified: Client, estate: Estate, endpoint: Endpoint
) -> None:
    response, written = send(client_unverified, endpoint, estate)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/sign-in")
    assert written == 0


@pytest.mark.parametrize("endpoint", ALL, ids=str)
@pytest.mark.parametrize("who", ["client_prisoner", "client_family"])
def test_it_gives_prisoners_and_families_a_404(
    who: str, estate: Estate, endpoint: Endpoint, request: pytest.FixtureRequest
) -> None:
    client = request.getfixturevalue(who)
    response, written = send(client, endpoint, estate)
    assert response.status_code == 404
    assert written == 0


@pytest.mark.parametrize("endpoint", AUDIT, ids=str)
@pytest.mark.parametrize("role", [StaffRole.WING_OFFICER, StaffRole.EDUCATION, StaffRole.VISITS])
def test_it_gives_staff_outside_the_security_department_a_404_for_the_audit_pages(
    estate: Estate, endpoint: Endpoint, role: str
) -> None:
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=role)
    response, written = send(sign_in_staff(Client(), estate.clerk_a), endpoint, estate)
    assert response.status_code == 404
    assert written == 0


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [
        pytest.param(endpoint, role, id=f"{endpoint}-{role}")
        for endpoint in ALL
        if endpoint.action
        for role in StaffRole
        if endpoint.action not in ROLE_ACTIONS[role]
    ],
)
def test_it_gives_staff_whose_role_lacks_the_action_a_404(
    estate: Estate, endpoint: Endpoint, role: str
) -> None:
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=role)
    response, written = send(sign_in_staff(Client(), estate.clerk_a), endpoint, estate)
    assert response.status_code == 404
    assert written == 0


@pytest.mark.parametrize("endpoint", CHANGES, ids=str)
def test_it_gives_staff_who_may_only_view_a_404_for_changes(
    estate: Estate, endpoint: Endpoint
) -> None:
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.EDUCATION)
    response, written = send(sign_in_staff(Client(), estate.clerk_a), endpoint, estate)
    assert response.status_code == 404
    assert written == 0


def test_it_shows_a_view_only_member_of_staff_no_change_buttons(estate: Estate) -> None:
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.EDUCATION)
    response = sign_in_staff(Client(), estate.clerk_a).get("/staff/prisoners/A1234BC/")
    assert response.status_code == 200
    assert b"Add an alert" not in response.content


@pytest.mark.parametrize("url", ["/staff/", "/staff/prisoners/A1234BC/"])
def test_it_tells_browsers_not_to_keep_staff_pages(
    client_a: Client, estate: Estate, url: str
) -> None:
    assert "no-store" in client_a.get(url)["Cache-Control"]


def test_it_refuses_the_wrong_method(client_a: Client, estate: Estate) -> None:
    assert client_a.get("/staff/prisoners/A1234BC/account/unlock").status_code == 405
    assert client_a.post("/staff/prisoners/").status_code == 405
    assert client_a.get("/staff/sign-out").status_code == 405


def test_it_redirects_the_root_to_the_staff_home(client_anon: Client) -> None:
    response = client_anon.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_it_keeps_the_health_checks(client_anon: Client) -> None:
    assert client_anon.get("/healthz").json() == {"status": "ok"}
    assert client_anon.get("/readyz").status_code == 200


def test_every_staff_route_is_in_the_persona_suite(estate: Estate) -> None:
    """A staff page or form added without its personas here would go untried: refused."""
    from django.urls import resolve

    covered = set()
    for endpoint in ALL + OPEN:
        url, _data = endpoint.build(estate)
        covered.add(resolve(url.split("?", 1)[0]).view_name)
    assert staff_routes() - covered == set()


@pytest.mark.parametrize("endpoint", OPEN, ids=str)
@pytest.mark.parametrize(
    "who", ["client_anon", "client_unverified", "client_a", "client_prisoner", "client_family"]
)
def test_it_lets_anyone_sign_in_and_out_and_signs_out_only_staff(
    who: str, estate: Estate, endpoint: Endpoint, request: pytest.FixtureRequest
) -> None:
    """Open to everyone; the staff sign-out signs out (and records) staff only: a prisoner's
    or a family member's session posting to it stays signed in, and no staff sign-out is
    recorded in their name."""
    client = request.getfixturevalue(who)
    before = client.session.session_key
    response, written = send(client, endpoint, estate)
    if endpoint.method == "get" and who == "client_a":
        assert response.status_code == 302  # signed in already: on to the staff home
        assert response["Location"] == "/staff/"
    else:
        assert response.status_code == endpoint.owner_status
    staff = who in {"client_unverified", "client_a"}
    signing_out = endpoint.method == "post"
    assert written == (1 if signing_out and staff else 0)
    if signing_out and staff:
        assert AuditEvent.objects.latest("seq").action == "accounts.sign_out"
    still_in = client.session.session_key == before and "_auth_user_id" in client.session
    assert still_in == (who != "client_anon" and not (signing_out and staff))

from __future__ import annotations

from django.test import Client

from wicketgate.accounts.models import StaffMembership
from wicketgate.accounts.roles import StaffRole
from wicketgate.api.tests.helpers import TokenClient
from wicketgate.testing.personas import Estate


def test_it_tells_the_owner_who_they_are_and_where(client_a: Client) -> None:
    assert client_a.get("/api/v1/me").json() == {
        "username": "clerk.a",
        "kind": "staff",
        "estate_admin": False,
        "establishments": [{"code": "NGT", "name": "HMP Northgate", "roles": ["wing_officer"]}],
    }


def test_it_acts_as_the_tokens_user(token_b: TokenClient) -> None:
    body = token_b.get("/api/v1/me").json()
    assert body["username"] == "clerk.b"
    assert [e["code"] for e in body["establishments"]] == ["RVS"]


def test_it_lists_every_role_held_at_an_establishment(client_a: Client, estate: Estate) -> None:
    StaffMembership.objects.create(
        user=estate.clerk_a, establishment=estate.a, role=StaffRole.SECURITY
    )
    roles = client_a.get("/api/v1/me").json()["establishments"][0]["roles"]
    assert roles == ["security", "wing_officer"]


def test_it_shows_the_estate_admin_every_establishment(client_admin: Client) -> None:
    body = client_admin.get("/api/v1/me").json()
    assert body["estate_admin"] is True
    assert body["establishments"] == [
        {"code": "NGT", "name": "HMP Northgate", "roles": []},
        {"code": "RVS", "name": "HMP Riverside", "roles": []},
    ]

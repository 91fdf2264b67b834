"""Sanctions and alerts over the API: scoped, only adjudicators give or quash, errors named."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from wicketgate.accounts.actions import do_create_staff_user
from wicketgate.accounts.roles import StaffRole
from wicketgate.api.tests.helpers import TokenClient, token_for
from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.models import ConductAlert, Sanction
from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import SETUP, Estate
from wicketgate.testing.policy import POLICY

pytestmark = pytest.mark.django_db


def governor(estate: Estate, where: str = "a") -> TokenClient:
    user = do_create_staff_user(
        f"governor.{where}",
        password="x" * 20,
        roles=[(getattr(estate, where), StaffRole.GOVERNOR)],
        actor=SETUP,
        check_password=False,
    )
    return TokenClient(token_for(user))


def post(client: TokenClient, path: str, body: dict[str, object]) -> tuple[int, dict[str, Any]]:
    response = client.post(path, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_an_adjudicator_gives_a_sanction_that_applies_at_once(
    estate: Estate, load_policy: Callable[..., Any]
) -> None:
    load_policy(POLICY)
    status, body = post(
        governor(estate),
        "/api/v1/sanctions",
        {"prison_number": "a1234bc", "service": "web", "days": 3, "reason": "Proved"},
    )
    assert status == 201, body
    assert (body["service"], body["state"], body["days"]) == ("web", "in_force", 3)
    assert not Engine(refresh_every=0).decide("A1234BC", "https://www.bbc.co.uk/").allowed
    event = AuditEvent.objects.get(action="conduct.sanction.add")
    assert event.actor_label == "governor.a"


def test_limits_are_a_named_422_and_nothing_is_given(estate: Estate) -> None:
    status, body = post(
        governor(estate),
        "/api/v1/sanctions",
        {"prison_number": "A1234BC", "service": "video", "days": 50, "reason": "r"},
    )
    assert status == 422 and body["detail"].startswith("days 50: the most for A1234BC is 42")
    assert not Sanction.objects.exists()


def test_another_establishments_prisoner_or_sanction_is_a_404(estate: Estate) -> None:
    outsider = governor(estate, "b")
    status, _ = post(
        outsider,
        "/api/v1/sanctions",
        {"prison_number": "A1234BC", "service": "web", "days": 3, "reason": "r"},
    )
    assert status == 404
    _, given = post(
        governor(estate),
        "/api/v1/sanctions",
        {"prison_number": "A1234BC", "service": "phone", "days": 3, "reason": "r"},
    )
    assert post(outsider, f"/api/v1/sanctions/{given['id']}/quash", {"reason": "x"})[0] == 404
    assert outsider.get("/api/v1/prisoners/A1234BC/sanctions").status_code == 404
    assert Sanction.objects.get().quashed_at is None


def test_a_wing_officer_reads_sanctions_but_cannot_give_or_quash_them(
    estate: Estate, token_a: TokenClient
) -> None:
    _, given = post(
        governor(estate),
        "/api/v1/sanctions",
        {"prison_number": "A1234BC", "service": "messages", "days": 3, "reason": "r"},
    )
    listed = token_a.get("/api/v1/prisoners/A1234BC/sanctions").json()
    assert [(s["id"], s["restricts"]) for s in listed] == [(given["id"], "Messaging")]
    assert post(token_a, f"/api/v1/sanctions/{given['id']}/quash", {"reason": "x"})[0] == 404
    status, _ = post(
        token_a,
        "/api/v1/sanctions",
        {"prison_number": "A1234BC", "service": "web", "days": 3, "reason": "r"},
    )
    assert status == 404


def test_quash_lifts_it_and_a_second_quash_is_refused(estate: Estate) -> None:
    client = governor(estate)
    _, given = post(
        client,
        "/api/v1/sanctions",
        {"prison_number": "A1234BC", "service": "device", "days": 3, "reason": "r"},
    )
    status, body = post(client, f"/api/v1/sanctions/{given['id']}/quash", {"reason": "Appeal"})
    assert status == 200 and body["state"] == "quashed" and body["quash_reason"] == "Appeal"
    status, body = post(client, f"/api/v1/sanctions/{given['id']}/quash", {"reason": "again"})
    assert status == 422 and "already quashed" in body["detail"]


def test_alerts_are_listed_for_security_at_their_establishment(estate: Estate) -> None:
    from django.utils import timezone

    now = timezone.now()
    for prisoner in (estate.prisoner_a, estate.prisoner_b):
        ConductAlert.objects.create(
            establishment_id=prisoner.establishment_id,
            prisoner=prisoner,
            kind="repeated_blocked",
            key="NEWS",
            summary="5 or more blocked attempts",
            first_seen_at=now,
            last_seen_at=now,
        )
    listed = governor(estate).get("/api/v1/conduct/alerts").json()
    assert [a["prison_number"] for a in listed["items"]] == ["A1234BC"]


def test_sanctions_follow_the_prisoner_on_transfer(estate: Estate) -> None:
    from wicketgate.people.actions import do_transfer_prisoner

    _, given = post(
        governor(estate),
        "/api/v1/sanctions",
        {"prison_number": "A1234BC", "service": "web", "days": 3, "reason": "r"},
    )
    do_transfer_prisoner(estate.prisoner_a, estate.b, actor=SETUP)
    at_b = governor(estate, "b")
    listed = at_b.get("/api/v1/prisoners/A1234BC/sanctions").json()
    assert [s["id"] for s in listed] == [given["id"]]
    assert governor_a_after(estate).get("/api/v1/prisoners/A1234BC/sanctions").status_code == 404
    status, body = post(at_b, f"/api/v1/sanctions/{given['id']}/quash", {"reason": "On appeal"})
    assert status == 200 and body["state"] == "quashed"


def governor_a_after(estate: Estate) -> TokenClient:
    from wicketgate.accounts.models import User

    return TokenClient(token_for(User.objects.get(username="governor.a")))

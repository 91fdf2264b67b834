from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from wicketgate.api.tests.helpers import TokenClient
from wicketgate.people.actions import (
    do_add_alert,
    do_end_alert,
    do_review_incentive_level,
    do_transfer_prisoner,
)
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import SETUP, Estate


def numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["prison_number"] for item in response.json()["items"]]


def add_prisoners(estate: Estate, count: int) -> None:
    """``count`` more prisoners at A, each with an active alert."""
    for n in range(count):
        prisoner = Prisoner.objects.create(
            prison_number=f"C{n:04d}AA",
            given_name="Extra",
            family_name=f"Person{n:03d}",
            date_of_birth=dt.date(1980, 1, 1),
            establishment=estate.a,
            location=estate.a_cell,
            security_category="C",
            incentive_level="STD",
            legal_status="REMAND",
        )
        do_add_alert(prisoner, "ESCAPE", actor=SETUP)


# --- the list -----------------------------------------------------------------------


def test_it_lists_the_owners_prisoners(client_a: Client, estate: Estate) -> None:
    do_add_alert(estate.prisoner_a, "ESCAPE", actor=SETUP)
    response = client_a.get("/api/v1/prisoners")
    assert response.json() == {
        "count": 1,
        "items": [
            {
                "prison_number": "A1234BC",
                "given_name": "Alan",
                "family_name": "Ashdown",
                "date_of_birth": "1990-05-17",
                "establishment": "NGT",
                "location": "NGT-A-1-01",
                "security_category": "B",
                "incentive_level": "STD",
                "legal_status": "SENTENCED",
                "youth": False,
                "active_alerts": ["ESCAPE"],
            }
        ],
    }


def test_it_never_lists_a_prisoner_at_a_to_the_outsider(client_b: Client) -> None:
    assert numbers(client_b.get("/api/v1/prisoners")) == ["B2345CD"]
    assert numbers(client_b.get("/api/v1/prisoners?q=A1234BC")) == []
    assert numbers(client_b.get("/api/v1/prisoners?q=Ashdown")) == []


def test_it_lists_every_prisoner_for_the_estate_admin(client_admin: Client) -> None:
    assert numbers(client_admin.get("/api/v1/prisoners")) == ["A1234BC", "B2345CD"]


def test_it_pages_the_list(client_a: Client, estate: Estate) -> None:
    add_prisoners(estate, 4)
    response = client_a.get("/api/v1/prisoners?limit=2&offset=1")
    assert response.json()["count"] == 5
    assert numbers(response) == ["C0000AA", "C0001AA"]


def test_it_lists_only_alerts_that_are_active_today(client_a: Client, estate: Estate) -> None:
    today = timezone.localdate()
    ended = do_add_alert(
        estate.prisoner_a, "GANG", actor=SETUP, starts_on=today - dt.timedelta(days=9)
    )
    do_end_alert(ended, actor=SETUP, on=today - dt.timedelta(days=1))
    do_add_alert(estate.prisoner_a, "CYBER", actor=SETUP, starts_on=today + dt.timedelta(days=3))
    do_add_alert(estate.prisoner_a, "ACCT", actor=SETUP)
    do_add_alert(estate.prisoner_a, "ESCAPE", actor=SETUP)
    item = client_a.get("/api/v1/prisoners").json()["items"][0]
    assert item["active_alerts"] == ["ACCT", "ESCAPE"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("establishment=RVS", ["B2345CD"]),
        ("establishment=NGT", ["A1234BC"]),
        ("wing=NGT-A", ["A1234BC"]),
        ("wing=RVS-H", ["B2345CD"]),
        ("category=C", ["B2345CD"]),
        ("category=A_HIGH", []),
        ("incentive_level=ENH", ["B2345CD"]),
        ("alert=ESCAPE", ["A1234BC"]),
        ("alert=GANG", []),
        ("q=a1234bc", ["A1234BC"]),
        ("q=brook", ["B2345CD"]),
        ("q=", ["A1234BC", "B2345CD"]),
        ("establishment=NGT&category=B&alert=ESCAPE&q=Alan", ["A1234BC"]),
        ("establishment=NGT&category=C", []),
    ],
)
def test_it_filters_the_list(
    client_admin: Client, estate: Estate, query: str, expected: list[str]
) -> None:
    do_add_alert(estate.prisoner_a, "ESCAPE", actor=SETUP)
    assert numbers(client_admin.get(f"/api/v1/prisoners?{query}")) == expected


def test_it_filters_by_wing_through_landings_and_cells(client_a: Client, estate: Estate) -> None:
    estate.prisoner_a.location = estate.a_wing
    estate.prisoner_a.save()
    add_prisoners(estate, 1)  # in a cell, under a landing
    assert numbers(client_a.get("/api/v1/prisoners?wing=NGT-A")) == ["A1234BC", "C0000AA"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("establishment=ZZZ", "establishment"),
        ("wing=NGT-ZZ", "wing"),
        ("wing=NGT-A-1", "wing"),  # a landing is not a wing
        ("category=Z", "category"),
        ("incentive_level=GOLD", "incentive_level"),
        ("alert=NOPE", "alert"),
        ("q=" + "x" * 101, "q"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
    ],
)
def test_it_rejects_a_bad_filter_value_clearly(client_a: Client, query: str, field: str) -> None:
    response = client_a.get(f"/api/v1/prisoners?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith(f"{field}: ")
    assert body["errors"][0]["loc"] == ["query", field]


def test_it_names_the_allowed_values_of_a_bad_category(client_a: Client) -> None:
    detail = client_a.get("/api/v1/prisoners?category=Z").json()["detail"]
    assert "'B'" in detail and "'YOI_OPEN'" in detail


@pytest.mark.parametrize("query", ["establishment=NGT", "wing=NGT-A"])
def test_it_treats_the_outsiders_filter_on_a_as_unknown(client_b: Client, query: str) -> None:
    name, value = query.split("=")
    hidden = client_b.get(f"/api/v1/prisoners?{query}")
    missing = client_b.get(f"/api/v1/prisoners?{name}=ZZZ")
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json()["detail"] == missing.json()["detail"].replace("'ZZZ'", f"'{value}'")


@pytest.mark.parametrize("extra", [0, 40])
def test_it_lists_prisoners_in_a_fixed_number_of_queries(
    token_a: TokenClient, estate: Estate, extra: int, django_assert_max_num_queries: Any
) -> None:
    add_prisoners(estate, extra)
    token_a.get("/api/v1/me")  # the token's first use writes; keep that out of the count
    # token and user, the user's establishments, count, page, alerts; one per filter
    with django_assert_max_num_queries(8):
        response = token_a.get(
            "/api/v1/prisoners?limit=100&establishment=NGT&wing=NGT-A&alert=ESCAPE"
        )
    assert response.json()["count"] == extra
    assert all(item["active_alerts"] == ["ESCAPE"] for item in response.json()["items"])


# --- one prisoner ---------------------------------------------------------------------


def test_it_describes_a_prisoner_with_alerts_history_and_movements(
    client_a: Client, estate: Estate
) -> None:
    # Bilal arrives at A from B: his history at B comes with him.
    prisoner = do_transfer_prisoner(
        estate.prisoner_b, estate.a, location=estate.a_cell, actor=SETUP
    )
    do_review_incentive_level(prisoner, "BAS", actor=SETUP, comment="Refused work")
    do_add_alert(prisoner, "ESCAPE", actor=SETUP, starts_on=dt.date(2024, 1, 1))

    response = client_a.get("/api/v1/prisoners/B2345CD")
    assert response.status_code == 200
    body = response.json()
    assert body["establishment"] == "NGT"
    assert body["location"] == "NGT-A-1-01"
    assert body["incentive_level"] == "BAS"
    assert body["active_alerts"] == ["ESCAPE"]
    assert body["alerts"] == [
        {"code": "ESCAPE", "description": "Escape risk", "starts_on": "2024-01-01", "ends_on": None}
    ]
    history = body["incentive_history"]
    assert history[0]["level"] == "BAS"
    assert history[0]["previous_level"] == "ENH"
    assert history[0]["reason"] == "review"
    assert history[0]["comment"] == "Refused work"
    assert [entry["establishment"] for entry in history][:1] == ["NGT"]
    transfer = body["movements"][0]
    assert transfer["kind"] == "transfer"
    assert transfer["from_establishment"] == "RVS"
    assert transfer["to_establishment"] == "NGT"
    assert transfer["from_location"] == "RVS-H-01"
    assert transfer["to_location"] == "NGT-A-1-01"


def test_it_hides_a_prisoner_at_a_from_the_outsider_as_if_they_did_not_exist(
    client_b: Client,
) -> None:
    hidden = client_b.get("/api/v1/prisoners/A1234BC")
    missing = client_b.get("/api/v1/prisoners/Z9999ZZ")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "Not Found"}


def test_it_hides_a_prisoner_from_their_old_establishment_after_a_transfer(
    client_b: Client, estate: Estate
) -> None:
    do_transfer_prisoner(estate.prisoner_b, estate.a, actor=SETUP)
    assert client_b.get("/api/v1/prisoners/B2345CD").status_code == 404
    assert numbers(client_b.get("/api/v1/prisoners")) == []


def test_it_shows_the_estate_admin_any_prisoner(client_admin: Client) -> None:
    assert client_admin.get("/api/v1/prisoners/A1234BC").json()["prison_number"] == "A1234BC"
    assert client_admin.get("/api/v1/prisoners/B2345CD").json()["prison_number"] == "B2345CD"

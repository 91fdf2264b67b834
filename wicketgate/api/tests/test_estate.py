from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from wicketgate.estate.codes import FEATURE_DEFAULTS
from wicketgate.estate.models import Location
from wicketgate.testing.personas import Estate


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [item["code"] for item in items]


def test_it_lists_only_the_owners_establishment(client_a: Client) -> None:
    response = client_a.get("/api/v1/establishments")
    assert response.status_code == 200
    assert codes(response.json()) == ["NGT"]


def test_it_lists_only_the_outsiders_own_establishment(client_b: Client) -> None:
    assert codes(client_b.get("/api/v1/establishments").json()) == ["RVS"]


def test_it_lists_every_establishment_for_the_estate_admin(client_admin: Client) -> None:
    assert codes(client_admin.get("/api/v1/establishments").json()) == ["NGT", "RVS"]


def test_it_describes_an_establishment(client_a: Client, estate: Estate) -> None:
    estate.a.features = {"video_calls": False}
    estate.a.save()
    body = client_a.get("/api/v1/establishments/NGT").json()
    assert body == {
        "code": "NGT",
        "name": "HMP Northgate",
        "kind": "local",
        "youth": False,
        "in_wales": False,
        "welsh_name": "",
        "study_hours": "Mon-Fri 08:00-20:00; Sat-Sun 09:00-17:00",
        "capacity": None,
        "infrastructure": {
            "in_cell_cabling": False,
            "wifi": False,
            "in_cell_laptops": False,
            "kiosks": 4,
            "video_suites": 1,
        },
        "incentive_levels": ["BAS", "STD", "ENH"],
        "default_incentive_level": "STD",
        "features": {**FEATURE_DEFAULTS, "video_calls": False},
    }


def test_it_lists_incentive_levels_lowest_first(client_b: Client, estate: Estate) -> None:
    estate.b.incentive_levels = ["EN2", "ENH", "STD", "BAS"]
    estate.b.save()
    assert client_b.get("/api/v1/establishments/RVS").json()["incentive_levels"] == [
        "BAS",
        "STD",
        "ENH",
        "EN2",
    ]


def test_it_hides_an_establishment_from_the_outsider_as_if_it_did_not_exist(
    client_b: Client,
) -> None:
    hidden = client_b.get("/api/v1/establishments/NGT")
    missing = client_b.get("/api/v1/establishments/ZZZ")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "Not Found"}


def test_it_shows_the_estate_admin_any_establishment(client_admin: Client) -> None:
    assert client_admin.get("/api/v1/establishments/NGT").json()["code"] == "NGT"
    assert client_admin.get("/api/v1/establishments/RVS").json()["code"] == "RVS"


def test_it_lists_an_establishments_locations(client_a: Client) -> None:
    response = client_a.get("/api/v1/establishments/NGT/locations")
    assert response.status_code == 200
    body = response.json()
    assert codes(body) == ["NGT-A", "NGT-A-1", "NGT-A-1-01", "NGT-VS"]
    assert body[2] == {
        "code": "NGT-A-1-01",
        "name": "",
        "kind": "CELL",
        "parent": "NGT-A-1",
        "secure_area": False,
        "capacity": None,
    }
    assert body[3]["parent"] is None
    assert body[3]["secure_area"] is True


def test_it_hides_an_establishments_locations_from_the_outsider(client_b: Client) -> None:
    hidden = client_b.get("/api/v1/establishments/NGT/locations")
    missing = client_b.get("/api/v1/establishments/ZZZ/locations")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_it_shows_the_estate_admin_any_establishments_locations(client_admin: Client) -> None:
    assert codes(client_admin.get("/api/v1/establishments/RVS/locations").json()) == [
        "RVS-H",
        "RVS-H-01",
    ]


@pytest.mark.parametrize("extra", [0, 25])
def test_it_lists_establishments_in_a_fixed_number_of_queries(
    client_admin: Client, estate: Estate, extra: int, django_assert_max_num_queries: Any
) -> None:
    for n in range(extra):
        Location.objects.create(establishment=estate.a, code=f"NGT-VS{n}", kind="VIDEO_SUITE")
    with django_assert_max_num_queries(8):
        body = client_admin.get("/api/v1/establishments").json()
    assert body[0]["infrastructure"]["video_suites"] == extra + 1

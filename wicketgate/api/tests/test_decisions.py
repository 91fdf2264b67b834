from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from wicketgate.api.tests.helpers import TokenClient
from wicketgate.policy import engine as engine_module
from wicketgate.testing.personas import Estate
from wicketgate.testing.policy import POLICY, THURSDAY_10, THURSDAY_22


@pytest.fixture(autouse=True)
def _fresh_engine(estate: Estate, load_policy: Callable[[str], Any]) -> None:
    load_policy(POLICY)
    engine_module._engine = engine_module.Engine(refresh_every=0)


def ask(client: Client, **body: Any) -> Any:
    return client.post("/api/v1/decisions", body, content_type="application/json")


def test_it_decides_and_explains_for_the_owner(token_a: TokenClient) -> None:
    response = ask(
        token_a,
        prisoner="A1234BC",
        url="https://www.open.edu/openlearn/",
        at=THURSDAY_10,
        location="CELL",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["decision"], body["rules"], body["site"]) == (
        "allow",
        ["rule:estate:std-learning"],
        "OpenLearn",
    )
    late = ask(
        token_a,
        prisoner="A1234BC",
        url="https://www.open.edu/openlearn/",
        at=THURSDAY_22,
        location="CELL",
    ).json()
    assert late["decision"] == "deny" and "Mon–Fri 08:00–20:00" in late["reasons"][0]


def test_the_outsider_gets_404_as_for_a_prisoner_who_does_not_exist(token_b: TokenClient) -> None:
    hidden = ask(token_b, prisoner="A1234BC", url="https://www.bbc.co.uk/")
    missing = ask(token_b, prisoner="Z9999ZZ", url="https://www.bbc.co.uk/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_the_estate_admin_may_ask_about_anyone(token_admin: TokenClient) -> None:
    assert (
        ask(token_admin, prisoner="B2345CD", url="https://www.bbc.co.uk/").json()["decision"]
        == "allow"
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"prisoner": "A1234BC", "url": "ftp://www.bbc.co.uk/"}, "only http and https"),
        ({"prisoner": "A1234BC", "url": "https://www.bbc.co.uk/", "location": "ROOF"}, "location"),
        (
            {"prisoner": "A1234BC", "url": "https://www.bbc.co.uk/", "at": "2026-11-26T10:00:00"},
            "time zone",
        ),
        ({"prisoner": "nonsense", "url": "https://www.bbc.co.uk/"}, "prisoner"),
    ],
)
def test_bad_input_is_a_clear_error_never_an_allow(
    token_a: TokenClient, body: dict[str, Any], fragment: str
) -> None:
    response = ask(token_a, **body)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_it_needs_authentication(estate: Estate) -> None:
    assert ask(Client(), prisoner="A1234BC", url="https://www.bbc.co.uk/").status_code == 401

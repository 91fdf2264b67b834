"""Finding prisoners and reading a prisoner's record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wicketgate.accounts.pins import check_prisoner_pin
from wicketgate.audit.log import Actor
from wicketgate.estate.models import Location
from wicketgate.people.actions import do_add_alert, do_move_prisoner, do_review_incentive_level
from wicketgate.people.models import Prisoner
from wicketgate.people.views.staff import PER_PAGE
from wicketgate.testing.personas import SETUP, Estate


def listed(response: Any) -> list[str]:
    return [prisoner.prison_number for prisoner in response.context["page"]]


def add_prisoners(estate: Estate, count: int, *, with_alerts: bool = False) -> None:
    for number in range(count):
        prisoner = Prisoner.objects.create(
            prison_number=f"C{number:04d}DE",
            given_name=f"Person{number}",
            family_name="Carter",
            date_of_birth=dt.date(1980, 1, 1),
            establishment=estate.a,
            location=estate.a_cell,
            security_category="C",
            incentive_level="STD",
            legal_status="REMAND",
        )
        if with_alerts:
            do_add_alert(prisoner, "ACCT", actor=SETUP)
            do_add_alert(prisoner, "GANG", actor=SETUP)


def test_it_lists_only_the_prisoners_a_clerk_may_see(
    client_a: Client, client_b: Client, estate: Estate
) -> None:
    assert listed(client_a.get("/staff/prisoners/")) == ["A1234BC"]
    assert listed(client_b.get("/staff/prisoners/")) == ["B2345CD"]


def test_it_lists_everyone_for_the_estate_admin_with_their_establishment(
    client_admin: Client, estate: Estate
) -> None:
    response = client_admin.get("/staff/prisoners/")
    assert sorted(listed(response)) == ["A1234BC", "B2345CD"]
    assert response.context["show_establishment"]
    assert "HMP Riverside" in response.content.decode()


def test_it_narrows_the_list_to_the_chosen_establishment(
    client_admin: Client, estate: Estate
) -> None:
    response = client_admin.post(
        "/staff/establishment", {"establishment": "RVS", "next": "/staff/prisoners/"}
    )
    assert response["Location"] == "/staff/prisoners/"
    assert listed(client_admin.get("/staff/prisoners/")) == ["B2345CD"]
    client_admin.post("/staff/establishment", {"establishment": ""})
    assert len(listed(client_admin.get("/staff/prisoners/"))) == 2


def test_it_refuses_to_switch_to_an_establishment_out_of_scope(
    client_a: Client, estate: Estate
) -> None:
    assert client_a.post("/staff/establishment", {"establishment": "RVS"}).status_code == 404
    assert listed(client_a.get("/staff/prisoners/")) == ["A1234BC"]


@pytest.mark.parametrize("query", ["alan", "ASHDOWN", "a1234bc", "Alan Ashdown"])
def test_it_searches_by_name_or_prison_number(client_a: Client, estate: Estate, query: str) -> None:
    add_prisoners(estate, 2)
    assert listed(client_a.get("/staff/prisoners/", {"q": query})) == ["A1234BC"]


def test_it_filters_by_wing(client_a: Client, estate: Estate) -> None:
    other_wing = Location.objects.create(
        establishment=estate.a, code="NGT-B", kind="WING", name="B wing"
    )
    do_move_prisoner(estate.prisoner_a, other_wing, actor=SETUP)
    add_prisoners(estate, 1)
    assert listed(client_a.get("/staff/prisoners/", {"wing": estate.a_wing.pk})) == ["C0000DE"]
    assert listed(client_a.get("/staff/prisoners/", {"wing": other_wing.pk})) == ["A1234BC"]


def test_it_refuses_a_wing_in_another_establishment(client_a: Client, estate: Estate) -> None:
    response = client_a.get("/staff/prisoners/", {"wing": estate.b_wing.pk})
    content = response.content.decode()
    assert '<a href="#id_wing">Choose a wing from the list</a>' in content
    assert "H wing" not in content
    assert listed(response) == ["A1234BC"]


def test_it_filters_by_category_level_and_alert(client_a: Client, estate: Estate) -> None:
    add_prisoners(estate, 1)
    do_add_alert(estate.prisoner_a, "ESCAPE", actor=SETUP)
    do_add_alert(
        estate.prisoner_a,
        "GANG",
        actor=SETUP,
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2020, 2, 1),
    )
    assert listed(client_a.get("/staff/prisoners/", {"category": "B"})) == ["A1234BC"]
    assert listed(client_a.get("/staff/prisoners/", {"level": "STD", "category": "C"})) == [
        "C0000DE"
    ]
    assert listed(client_a.get("/staff/prisoners/", {"alert": "ESCAPE"})) == ["A1234BC"]
    assert listed(client_a.get("/staff/prisoners/", {"alert": "GANG"})) == []


def test_it_shows_the_selected_filters_with_links_to_remove_them(
    client_a: Client, estate: Estate
) -> None:
    content = client_a.get(
        "/staff/prisoners/", {"q": "alan", "category": "B", "page": "1"}
    ).content.decode()
    assert 'href="/staff/prisoners/?category=B"' in content
    assert 'href="/staff/prisoners/?q=alan"' in content
    assert "Remove this filter</span> Category B</a>" in content  # the choice's label, not B


def test_it_pages_the_list(client_a: Client, estate: Estate) -> None:
    add_prisoners(estate, PER_PAGE)
    first = client_a.get("/staff/prisoners/", {"level": "STD"})
    assert len(listed(first)) == PER_PAGE
    assert 'href="?level=STD&amp;page=2"' in first.content.decode()
    second = client_a.get("/staff/prisoners/", {"level": "STD", "page": "2"})
    assert len(listed(second)) == 1
    assert "(page 2 of 2)" in second.content.decode()


def test_it_lists_without_a_query_per_prisoner(client_a: Client, estate: Estate) -> None:
    add_prisoners(estate, 2, with_alerts=True)
    client_a.get("/staff/prisoners/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        client_a.get("/staff/prisoners/")
    Prisoner.objects.filter(prison_number__startswith="C").delete()
    add_prisoners(estate, 20, with_alerts=True)
    with CaptureQueriesContext(connection) as many:
        response = client_a.get("/staff/prisoners/")
    assert len(listed(response)) == 21
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.content.decode().count(">GANG<") == 20


def test_it_shows_a_prisoners_record(client_a: Client, estate: Estate) -> None:
    do_add_alert(estate.prisoner_a, "ACCT", actor=SETUP, comment="Opened at reception")
    do_add_alert(
        estate.prisoner_a,
        "CYBER",
        actor=SETUP,
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2024, 2, 1),
    )
    do_review_incentive_level(
        estate.prisoner_a, "ENH", actor=Actor.of_user(estate.clerk_a), comment="Consistently polite"
    )
    do_move_prisoner(
        estate.prisoner_a,
        estate.a_video_suite,
        actor=Actor.of_user(estate.clerk_a),
        comment="For a call",
    )
    response = client_a.get("/staff/prisoners/a1234bc/")
    content = response.content.decode()
    assert "<title>Alan Ashdown – Wicketgate</title>" in content
    assert "17 May 1990" in content
    assert "Video suite (NGT-VS)" in content
    assert [a.code.code for a in response.context["active_alerts"]] == ["ACCT"]
    assert [a.code.code for a in response.context["past_alerts"]] == ["CYBER"]
    assert "Consistently polite" in content
    assert "For a call" in content
    assert "Enhanced (next review due by" in content
    assert "Clear wrong PINs for this account" not in content


def test_it_shows_the_clear_button_only_for_an_account_with_wrong_pins(
    client_a: Client, estate: Estate
) -> None:
    for _ in range(5):
        check_prisoner_pin("A1234BC", "1111")
    content = client_a.get("/staff/prisoners/A1234BC/").content.decode()
    assert "Slowed down" in content
    assert "Clear wrong PINs for this account" in content


def test_it_reads_a_profile_in_a_fixed_number_of_queries(
    client_a: Client, estate: Estate, django_assert_max_num_queries: Any
) -> None:
    for code in ("ACCT", "GANG", "ESCAPE", "CYBER"):
        do_add_alert(estate.prisoner_a, code, actor=SETUP)
    # One asks what the user may do anywhere (the navigation's links); two read the web
    # access exceptions and whether the user may propose one; one asks whether the user
    # may read the browsing history, one whether they may read the conduct record, and
    # one whether they may manage the prisoner's contacts; one reads the wrong PINs
    # counted for the device account.
    with django_assert_max_num_queries(22):
        client_a.get("/staff/prisoners/A1234BC/")

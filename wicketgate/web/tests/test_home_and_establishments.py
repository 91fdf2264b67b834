"""The staff home page's counts and switcher, and the establishment page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from wicketgate.accounts.pins import check_prisoner_pin
from wicketgate.estate.models import Establishment
from wicketgate.people.actions import do_add_alert
from wicketgate.testing.personas import SETUP, Estate


def test_it_counts_people_alerts_and_slowed_down_accounts_per_establishment(
    client_admin: Client, estate: Estate
) -> None:
    do_add_alert(estate.prisoner_a, "ACCT", actor=SETUP)
    do_add_alert(estate.prisoner_a, "GANG", actor=SETUP)
    for _ in range(settings.WICKETGATE_PIN_FAILURE_LIMIT):
        check_prisoner_pin("A1234BC", "1111")
    response = client_admin.get("/staff/")
    rows = {
        e.code: (e.prisoner_count, e.alerted_count, e.locked_count)
        for e in response.context["establishments"]
    }
    assert rows == {"NGT": (1, 1, 1), "RVS": (1, 0, 0)}


def test_it_shows_a_clerk_only_their_establishment(client_a: Client, estate: Estate) -> None:
    content = client_a.get("/staff/").content.decode()
    assert "HMP Northgate" in content
    assert "HMP Riverside" not in content
    assert 'name="establishment"' not in content  # nothing to switch between


def test_it_offers_the_switcher_to_someone_with_several_establishments(
    client_admin: Client, estate: Estate
) -> None:
    content = client_admin.get("/staff/").content.decode()
    assert '<option value="">All my establishments</option>' in content
    assert '<option value="RVS">HMP Riverside</option>' in content
    client_admin.post("/staff/establishment", {"establishment": "rvs"})
    content = client_admin.get("/staff/").content.decode()
    assert '<option value="RVS" selected>HMP Riverside</option>' in content
    assert 'href="/staff/establishments/RVS/"' in content


def test_it_ignores_a_choice_the_user_can_no_longer_see(client_a: Client, estate: Estate) -> None:
    session = client_a.session
    session["wg_establishment"] = "RVS"
    session.save()
    response = client_a.get("/staff/prisoners/")
    assert [p.prison_number for p in response.context["page"]] == ["A1234BC"]
    assert "wg_establishment" not in client_a.session


def test_it_shows_an_establishment(client_a: Client, estate: Estate) -> None:
    Establishment.objects.filter(pk=estate.a.pk).update(features={"phone_calls": False})
    response = client_a.get("/staff/establishments/ngt/")
    content = response.content.decode()
    assert "<title>HMP Northgate – Wicketgate</title>" in content
    assert "Basic, Standard, Enhanced" in content
    features = dict(response.context["features"])
    assert features["Phone calls"] is False
    assert features["Video calls"] is True


def test_it_shows_the_locations_as_a_tree(client_a: Client, estate: Estate) -> None:
    response = client_a.get("/staff/establishments/NGT/")
    tree = response.context["tree"]

    def shape(nodes: list[Any]) -> list[Any]:
        return [(node.location.code, shape(node.children)) for node in nodes]

    assert shape(tree) == [("NGT-A", [("NGT-A-1", [("NGT-A-1-01", [])])]), ("NGT-VS", [])]
    content = response.content.decode()
    assert "Secure area" in content
    assert "wg-tree--nested" in content


def test_the_header_names_the_service_without_the_gov_uk_crown_or_logotype(
    client_a: Client, client_anon: Client, estate: Estate
) -> None:
    """The crown, the GOV.UK logotype and Crown copyright are for services on GOV.UK."""
    for page in (client_a.get("/staff/"), client_anon.get("/portal/sign-in", follow=True)):
        content = page.content.decode()
        header = content.split('<header class="govuk-header"', 1)[1].split("</header>", 1)[0]
        assert ">Wicketgate</span>" in header
        assert "<svg" not in header and "GOV.UK" not in header
        assert "govuk-footer__crown" not in content and "Crown copyright" not in content

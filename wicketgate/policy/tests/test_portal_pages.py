"""The prisoner portal's "What I can use" page. (What it decides is tested against
``decide`` in policy/tests/test_access_summary.py; here, what the prisoner reads.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from wicketgate.estate.models import Establishment
from wicketgate.people.actions import do_add_alert
from wicketgate.policy import engine as engine_module
from wicketgate.testing.personas import SETUP, Estate
from wicketgate.testing.policy import POLICY, THURSDAY_10, THURSDAY_22

PAGE = "/portal/access/"


@pytest.fixture(autouse=True)
def _fresh_engine(monkeypatch: Any) -> None:
    # The process's engine may hold a snapshot from another test's database.
    monkeypatch.setattr(engine_module, "_engine", engine_module.Engine(refresh_every=0))


@pytest.fixture
def policy(estate: Estate, load_policy: Callable[[str], Any]) -> Estate:
    load_policy(POLICY)
    return estate


def at(when: str) -> pytest.MarkDecorator:
    """The test runs with the clock frozen at ``when``."""
    return pytest.mark.time_machine(dt.datetime.fromisoformat(when), tick=False)


def page(client: Client) -> str:
    response = client.get(PAGE)
    assert response.status_code == 200
    return response.content.decode()


@at(THURSDAY_10)
def test_it_lists_what_is_open_now_by_category(client_prisoner: Client, policy: Estate) -> None:
    content = page(client_prisoner)
    assert "You can use these now" in content
    assert "You can use these later" not in content
    assert '<h3 class="govuk-summary-card__title">Education</h3>' in content
    assert "Mon–Fri 08:00–20:00; Sat–Sun 10:00–16:00, from: cell or education" in content
    assert "Open now from: cell or education" in content
    assert 'href="https://www.bbc.co.uk"' in content
    # A site in an open category that this prisoner may not use, and why.
    assert "Open prison jobs is only for people held in open conditions." in content


@at(THURSDAY_22)
def test_it_says_when_a_category_opens_next(client_prisoner: Client, policy: Estate) -> None:
    content = page(client_prisoner)
    assert "You can use these later" in content
    assert "Opens at 08:00 on Friday 27 November, from: cell or education" in content
    assert 'href="https://www.open.edu/openlearn/"' not in content  # no link to a closed site


@at(THURSDAY_10)
def test_it_says_why_a_category_is_closed(client_prisoner: Client, policy: Estate) -> None:
    do_add_alert(policy.prisoner_a, "CYBER", actor=SETUP, starts_on=dt.date(2026, 11, 1))
    content = page(client_prisoner)
    assert "You cannot use these" in content
    assert "People with an IT misuse alert cannot read news sites." in content


def test_it_is_linked_from_the_portal_home(client_prisoner: Client, policy: Estate) -> None:
    home = client_prisoner.get("/portal/").content.decode()
    assert f'href="{PAGE}"' in home
    assert 'href="/portal/requests/new"' in home


def test_it_says_so_when_websites_are_off_at_the_prison(
    client_prisoner: Client, policy: Estate
) -> None:
    Establishment.objects.filter(pk=policy.a.pk).update(features={"web_access": False})
    content = client_prisoner.get(PAGE).content.decode()
    assert "Websites are not turned on at your prison yet." in content
    assert "Education" not in content
    assert PAGE not in client_prisoner.get("/portal/").content.decode()


def test_it_works_without_any_catalogue(client_prisoner: Client, estate: Estate) -> None:
    content = client_prisoner.get(PAGE).content.decode()
    assert "There are no websites for you to use yet." in content


@pytest.mark.parametrize("who", ["client_a", "client_admin", "client_family"])
def test_it_gives_staff_and_families_a_404(
    who: str, policy: Estate, request: pytest.FixtureRequest
) -> None:
    assert request.getfixturevalue(who).get(PAGE).status_code == 404


def test_it_sends_an_anonymous_visitor_to_the_portal_sign_in(client_anon: Client) -> None:
    assert client_anon.get(PAGE)["Location"] == f"/portal/sign-in?next={PAGE}"


def test_it_tells_the_kiosk_not_to_keep_the_page(client_prisoner: Client, policy: Estate) -> None:
    assert "no-store" in client_prisoner.get(PAGE)["Cache-Control"]

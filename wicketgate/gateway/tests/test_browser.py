"""A real browser behind the real gateway: allowed pages load, refused ones show why."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from wicketgate.policy.models import SiteRequest
from wicketgate.testing.browser import launch_chromium
from wicketgate.testing.gateway import (
    RunningGateway,
    device_session,
    gateway_world,
    running_gateway,
)
from wicketgate.testing.personas import PRISONER_PIN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir()) / "wicketgate-shots"

POLICY = """
sites:
  - name: NHS
    hosts: ["www.nhs.uk"]
    category: HEALTH
  - name: Example News
    hosts: ["blocked.example.com"]
    category: NEWS
rules:
  - id: health
    allow: [HEALTH]
  - id: no-news
    forbid: [NEWS]
    description: News sites are not part of this trial.
"""


@pytest.fixture
def behind_gateway(
    transactional_db: Any, live_server: Any, settings: Any, load_policy: Callable[..., Any]
) -> Iterator[tuple[RunningGateway, str, str]]:
    estate = gateway_world(load_policy, POLICY)
    with running_gateway(settings, portal_url=live_server.url) as gateway:
        session, password = device_session(estate, "NGT-K-1", kind="kiosk", gateway=gateway)
        yield gateway, session.username, password


def test_a_refused_page_shows_the_block_page_with_the_reason_and_an_allowed_one_loads(
    behind_gateway: tuple[RunningGateway, str, str],
) -> None:
    gateway, username, password = behind_gateway
    with sync_playwright() as playwright:
        browser = launch_chromium(
            playwright,
            proxy={"server": gateway.proxy, "username": username, "password": password},
        )
        try:
            page = browser.new_page()
            page.goto(gateway.http_url("www.nhs.uk", "/conditions/"))
            assert "hello from www.nhs.uk" in page.content()
            # (Not a real news site: Chromium knows the BBC's from its HSTS preload list and
            # would only ever ask for it over HTTPS.)
            page.goto(gateway.http_url("blocked.example.com", "/news"))
            assert "/portal/blocked?d=" in page.url
            text = page.inner_text("main")
            assert "blocked.example.com" in text
            assert "News sites are not part of this trial." in text
            assert (
                page.get_by_role("link", name="Request this site").count()
                + page.get_by_role("button", name="Request this site").count()
                >= 1
            )
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "gateway-block-page.png"), full_page=True)
            # "Request this site": sign in on the portal, and the request is filed for staff.
            page.get_by_role("button", name="Request this site").or_(
                page.get_by_role("link", name="Request this site")
            ).click()
            page.get_by_label("Prison number").fill("A1234BC")
            page.get_by_label("PIN").fill(PRISONER_PIN)
            page.get_by_role("button", name="Sign in").click()
            assert page.get_by_label("Website address").input_value() == "blocked.example.com"
            page.get_by_label("What do you need it for?").fill("My course uses it")
            page.get_by_role("button", name="Send request").click()
            page.wait_for_url("**/portal/requests/")
        finally:
            browser.close()
    filed = SiteRequest.objects.get()  # (the ORM once Playwright's event loop is gone)
    assert (filed.prisoner.prison_number, filed.host) == ("A1234BC", "blocked.example.com")

"""The learning pages in a real browser (Debian's Chromium): GOV.UK styled, axe-checked,
photographed to /tmp/wicketgate-shots, for education staff and for the learner."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from wicketgate.accounts.models import StaffMembership
from wicketgate.accounts.roles import StaffRole
from wicketgate.learning.tests.data import an_enrolment
from wicketgate.testing.personas import PRISONER_PIN, Estate
from wicketgate.web.tests.test_browser import (  # the browser and its checks, shared
    _check,
    _expect_title_to_start,
    _sign_in_as_clerk_a,
    backup_code,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["backup_code", "page"]  # fixtures, used by name


@pytest.fixture
def education(estate: Estate) -> None:
    """The clerk at A in the education department, with a course, a class and a learner.

    Made before the browser starts (see ``backup_code``)."""
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.EDUCATION)
    an_enrolment(estate)


def test_the_learning_pages_are_accessible(
    education: None, page: Any, live_server: Any, backup_code: str
) -> None:
    url = live_server.url
    page.goto(f"{url}/staff/learning/courses/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/learning/courses/")
    _check(page, "learning-courses")
    page.get_by_role("link", name="Essential Digital Skills").click()
    expect(page.get_by_role("heading", name="Essential Digital Skills")).to_be_visible()
    _check(page, "learning-course")

    page.get_by_role("link", name="Enrol a learner").click()
    page.get_by_role("button", name="Enrol").click()
    _expect_title_to_start(page, "Error: Enrol a learner")
    _check(page, "learning-enrol-errors")
    page.get_by_label("Prison number").fill("B2345CD")  # at the other establishment
    page.get_by_role("button", name="Enrol").click()
    expect(
        page.get_by_text("No one with that prison number is at HMP Northgate").first
    ).to_be_visible()

    page.goto(f"{url}/staff/learning/courses/")
    page.get_by_role("link", name="Essential Digital Skills").click()
    page.get_by_role("link", name="Everyday group").click()
    page.get_by_role("button", name="Open the register").click()
    page.get_by_role("radio", name="Absent").check()
    page.get_by_role("button", name="Save the register").click()
    expect(page.get_by_text("Choose why they were absent").first).to_be_visible()
    _check(page, "learning-register-errors")
    page.get_by_label("If absent: why").select_option("healthcare")
    page.get_by_role("button", name="Save the register").click()
    expect(page.get_by_text("The register is saved.")).to_be_visible()
    _check(page, "learning-register")

    page.goto(f"{url}/staff/learning/courses/")
    page.get_by_role("link", name="Essential Digital Skills").click()
    page.get_by_role("link", name="Progress").first.click()
    page.get_by_label("Unit").select_option(label="EDS1 Using devices")
    page.get_by_role("radio", name="Achieved", exact=True).check()
    page.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_text("The result is recorded.")).to_be_visible()
    _check(page, "learning-progress")

    page.goto(f"{url}/staff/prisoners/A1234BC/learning/")
    expect(page.get_by_text("Using devices: Achieved")).to_be_visible()
    expect(page.get_by_text("0 attended, 1 missed, 0 excluded")).to_be_visible()
    _check(page, "learning-learner")
    page.goto(f"{url}/staff/learning/courses/new")
    page.get_by_role("button", name="Set up course").click()
    _expect_title_to_start(page, "Error: Set up a course")
    _check(page, "learning-course-form-errors")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/portal/sign-in")
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("PIN").fill(PRISONER_PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/portal/")
    page.get_by_role("link", name="My courses, classes and progress").click()
    expect(page.get_by_role("heading", name="Essential Digital Skills")).to_be_visible()
    _check(page, "learning-portal")

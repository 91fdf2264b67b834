"""The web pages in a real browser: sign in, find a prisoner, and check accessibility.

Runs Debian's headless Chromium against the live test server; axe-core checks each page
against WCAG 2.2 AA. Screenshots go to /tmp/wicketgate-shots for people to look at.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from wicketgate.accounts.actions import do_issue_backup_codes
from wicketgate.accounts.models import StaffMembership
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit import guards
from wicketgate.audit.log import Actor, record_event, sign_checkpoint
from wicketgate.estate.models import Location
from wicketgate.gateway.gatekeeper import NO_SESSION, PLAIN, Answer, Gatekeeper
from wicketgate.gateway.sessions import SessionTable
from wicketgate.gateway.tests import data as gateway_data
from wicketgate.gateway.tests.data import log_request
from wicketgate.people.actions import do_add_alert, do_move_prisoner, do_review_incentive_level
from wicketgate.people.codes import DEFAULT_ALERT_CODES
from wicketgate.people.models import AlertCode, Prisoner
from wicketgate.phone.actions import do_request_phone_number
from wicketgate.phone.codes import CallState, EndedBy
from wicketgate.phone.models import PhoneCall
from wicketgate.policy import engine as engine_module
from wicketgate.policy.codes import DEFAULT_CATEGORIES
from wicketgate.policy.models import Category, Site
from wicketgate.policy.site_requests import do_request_site
from wicketgate.testing.browser import launch_chromium
from wicketgate.testing.personas import PASSWORD, PRISONER_PIN, SETUP, Estate

AXE = Path(django_settings.NODE_MODULES) / "axe-core" / "axe.min.js"
SHOTS = Path("/tmp/wicketgate-shots")  # noqa: S108 -- a fixed place for people to look
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DEMO_POLICY = Path(__file__).resolve().parents[2] / "demo" / "policy.yaml"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),  # the live server's thread must see the data
]


@pytest.fixture
def backup_code(estate: Estate) -> str:
    """A populated estate and a backup code for the clerk at A.

    Made before the browser starts: Playwright's sync API runs an event loop, and
    Django refuses database calls from a thread with one running.
    """
    _populate(estate)
    return do_issue_backup_codes(estate.clerk_a, actor=SETUP, count=1)[0]


@pytest.fixture
def page(backup_code: str, live_server: Any, settings: Any) -> Iterator[Any]:
    settings.SESSION_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.CSRF_COOKIE_SECURE = False
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            # bypass_csp lets axe-core be injected; the pages' own policy is still served.
            context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            yield context.new_page()
        finally:
            browser.close()


def test_it_signs_in_and_shows_accessible_prisoner_pages(
    page: Any, live_server: Any, backup_code: str
) -> None:
    page.goto(f"{live_server.url}/staff/prisoners/")
    assert "/staff/sign-in" in page.url
    _sign_in_as_clerk_a(page, backup_code)

    page.wait_for_url(f"{live_server.url}/staff/prisoners/")
    assert page.title() == "Prisoners at HMP Northgate – Wicketgate"
    _check(page, "prisoner-list")

    page.get_by_role("link", name="Ashdown, Alan").click()
    page.wait_for_url(f"{live_server.url}/staff/prisoners/A1234BC/")
    assert page.title() == "Alan Ashdown – Wicketgate"
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    _check(page, "prisoner-profile")


def test_it_keeps_the_other_pages_accessible(page: Any, live_server: Any, backup_code: str) -> None:
    url = live_server.url

    page.goto(f"{url}/staff/sign-in")
    page.get_by_role("button", name="Sign in").click()
    _expect_title_to_start(page, "Error: Sign in")
    _check(page, "staff-sign-in-errors")

    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/")
    _check(page, "staff-home")

    page.goto(f"{url}/staff/establishments/NGT/")
    _check(page, "establishment")

    page.goto(f"{url}/staff/prisoners/A1234BC/alerts/new")
    page.get_by_label("Day").first.fill("31")
    page.get_by_label("Month").first.fill("2")
    page.get_by_role("button", name="Add alert").click()
    _expect_title_to_start(page, "Error:")
    _check(page, "add-alert-errors")

    page.goto(f"{url}/staff/prisoners/A1234BC/incentive-review")
    _check(page, "incentive-review")
    page.goto(f"{url}/staff/prisoners/A1234BC/move")
    _check(page, "move")

    page.goto(f"{url}/staff/prisoners/A1234BC/")
    page.get_by_role("button", name="End Self-harm: ACCT open alert").click()
    expect(page.get_by_text("Self-harm: ACCT open alert ended.")).to_be_visible()
    _check(page, "profile-after-change")

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{url}/portal/sign-in")
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("PIN").fill("0000")
    page.get_by_role("button", name="Sign in").click()
    _check(page, "portal-sign-in-error")
    page.get_by_label("PIN").fill(PRISONER_PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/portal/")
    _check(page, "portal-home")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/family/sign-in")
    page.get_by_label("Email address").fill("family@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/family/")
    _check(page, "family-home")

    page.goto(f"{url}/staff/prisoners/B2345CD/")  # a 404, signed in as family
    _check(page, "not-found")

    for _attempt in range(django_settings.AXES_FAILURE_LIMIT):
        page.goto(f"{url}/staff/sign-in")
        page.get_by_label("Username").fill("clerk.b")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_label("Security code").fill("123456")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="You cannot sign in at the moment")).to_be_visible()
    _check(page, "locked-out")


@pytest.fixture
def audit_trail(backup_code: str, estate: Estate) -> tuple[int, int]:
    """The clerk at A moved to the security department, and two events at A: one that
    verifies, and one edited behind the application's back. Made before the browser starts.
    """
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.SECURITY)
    sound = record_event(
        "people.prisoner.update",
        actor=SETUP,
        subject=estate.prisoner_a,
        establishment=estate.a,
        details={"family_name": ["Ashdon", "Ashdown"]},
    )
    sign_checkpoint(force=True)
    edited = record_event(
        "people.prisoner.update",
        actor=SETUP,
        subject=estate.prisoner_a,
        establishment=estate.a,
        details={"given_name": ["Al", "Alan"]},
    )
    sign_checkpoint(force=True)
    guards.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditevent SET details_json = %s WHERE seq = %s",
                ['{"given_name":["Al","Alfred"]}', edited.seq],
            )
    finally:
        guards.install(connection)
    return sound.seq, edited.seq


def test_it_keeps_the_audit_pages_accessible(
    audit_trail: tuple[int, int], page: Any, live_server: Any, backup_code: str
) -> None:
    url = live_server.url
    sound, edited = audit_trail
    page.goto(f"{url}/staff/audit/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/audit/")
    expect(page.get_by_role("link", name="Audit log")).to_be_visible()
    _check(page, "audit-search")
    page.get_by_text("Export these events for an investigation").click()
    expect(page.get_by_label("JSON Lines (recommended)")).to_be_checked()
    _check(page, "audit-search-export")

    page.get_by_label("From").fill("yesterday")
    page.get_by_label("To").fill("31/2/2025")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/staff/audit/\?.*since=yesterday"))
    _expect_title_to_start(page, "Error: Audit log")
    _check(page, "audit-search-errors")

    page.goto(f"{url}/staff/audit/events/{sound}/")
    expect(page.get_by_text("Verified", exact=True)).to_be_visible()
    _check(page, "audit-event-verified")
    page.goto(f"{url}/staff/audit/events/{edited}/")
    expect(
        page.get_by_text("DOES NOT VERIFY: its content no longer matches its hash")
    ).to_be_visible()
    _check(page, "audit-event-edited")

    page.goto(f"{url}/staff/prisoners/A1234BC/")
    page.get_by_role("link", name="Activity timeline from the audit log").click()
    page.wait_for_url(f"{url}/staff/prisoners/A1234BC/timeline/")
    _check(page, "prisoner-timeline")


@pytest.fixture
def site_requests(backup_code: str, estate: Estate, load_policy: Any, monkeypatch: Any) -> Estate:
    """The demo policy, a request waiting at A, and the clerk at A in the education
    department. Made before the browser starts."""
    for code, name in DEFAULT_CATEGORIES:  # flushed with the rest of the database
        Category.objects.get_or_create(code=code, defaults={"name": name})
    load_policy(DEMO_POLICY.read_text(encoding="utf-8"))
    load_policy(
        "exceptions:\n  - {prisoner: A1234BC, forbid: {site: BBC News}, until: 2099-01-31, "
        "reason: Misuse of the news site}\n"
    )
    monkeypatch.setattr(engine_module, "_engine", engine_module.Engine(refresh_every=0))
    do_request_site(
        estate.prisoner_a,
        "https://www.futurelearn.com/courses/maths",
        "I want to do a maths course so I can get a job when I leave.",
        actor=SETUP,
    )
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.EDUCATION)
    return estate


def test_it_keeps_the_site_request_pages_accessible(
    site_requests: Estate, page: Any, live_server: Any, backup_code: str
) -> None:
    url = live_server.url
    page.goto(f"{url}/portal/sign-in")
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("PIN").fill(PRISONER_PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/portal/")
    page.get_by_role("link", name="What I can use").click()
    page.wait_for_url(f"{url}/portal/access/")
    expect(page.get_by_role("heading", name="Welfare and benefits")).to_be_visible()
    _check(page, "portal-access")

    page.goto(f"{url}/portal/requests/new?url=not%20a%20website")
    page.get_by_role("button", name="Send request").click()
    _expect_title_to_start(page, "Error: Ask for a website")
    _check(page, "portal-request-new-errors")
    page.get_by_label("Website address").fill("www.nationalcareers.service.gov.uk")
    page.get_by_label("What do you need it for?").fill("To plan what work I can do after release.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(f"{url}/portal/requests/")
    expect(page.get_by_text("Your request has been sent.")).to_be_visible()
    _check(page, "portal-requests")
    page.get_by_role("link", name="www.futurelearn.com").click()
    _check(page, "portal-request")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/staff/site-requests/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/site-requests/")
    _check(page, "site-requests")
    page.get_by_role("link", name="www.futurelearn.com").click()
    _check(page, "site-request")
    page.get_by_label("Name in the catalogue").fill("")
    page.get_by_role("button", name="Propose for the catalogue").click()
    _expect_title_to_start(page, "Error: Request for www.futurelearn.com")
    _check(page, "site-request-errors")
    page.get_by_label("Name in the catalogue").fill("FutureLearn maths")
    page.get_by_label("Category").select_option("EDUCATION")
    page.get_by_label("Only these pages (optional)").fill("/courses/maths")
    page.get_by_label("Note for the person who approves it").fill("Free entry-level maths.")
    page.get_by_role("button", name="Propose for the catalogue").click()
    page.wait_for_url(f"{url}/staff/site-requests/")
    expect(page.get_by_text("FutureLearn maths proposed for the catalogue.")).to_be_visible()
    _check(page, "site-requests-after-proposal")


def test_it_runs_govuk_frontend_within_the_content_security_policy(
    live_server: Any, settings: Any, estate: Estate
) -> None:
    """With the policy enforced, the nonce'd scripts run and nothing is refused."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            refused: list[str] = []
            page.on(
                "console",
                lambda message: (
                    refused.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            for path in ("/staff/sign-in", "/portal/sign-in", "/family/sign-in"):
                page.goto(f"{live_server.url}{path}")
                page.get_by_role("button", name="Sign in").click()
                # initAll() marks each component it starts; the error summary takes focus.
                # (Waiting for it first also waits for the page the click loads: straight
                # after the click, the old document may be gone and the new one not there.)
                page.wait_for_selector(
                    "[data-module='govuk-error-summary'][data-govuk-error-summary-init]"
                )
                assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
                assert page.evaluate(
                    "document.activeElement.closest('.govuk-error-summary') !== null"
                ), f"the error summary on {path} did not take focus"
            assert not refused, refused
        finally:
            browser.close()


@pytest.fixture
def phone_staff(estate: Estate) -> None:
    """The clerk at A in the visits team (who keep phone lists), with a number waiting.

    Made before the browser starts (see ``backup_code``)."""
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.VISITS)
    do_request_phone_number(
        estate.prisoner_a, "07911 123456", name="Rita, my mother", kind="social", actor=SETUP
    )
    _phone_call(estate, state=CallState.ENDED, duration_seconds=754, charge_pence=78)


def _phone_call(estate: Estate, **fields: Any) -> PhoneCall:
    now = timezone.now()
    return PhoneCall.objects.create(
        **{
            "prisoner": estate.prisoner_a,
            "handset": "NGT-A-PHONE-1",
            "number": "+447911123456",
            "name": "Rita, my mother",
            "kind": "social",
            "destination": "uk_mobile",
            "recorded": True,
            "limit_seconds": 1800,
            "pence_a_minute": 6,
            "held_pence": 180,
            "state": CallState.ANSWERED,
            "placed_at": now - dt.timedelta(minutes=14),
            "answered_at": now - dt.timedelta(minutes=13, seconds=50),
            "ended_by": EndedBy.CALLER if fields.get("state") == CallState.ENDED else "",
            "sip_call_id": f"browser-{fields.get('state', 'live')}@test",
            **fields,
        }
    )


@pytest.fixture
def phone_security(estate: Estate) -> None:
    """The clerk at A in security, with a call ringing (ending it needs no Kamailio)."""
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.SECURITY)
    _phone_call(estate, state=CallState.CONNECTING, answered_at=None)


def test_the_live_phone_call_pages_are_accessible(
    phone_security: None, page: Any, live_server: Any, backup_code: str
) -> None:
    url = live_server.url
    page.goto(f"{url}/staff/phone/live/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/phone/live/")
    expect(page.get_by_role("cell", name="Ringing")).to_be_visible()
    _check(page, "phone-live")
    page.get_by_role("link", name="End the call").click()
    page.get_by_role("button", name="End the call").click()
    _expect_title_to_start(page, "Error: End a phone call")
    _check(page, "phone-end-call-errors")
    page.get_by_label("Why is the call ended?").fill("Threats heard on the call")
    page.get_by_role("button", name="End the call").click()
    page.wait_for_url(f"{url}/staff/phone/live/")
    expect(page.get_by_text("No phone calls are in progress.")).to_be_visible()


def test_the_phone_pages_are_accessible(
    phone_staff: None, page: Any, live_server: Any, backup_code: str
) -> None:
    url = live_server.url
    page.goto(f"{url}/staff/prisoners/A1234BC/phone/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/prisoners/A1234BC/phone/")
    _check(page, "phone-staff")

    page.get_by_role("link", name="+447911123456").click()
    page.get_by_role("button", name="Save decision").click()
    _expect_title_to_start(page, "Error: +447911123456")
    _check(page, "phone-number-decide-errors")
    page.get_by_role("radio", name="Approve").check()
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_url(f"{url}/staff/prisoners/A1234BC/phone/")
    expect(page.get_by_text("+447911123456 is approved.")).to_be_visible()

    page.get_by_role("button", name="Add a number").click()
    page.get_by_label("Telephone number").fill("999")
    page.get_by_label("Whose number is it?").fill("Police")
    page.get_by_label("Official").check()
    page.get_by_role("button", name="Add number").click()
    _expect_title_to_start(page, "Error: Add a number")
    _check(page, "phone-add-number-errors")

    page.goto(f"{url}/staff/prisoners/A1234BC/phone/credit")
    page.get_by_label("Amount in pounds").fill("7.50")
    page.get_by_label("Where does the money come from?").fill("Private cash")
    page.get_by_role("button", name="Add credit").click()
    page.wait_for_url(f"{url}/staff/prisoners/A1234BC/phone/")
    expect(page.get_by_text("Balance: £7.50")).to_be_visible()
    page.get_by_role("button", name="Give a phone PIN").click()
    expect(page.locator(".wg-pin")).to_have_text(re.compile(r"^\d{6}$"))
    _check(page, "phone-new-pin")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/portal/sign-in")
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("PIN").fill(PRISONER_PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/portal/")
    page.get_by_role("link", name="My phone numbers and credit").click()
    expect(page.get_by_text("You have £7.50 of phone credit.")).to_be_visible()
    expect(page.get_by_text("12:34")).to_be_visible()  # the call, 754 seconds long
    _check(page, "phone-portal")
    page.get_by_role("button", name="Ask for a number").click()
    page.get_by_label("Telephone number").fill("0906 300 0000")
    page.get_by_label("Whose number is it?").fill("A chat line")
    page.get_by_label("Family or a friend").check()
    page.get_by_role("button", name="Ask for this number").click()
    _expect_title_to_start(page, "Error: Ask for a number")
    _check(page, "phone-portal-ask-errors")


def _expect_title_to_start(page: Any, start: str) -> None:
    """Waits for it: straight after a click, the title may still be the last page's."""
    expect(page).to_have_title(re.compile("^" + re.escape(start)))


def _sign_in_as_clerk_a(page: Any, code: str) -> None:
    page.get_by_label("Username").fill("clerk.a")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Security code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def _populate(estate: Estate) -> None:
    """Enough of a record that every section of the profile has something in it."""
    # A transactional test starts from a flushed database, without the rows migrations load.
    for code, description in DEFAULT_ALERT_CODES:
        AlertCode.objects.get_or_create(code=code, defaults={"description": description})
    prisoner = estate.prisoner_a
    do_add_alert(
        prisoner,
        "ACCT",
        actor=Actor.of_user(estate.clerk_a),
        comment="Opened after reception screening",
    )
    do_add_alert(
        prisoner,
        "CYBER",
        actor=Actor.of_user(estate.clerk_a),
        starts_on=dt.date(2024, 1, 10),
        ends_on=dt.date(2024, 6, 1),
    )
    do_review_incentive_level(
        prisoner, "ENH", actor=Actor.of_user(estate.clerk_a), comment="Consistently good behaviour"
    )
    do_move_prisoner(
        prisoner, estate.a_video_suite, actor=Actor.of_user(estate.clerk_a), comment="Temporary"
    )
    for number in range(30):
        Prisoner.objects.create(
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


def _check(page: Any, name: str) -> None:
    """The page is styled by GOV.UK Frontend, passes axe-core, and is photographed."""
    page.wait_for_load_state()  # after a click, the next page may still be on its way
    page.evaluate("document.fonts.ready")
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" in font, f"{name}: GOV.UK Frontend's styles did not load ({font})"
    assert page.evaluate(
        "[...document.fonts].some(f => f.family.includes('GDS Transport') && f.status === 'loaded')"
    ), f"{name}: the GDS Transport font did not load"
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    report = [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [
                {
                    "target": node["target"],
                    "html": node["html"][:200],
                    "why": node.get("failureSummary", ""),
                }
                for node in violation["nodes"][:5]
            ],
        }
        for violation in result["violations"]
    ]
    assert not report, f"axe-core found WCAG 2.2 AA violations on {name}:\n" + json.dumps(
        report, indent=2
    )


@pytest.fixture
def policy_pages(backup_code: str, estate: Estate, load_policy: Any, monkeypatch: Any) -> Estate:
    """The test policy, a rule change proposed at A by a teacher there, and the clerk at A
    in the security department (who may approve it). Made before the browser starts."""
    from wicketgate.accounts.actions import do_create_staff_user
    from wicketgate.policy.proposals import do_propose_policy_change
    from wicketgate.testing.policy import POLICY

    for code, name in DEFAULT_CATEGORIES:  # flushed with the rest of the database
        Category.objects.get_or_create(code=code, defaults={"name": name})
    load_policy(POLICY)
    load_policy(
        "rules:\n  - {id: jobs, allow: [EMPLOYMENT], hours: 'Mon-Fri 09:00-17:00'}\n", estate.a
    )
    load_policy(
        "exceptions:\n  - {prisoner: A1234BC, forbid: {site: BBC News}, until: 2099-01-31, "
        "reason: Misuse of the news site}\n"
    )
    Site.objects.filter(name="Find a job").update(review_by=dt.date(2020, 1, 1))
    monkeypatch.setattr(engine_module, "_engine", engine_module.Engine(refresh_every=0))
    teacher = do_create_staff_user(
        "teacher.a",
        password=PASSWORD,
        roles=[(estate.a, StaffRole.EDUCATION)],
        actor=SETUP,
        check_password=False,
    )
    do_propose_policy_change(
        "rule",
        {
            "id": "jobs",
            "allow": ["EMPLOYMENT", "EDUCATION"],
            "when": {"incentive_level": ["STD", "ENH"]},
            "hours": "Mon-Fri 08:00-18:00",
        },
        establishment=estate.a,
        reason="Courses and job search for the day shift",
        actor=Actor.of_user(teacher),
    )
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.SECURITY)
    return estate


def test_it_keeps_the_policy_pages_accessible(
    policy_pages: Estate, page: Any, live_server: Any, backup_code: str
) -> None:
    url = live_server.url
    page.goto(f"{url}/staff/policy/sites/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/policy/sites/")
    expect(page.locator("strong.govuk-tag", has_text="Overdue")).to_be_visible()
    _check(page, "policy-catalogue")
    page.get_by_label("Name, address or category").fill("open.edu")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="OpenLearn").click()
    _check(page, "policy-site")
    page.get_by_role("button", name="Propose a change").click()
    page.get_by_label("Addresses").fill("www.open.edu\nwww.*.edu")
    page.get_by_role("button", name="Propose").click()
    _expect_title_to_start(page, "Error: Propose a change to OpenLearn")
    expect(page.get_by_role("link", name="'www.*.edu': a wildcard may only be")).to_be_visible()
    _check(page, "policy-propose-site-errors")

    page.goto(f"{url}/staff/policy/rules/")
    _check(page, "policy-rules")
    page.goto(f"{url}/staff/policy/rules/new")
    _check(page, "policy-propose-rule")

    page.goto(f"{url}/staff/policy/proposals/")
    expect(
        page.get_by_role("heading", name="Change the rule jobs at HMP Northgate")
    ).to_be_visible()
    _check(page, "policy-proposals")
    page.get_by_role("link", name="Review and decide").click()
    _check(page, "policy-proposal")
    page.get_by_label("Note (needed to reject)").fill("Agreed with the head of learning")
    page.get_by_role("button", name="Approve: it takes effect at once").click()
    expect(page.get_by_text("Approved: the change is in force now.")).to_be_visible()
    _check(page, "policy-proposal-approved")

    page.goto(f"{url}/staff/prisoners/A1234BC/")
    expect(page.get_by_role("link", name="Propose to revoke BBC News")).to_be_visible()
    page.get_by_role("button", name="Propose an exception").click()
    page.wait_for_url(f"{url}/staff/prisoners/A1234BC/exceptions/propose")
    _check(page, "exception-propose")
    page.get_by_label("Year").fill("2020")
    page.get_by_role("button", name="Propose").click()
    _expect_title_to_start(page, "Error: Propose an exception for A1234BC")
    expect(page.get_by_role("link", name="Choose a site or a category")).to_be_visible()
    _check(page, "exception-propose-errors")
    page.get_by_label("Allow, whatever the rules say").check()
    page.get_by_label("Or every site in a category").select_option("EMPLOYMENT")
    page.get_by_label("Day").fill("31")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("2099")
    page.get_by_label("Reason for the exception").fill("Release planning with the careers adviser")
    page.get_by_label("Reason for the change").fill("Agreed at the resettlement board")
    page.get_by_role("button", name="Propose").click()
    expect(page.get_by_role("heading", name="Make an exception for A1234BC")).to_be_visible()
    expect(page.get_by_text("Proposed. It takes effect")).to_be_visible()
    _check(page, "exception-proposed")
    page.goto(f"{url}/staff/prisoners/A1234BC/")
    page.get_by_role("link", name="Propose to revoke BBC News").click()
    _check(page, "exception-revoke")

    page.goto(f"{url}/staff/policy/why/")
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("Web address").fill("https://www.open.edu/openlearn/")
    page.get_by_label("Day").fill("26")
    page.get_by_label("Month").fill("11")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Time").fill("10:00")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="Allowed", exact=True)).to_be_visible()
    _check(page, "policy-why-allowed")
    page.get_by_label("Web address").fill("https://findajob.dwp.gov.uk/")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    _check(page, "policy-why-denied")


@pytest.fixture
def gateway_pages(backup_code: str, estate: Estate) -> dict[str, str]:
    """People online at A, what the gateway let through and refused, a lockdown of a second
    wing, and the clerk at A in the security department. Made before the browser starts.
    Returns block page tokens."""
    b_wing = Location.objects.create(
        establishment=estate.a, code="NGT-B", kind="WING", name="B wing"
    )
    gateway_data.lockdown(estate, b_wing)
    laptop = gateway_data.live_session(estate)
    suite_pc = gateway_data.device(estate, "NGT-VS-PC-01", estate.a_video_suite, "pc")
    suite = gateway_data.live_session(
        estate, Prisoner.objects.get(prison_number="C0001DE"), suite_pc
    )
    news = "News websites are not allowed while you have a sanction for misusing them."
    log_request(laptop, "http://www.open.edu/openlearn/maths", allowed=True, bytes_out=48_213)
    log_request(laptop, "www.nhs.uk:443", allowed=True, duration_ms=1_830)
    log_request(
        laptop, "http://www.bbc.co.uk/news", allowed=False, reasons=(news,), rules=("news-ban",)
    )
    log_request(
        suite,
        "www.facebook.com:443",
        allowed=False,
        reasons=("Social media websites are not allowed.",),
        rules=("deny-social",),
    )
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.SECURITY)
    # Signing needs no policy and no sessions: the engine and table are never consulted.
    keeper = Gatekeeper(engine_module.Engine(), SessionTable(), grace_seconds=1)
    return {
        "policy": keeper.block_token(Answer(False, ("news-ban",), (news,), host="www.bbc.co.uk")),
        "gateway": keeper.block_token(
            Answer(False, (NO_SESSION,), (PLAIN[NO_SESSION],), host="www.nhs.uk")
        ),
    }


def test_it_keeps_the_gateway_pages_accessible(
    gateway_pages: dict[str, str], page: Any, live_server: Any, backup_code: str
) -> None:
    url = live_server.url
    page.goto(f"{url}/portal/blocked?d={gateway_pages['policy']}")
    expect(page.get_by_role("heading", name="This website is blocked")).to_be_visible()
    _check(page, "block-page")
    page.goto(f"{url}/portal/blocked?d={gateway_pages['gateway']}")
    expect(page.get_by_role("heading", name="This page could not be opened")).to_be_visible()
    _check(page, "block-page-no-session")
    page.goto(f"{url}/portal/blocked?d=forged")
    expect(
        page.get_by_role("heading", name="We cannot show why this page was blocked")
    ).to_be_visible()
    _check(page, "block-page-unreadable")

    page.goto(f"{url}/portal/blocked?d={gateway_pages['policy']}")
    page.get_by_role("button", name="Request this site").click()
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("PIN").fill(PRISONER_PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/portal/requests/new\?url=www\.bbc\.co\.uk$"))
    expect(page.get_by_label("Website address")).to_have_value("www.bbc.co.uk")
    page.goto(f"{url}/portal/")
    page.get_by_role("link", name="Blocked attempts").click()
    expect(page.get_by_text("News websites are not allowed while you have")).to_be_visible()
    _check(page, "portal-blocked-attempts")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/staff/establishments/NGT/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/establishments/NGT/")
    page.get_by_role("link", name="Devices and sessions").click()
    expect(page.get_by_role("heading", name="Live sessions")).to_be_visible()
    _check(page, "devices-and-sessions")
    page.get_by_role("button", name="Start lockdown").click()
    expect(page.get_by_role("link", name="Enter a reason for the lockdown")).to_be_visible()
    _expect_title_to_start(page, "Error: Devices and sessions")
    _check(page, "devices-and-sessions-errors")

    page.get_by_role("button", name="Register a device").click()
    page.get_by_label("Device ID").fill("NGT-A-LAPTOP-01")
    page.get_by_label("Where it is").select_option(label="NGT-A-1-01 – Cell")
    page.get_by_label("In-cell laptop").check()
    page.get_by_label("IP address (optional)").fill("10.20.1")
    page.get_by_role("button", name="Register device").click()
    expect(page.get_by_role("link", name="Enter an IP address")).to_be_visible()
    _expect_title_to_start(page, "Error: Register a device")
    _check(page, "register-device-errors")
    page.get_by_label("Device ID").fill("NGT-A-LAPTOP-02")
    page.get_by_label("IP address (optional)").fill("10.20.1.42")
    page.get_by_role("button", name="Register device").click()
    expect(page.get_by_role("heading", name="Device registered")).to_be_visible()
    _check(page, "device-registered")

    page.goto(f"{url}/staff/establishments/NGT/devices/")
    page.get_by_role("link", name="See what is being blocked").click()
    page.get_by_label("Wing").select_option(label="A wing (NGT-A)")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Blocked on A wing (NGT-A)")).to_be_visible()
    expect(page.get_by_text("www.bbc.co.uk")).to_be_visible()
    _check(page, "blocked-on-a-wing")

    page.goto(f"{url}/staff/prisoners/A1234BC/")
    page.get_by_role("link", name="Browsing history").click()
    expect(page.get_by_text("/openlearn/maths")).to_be_visible()
    _check(page, "browsing-history")


def test_it_updates_the_blocked_page_within_the_content_security_policy(
    gateway_pages: dict[str, str], page: Any, live_server: Any, backup_code: str
) -> None:
    """The live view's script runs and fetches under the policy as served (no bypass)."""
    url = live_server.url
    page.goto(f"{url}/staff/sign-in")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/")
    context = page.context.browser.new_context()  # the policy enforced, unlike `page`
    try:
        context.add_cookies(page.context.cookies())
        live = context.new_page()
        refused: list[str] = []
        live.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        live.goto(f"{url}/staff/establishments/NGT/blocked/")
        summary = live.locator("#blocked-summary")
        first = summary.inner_text()
        live.get_by_label("Wing").focus()  # outside the live part: updates go on
        expect(summary).not_to_have_text(first, timeout=15_000)
        expect(live.get_by_label("Wing")).to_be_focused()
        assert not refused, refused
    finally:
        context.close()


@pytest.fixture
def conduct_pages(backup_code: str, estate: Estate) -> dict[str, int]:
    """Incidents at every stage for the prisoner at A, sanctions in force and suspended, an
    open alert, and the clerk at A a governor (who adjudicates and reviews alerts there).
    Made before the browser starts. Returns the ids the pages need."""
    from wicketgate.conduct.tests import data as conduct_data

    for code, name in DEFAULT_CATEGORIES:  # flushed with the rest of the database
        Category.objects.get_or_create(code=code, defaults={"name": name})
    hearing = conduct_data.incident(estate, "hearing_scheduled")
    proved = conduct_data.incident(estate, "proved", summary="Shared his PIN with another man")
    given = conduct_data.sanction(estate)
    suspended = conduct_data.sanction(estate, suspended=True)
    from wicketgate.conduct.actions import do_add_sanction

    do_add_sanction(
        prisoner=estate.prisoner_a,
        incident=given.incident,
        service="video",
        days=7,
        reason="Showed an unapproved person on a video call",
        actor=SETUP,
    )
    alert = conduct_data.alert(estate)
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.GOVERNOR)
    return {
        "hearing": hearing.pk,
        "proved": proved.pk,
        "given_for": given.incident_id or 0,
        "suspended": suspended.pk,
        "given": given.pk,
        "alert": alert.pk,
    }


def test_it_keeps_the_conduct_pages_accessible(
    conduct_pages: dict[str, int], page: Any, live_server: Any, backup_code: str
) -> None:
    url = live_server.url
    ids = conduct_pages
    page.goto(f"{url}/staff/conduct/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/conduct/")
    expect(page.get_by_role("link", name="Conduct", exact=True)).to_be_visible()
    _check(page, "conduct-incidents")

    page.get_by_role("button", name="Report an incident").click()
    page.get_by_role("button", name="Report incident").click()
    _expect_title_to_start(page, "Error: Report an incident")
    _check(page, "conduct-report-errors")
    three_days_ago = dt.date.today() - dt.timedelta(days=3)  # noqa: DTZ011 - a day, not a moment
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("Day").fill(str(three_days_ago.day))
    page.get_by_label("Month").fill(str(three_days_ago.month))
    page.get_by_label("Year").fill(str(three_days_ago.year))
    page.get_by_label("Time it happened").fill("14:30")
    page.get_by_label("Web", exact=True).check()
    page.get_by_label("Summary").fill("Tried to reach a betting site")
    page.get_by_label("Description").fill("Tried twice from the education block.")
    page.get_by_role("button", name="Report incident").click()
    expect(page.get_by_role("link", name="This happened more than 2 days ago.")).to_be_visible()
    _check(page, "conduct-report-late")
    page.get_by_label("Why it is being reported late").fill("Found on the weekly log review")
    page.get_by_role("button", name="Report incident").click()
    expect(page.get_by_text("reported: Tried to reach a betting site")).to_be_visible()
    _check(page, "conduct-incident-reported")

    page.goto(f"{url}/staff/conduct/incidents/{ids['hearing']}/")
    expect(page.get_by_role("heading", name="Record the finding of the hearing")).to_be_visible()
    _check(page, "conduct-incident-hearing")
    page.get_by_role("button", name="Record finding").click()
    _expect_title_to_start(page, "Error:")
    _check(page, "conduct-incident-finding-errors")

    page.goto(f"{url}/staff/conduct/incidents/{ids['proved']}/sanctions/new")
    page.get_by_label("Web access").check()
    page.get_by_label("News").check()
    page.get_by_label("Number of days").fill("14")
    page.get_by_label("Reason", exact=True).fill("Looked at news sites during a lockdown")
    _check(page, "sanction-form")
    page.get_by_label("Number of days").fill("50")
    page.get_by_role("button", name="Give sanction").click()
    expect(page.get_by_role("link", name="The most for A1234BC is 42 days")).to_be_visible()
    _check(page, "sanction-form-errors")
    page.get_by_label("Number of days").fill("14")
    page.get_by_role("button", name="Give sanction").click()
    expect(page.get_by_text("given: Web access to News from")).to_be_visible()
    _check(page, "conduct-incident-proved")

    page.goto(f"{url}/staff/conduct/sanctions/{ids['suspended']}/activate")
    _check(page, "sanction-activate")
    page.goto(f"{url}/staff/conduct/sanctions/{ids['given']}/quash")
    _check(page, "sanction-quash")

    page.goto(f"{url}/staff/prisoners/A1234BC/")
    page.get_by_role("link", name="Conduct: incidents, sanctions and alerts").click()
    page.wait_for_url(f"{url}/staff/prisoners/A1234BC/conduct/")
    _check(page, "prisoner-conduct")

    page.get_by_role("link", name="Conduct alerts").click()
    page.wait_for_url(f"{url}/staff/conduct/alerts/")
    _check(page, "conduct-alerts")
    page.get_by_role("link", name="Dismiss", exact=False).first.click()
    page.get_by_role("button", name="Dismiss alert").click()
    expect(page.get_by_role("link", name="Enter why the alert needs no action")).to_be_visible()
    _check(page, "conduct-alert-dismiss-errors")
    page.get_by_role("link", name="Make it an incident instead").click()
    expect(page.get_by_label("Prison number")).to_have_value("A1234BC")
    _check(page, "conduct-alert-incident")

    page.goto(f"{url}/staff/establishments/NGT/")
    page.get_by_role("link", name="When conduct alerts are raised").click()
    _check(page, "conduct-triggers")
    page.get_by_role("link", name="Change session at unusual hours").click()
    page.get_by_label("Quiet hours start").fill("25:00")
    page.get_by_role("button", name="Save").click()
    _expect_title_to_start(page, "Error:")
    _check(page, "conduct-trigger-errors")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/portal/sign-in")
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("PIN").fill(PRISONER_PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/portal/")
    page.get_by_role("link", name="My sanctions").click()
    page.wait_for_url(f"{url}/portal/sanctions/")
    expect(page.get_by_role("heading", name="Web access to News sites").first).to_be_visible()
    expect(
        page.get_by_role(
            "heading", name="Video calls — calls with your legal adviser are not affected"
        )
    ).to_be_visible()
    _check(page, "portal-my-sanctions")
    page.get_by_role("link", name="Appeal against this charge").first.click()
    page.get_by_role("button", name="Send appeal").click()
    _expect_title_to_start(page, "Error: Appeal against")
    _check(page, "portal-appeal-errors")
    page.get_by_label("Why do you think the decision was wrong?").fill(
        "I was at work in the kitchen when it happened."
    )
    page.get_by_role("button", name="Send appeal").click()
    expect(page.get_by_text("has been sent. You will be told the decision.")).to_be_visible()
    _check(page, "portal-my-sanctions-appealed")


@pytest.fixture
def contact_pages(backup_code: str, estate: Estate) -> dict[str, int]:
    """A contact waiting for staff (identity given, not checked), an approved one with a
    restriction, and the clerk at A on the visits team. Made before the browser starts."""
    from wicketgate.contacts.actions import do_add_official, do_add_restriction
    from wicketgate.contacts.codes import LinkStatus
    from wicketgate.contacts.tests import data as contact_data

    waiting = contact_data.link(estate)
    contact_data.person("omar@example.org", given_name="Omar")
    approved = contact_data.link(estate, LinkStatus.APPROVED, email="omar@example.org")
    do_add_restriction(approved, code="CCTV", reason="Seen passing items", actor=SETUP)
    do_add_official(
        estate.prisoner_a,
        given_name="Sam",
        family_name="Counsel",
        relationship="SOLICITOR",
        actor=SETUP,
    )
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.VISITS)
    return {"waiting": waiting.pk, "approved": approved.pk}


def test_it_keeps_the_contact_pages_accessible(
    contact_pages: dict[str, int], page: Any, live_server: Any, backup_code: str
) -> None:
    from wicketgate.contacts.tests.data import PASSWORD as FAMILY_PASSWORD

    url = live_server.url
    ids = contact_pages
    page.goto(f"{url}/staff/contacts/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/contacts/")
    expect(page.get_by_role("link", name="Contacts", exact=True)).to_be_visible()
    _check(page, "contacts-queue")

    page.get_by_role("link", name=f"CON-{ids['waiting']}").click()
    expect(page.get_by_role("heading", name="Rita Ashdown")).to_be_visible()
    _check(page, "contact-link")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("link", name="check their identity before approving")).to_be_visible()
    _expect_title_to_start(page, "Error:")
    _check(page, "contact-link-errors")
    page.get_by_role("button", name="Identity checked").click()
    expect(page.get_by_text("identity is checked")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("is approved")).to_be_visible()
    _check(page, "contact-link-approved")

    page.goto(f"{url}/staff/contacts/{ids['approved']}/")
    page.get_by_text("Add a restriction").click()
    page.get_by_role("button", name="Add restriction").click()
    _expect_title_to_start(page, "Error:")
    _check(page, "contact-restriction-errors")

    page.goto(f"{url}/staff/prisoners/A1234BC/")
    page.get_by_role("link", name="Contacts", exact=True).last.click()
    page.wait_for_url(f"{url}/staff/prisoners/A1234BC/contacts/")
    _check(page, "prisoner-contacts")
    page.get_by_role("button", name="Add an official").click()
    page.get_by_role("button", name="Add official").click()
    _expect_title_to_start(page, "Error: Add an official")
    _check(page, "add-official-errors")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/family/register")
    page.get_by_role("button", name="Create account").click()
    _expect_title_to_start(page, "Error: Create an account")
    _check(page, "family-register-errors")

    page.goto(f"{url}/family/sign-in")
    page.get_by_label("Email address").fill("rita@example.org")
    page.get_by_label("Password").fill(FAMILY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/family/")
    page.get_by_role("link", name="Your prisoners").first.click()
    expect(page.get_by_text("Approved", exact=True)).to_be_visible()
    _check(page, "family-prisoners")
    page.get_by_role("button", name="Ask to be a contact").click()
    _check(page, "family-ask")
    page.get_by_label("Their prison number").fill("A1234BC")
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("1990")
    page.get_by_label("What are you to them?").select_option("SISTER")
    page.get_by_role("button", name="Ask to be a contact").click()
    expect(page.get_by_role("link", name="We could not match those details")).to_be_visible()
    _check(page, "family-ask-no-match")
    page.goto(f"{url}/family/identity")
    _check(page, "family-identity")
    page.goto(f"{url}/family/prisoners/")
    page.get_by_role("link", name="Add a child").click()
    _check(page, "family-add-child")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/portal/sign-in")
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("PIN").fill(PRISONER_PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/portal/")
    page.get_by_role("link", name="My contacts").click()
    expect(page.get_by_text("Privileged", exact=True)).to_be_visible()
    _check(page, "portal-contacts")


@pytest.fixture
def call_pages(backup_code: str, estate: Estate) -> dict[str, int]:
    """A weekly session at A, a call in progress (for the live list) and Rita approved;
    the clerk at A a governor, who books, sets up and oversees calls. Made before the
    browser starts."""
    from django.utils import timezone

    from wicketgate.calls.models import Booking
    from wicketgate.calls.tests import data as call_data

    booking = call_data.booking(estate)
    now = timezone.now()
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(minutes=25),
        room_opened_at=now - dt.timedelta(minutes=10),
        recorded=True,
    )
    StaffMembership.objects.filter(user=estate.clerk_a).update(role=StaffRole.GOVERNOR)
    return {"booking": booking.pk, "prisoner": estate.prisoner_a.pk}


def test_it_keeps_the_video_call_pages_accessible(
    call_pages: dict[str, int], page: Any, live_server: Any, backup_code: str
) -> None:
    from wicketgate.contacts.tests.data import PASSWORD as FAMILY_PASSWORD

    url = live_server.url
    page.goto(f"{url}/staff/video-calls/")
    _sign_in_as_clerk_a(page, backup_code)
    page.wait_for_url(f"{url}/staff/video-calls/")
    expect(page.get_by_role("link", name="Live calls", exact=True)).to_be_visible()
    _check(page, "staff-calls")
    page.get_by_label("Book a call for a prisoner").fill("A1234BC")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{url}/staff/prisoners/A1234BC/video-calls/book")
    page.get_by_role("button", name="Book the call").click()
    _expect_title_to_start(page, "Error: Book a video call")
    _check(page, "staff-call-book-errors")
    page.goto(f"{url}/staff/video-calls/{call_pages['booking']}/cancel")
    page.get_by_role("button", name="Cancel the call").click()
    _expect_title_to_start(page, "Error: Cancel a video call")
    _check(page, "staff-call-cancel-errors")
    page.goto(f"{url}/staff/establishments/NGT/video-calls/sessions/")
    _check(page, "staff-call-sessions")
    page.goto(f"{url}/staff/establishments/NGT/video-calls/settings")
    _check(page, "staff-call-settings")
    page.get_by_role("link", name="Live calls", exact=True).click()
    expect(page.get_by_role("link", name=f"Watch VC-{call_pages['booking']}")).to_be_visible()
    _check(page, "staff-calls-live")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/family/sign-in")
    page.get_by_label("Email address").fill("rita@example.org")
    page.get_by_label("Password").fill(FAMILY_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/family/")
    page.get_by_role("link", name="Video calls").first.click()
    expect(page.get_by_role("link", name=f"Join VC-{call_pages['booking']}")).to_be_visible()
    _check(page, "family-calls")
    page.get_by_role("button", name="Book a video call").click()
    _check(page, "family-call-choose")
    page.get_by_role("link", name="Alan").first.click()
    _check(page, "family-call-book")
    page.get_by_role("button", name="Book the call").click()
    _expect_title_to_start(page, "Error: Book a video call")
    _check(page, "family-call-book-errors")
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{url}/portal/sign-in")
    page.get_by_label("Prison number").fill("A1234BC")
    page.get_by_label("PIN").fill(PRISONER_PIN)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/portal/")
    page.get_by_role("link", name="Video calls").first.click()
    expect(page.get_by_role("link", name=f"Join VC-{call_pages['booking']}")).to_be_visible()
    _check(page, "portal-calls")

"""Every staff page and form, described once so each persona can be tried against all of them."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from wicketgate.accounts.actions import do_create_staff_user, do_set_prisoner_pin
from wicketgate.accounts.models import User
from wicketgate.accounts.pins import check_prisoner_pin
from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.audit.log import record_event
from wicketgate.audit.models import AuditEvent
from wicketgate.calls.models import Recording
from wicketgate.calls.tests import data as call_data
from wicketgate.conduct.codes import Status
from wicketgate.conduct.tests import data as conduct_data
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.documents import do_add_identity_image, do_set_contact_settings
from wicketgate.contacts.models import IdentityImage
from wicketgate.contacts.tests import data as contact_data
from wicketgate.estate.codes import IncentiveLevel
from wicketgate.gateway.actions import do_register_device
from wicketgate.gateway.models import Device
from wicketgate.gateway.tests import data as gateway_data
from wicketgate.people.actions import do_add_alert
from wicketgate.people.models import Prisoner
from wicketgate.policy.models import (
    AccessRule,
    Category,
    PolicyProposal,
    PrisonerException,
    Site,
    SiteRequest,
)
from wicketgate.policy.site_requests import do_request_site
from wicketgate.testing.personas import PASSWORD, SETUP, Estate

PROFILE = "/staff/prisoners/A1234BC/"


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    # Builds what the request needs in the database and returns (url, POST data).
    build: Callable[[Estate], tuple[str, dict[str, Any]]]
    owner_status: int = 200
    # Whether it is about one establishment's records, so an outsider must get a 404.
    scoped: bool = True
    # The role the clerks at A and B hold for it (see test_access.in_role): the audit
    # pages are for the security department, not for wing officers.
    role: str = StaffRole.WING_OFFICER
    # The action it needs beyond viewing, where roles without it must get a 404.
    action: str | None = None

    def __str__(self) -> str:
        return self.name


def _active_alert(estate: Estate) -> tuple[str, dict[str, Any]]:
    alert = do_add_alert(estate.prisoner_a, "ACCT", actor=SETUP)
    return f"{PROFILE}alerts/{alert.pk}/end", {}


def _other_prisoner_with_wrong_pins(estate: Estate, device: Device | None = None) -> None:
    # Someone other than the prisoner persona, so no test's own sign-in is in the way.
    other, made = Prisoner.objects.get_or_create(
        prison_number="A7777AA",
        defaults={
            "given_name": "Owen",
            "family_name": "Other",
            "date_of_birth": dt.date(1992, 3, 4),
            "establishment": estate.a,
            "location": estate.a_cell,
            "security_category": "C",
            "incentive_level": "STD",
            "legal_status": "REMAND",
        },
    )
    if made:
        do_set_prisoner_pin(other, "8642", actor=SETUP)
    for _ in range(5):
        check_prisoner_pin("A7777AA", "1111", device=device)


def _locked_account(estate: Estate) -> tuple[str, dict[str, Any]]:
    _other_prisoner_with_wrong_pins(estate)
    return "/staff/prisoners/A7777AA/account/unlock", {}


def _throttled_device(estate: Estate) -> tuple[str, dict[str, Any]]:
    device = Device.objects.filter(device_id="NGT-KIOSK-7").first()
    if device is None:
        device, _key = do_register_device(
            device_id="NGT-KIOSK-7",
            establishment=estate.a,
            location=estate.a_cell,
            kind="kiosk",
            actor=SETUP,
        )
    _other_prisoner_with_wrong_pins(estate, device)
    return f"/staff/prisoners/A7777AA/account/devices/{device.pk}/unlock", {}


def _event_at_a(estate: Estate) -> tuple[str, dict[str, Any]]:
    """An event about the prisoner at A: the same one, however often it is asked for."""
    event = AuditEvent.objects.filter(
        establishment=estate.a, action="people.prisoner.update"
    ).first() or record_event(
        "people.prisoner.update",
        actor=SETUP,
        subject=estate.prisoner_a,
        establishment=estate.a,
        details={"given_name": ["Al", "Alan"]},
    )
    return f"/staff/audit/events/{event.seq}/", {}


PAGES = [
    Endpoint("home", "get", lambda e: ("/staff/", {}), scoped=False),
    Endpoint("prisoner list", "get", lambda e: ("/staff/prisoners/", {}), scoped=False),
    Endpoint("prisoner profile", "get", lambda e: (PROFILE, {})),
    Endpoint("establishment", "get", lambda e: ("/staff/establishments/NGT/", {})),
    Endpoint("add alert page", "get", lambda e: (f"{PROFILE}alerts/new", {})),
    Endpoint("incentive review page", "get", lambda e: (f"{PROFILE}incentive-review", {})),
    Endpoint("move page", "get", lambda e: (f"{PROFILE}move", {})),
]

FORMS = [
    Endpoint("add alert", "post", lambda e: (f"{PROFILE}alerts/new", {"code": "ESCAPE"}), 302),
    Endpoint("end alert", "post", _active_alert, 302),
    Endpoint(
        "incentive review",
        "post",
        lambda e: (f"{PROFILE}incentive-review", {"level": "ENH", "comment": "Good behaviour"}),
        302,
    ),
    Endpoint("move", "post", lambda e: (f"{PROFILE}move", {"location": e.a_video_suite.pk}), 302),
    Endpoint("unlock device account", "post", _locked_account, 302),
    Endpoint("clear a device's wrong PINs", "post", _throttled_device, 302),
    Endpoint(
        "switch establishment",
        "post",
        lambda e: ("/staff/establishment", {"establishment": "NGT"}),
        302,
    ),
]

AUDIT = [
    Endpoint(
        "audit search",
        "get",
        lambda e: ("/staff/audit/?action=people.", {}),
        scoped=False,
        role=StaffRole.SECURITY,
    ),
    Endpoint("audit event", "get", _event_at_a, role=StaffRole.SECURITY),
    Endpoint(
        "prisoner timeline", "get", lambda e: (f"{PROFILE}timeline/", {}), role=StaffRole.SECURITY
    ),
    Endpoint(
        "audit export",
        "post",
        lambda e: ("/staff/audit/export", {"format": "jsonl"}),
        scoped=False,
        role=StaffRole.SECURITY,
    ),
]


def _site_request_at_a(estate: Estate) -> SiteRequest:
    """An open request from the prisoner at A: the same one, however often it is asked for."""
    return SiteRequest.objects.filter(
        prisoner=estate.prisoner_a, status=SiteRequest.Status.OPEN
    ).first() or do_request_site(
        estate.prisoner_a, "https://www.example.org/jobs", "To look for work", actor=SETUP
    )


REQUEST = "/staff/site-requests/"
SITE_REQUESTS = [
    Endpoint(
        "site request queue",
        "get",
        lambda e: (REQUEST, {}),
        scoped=False,
        role=StaffRole.EDUCATION,
    ),
    Endpoint(
        "site request",
        "get",
        lambda e: (f"{REQUEST}{_site_request_at_a(e).pk}/", {}),
        role=StaffRole.EDUCATION,
    ),
    Endpoint(
        "decline site request",
        "post",
        lambda e: (f"{REQUEST}{_site_request_at_a(e).pk}/decline", {"response": "Not for now"}),
        302,
        role=StaffRole.EDUCATION,
    ),
    Endpoint(
        "propose site from request",
        "post",
        lambda e: (
            f"{REQUEST}{_site_request_at_a(e).pk}/propose",
            {"name": "Example jobs", "category": "EMPLOYMENT", "paths": "", "note": "Job search"},
        ),
        302,
        role=StaffRole.EDUCATION,
    ),
]


def _site(estate: Estate) -> Site:
    """A site in the catalogue: the same one, however often it is asked for."""
    return Site.objects.filter(name="BBC News").first() or Site.objects.create(
        name="BBC News",
        category=Category.objects.get(code="NEWS"),
        hosts=["www.bbc.co.uk"],
        proposed_by="import:test",
        approved_by="test-setup",
        approved_at=timezone.now(),
    )


def _rule_at_a(estate: Estate) -> AccessRule:
    return AccessRule.objects.get_or_create(
        establishment=estate.a,
        rule_id="jobs",
        defaults={"effect": "allow", "categories": ["EMPLOYMENT"]},
    )[0]


def _exception_at_a(estate: Estate) -> PrisonerException:
    """An exception in force for the prisoner at A: the same one, however often it is asked for."""
    return PrisonerException.objects.filter(
        prisoner=estate.prisoner_a
    ).first() or PrisonerException.objects.create(
        prisoner=estate.prisoner_a,
        effect="forbid",
        category=Category.objects.get(code="NEWS"),
        until=dt.date(2099, 1, 31),
        reason="Misuse of news sites",
        approved_by="test-setup",
    )


def _proposal_at_a(estate: Estate, *, own: bool = False) -> PolicyProposal:
    """A site proposed at A, waiting: by the clerk at A if ``own``, else by someone else there."""
    proposer = (
        estate.clerk_a
        if own
        else (
            User.objects.filter(username="proposer.a").first()
            or do_create_staff_user(
                "proposer.a",
                password=PASSWORD,
                roles=[(estate.a, StaffRole.EDUCATION)],
                actor=SETUP,
                check_password=False,
            )
        )
    )
    return PolicyProposal.objects.filter(
        proposed_by=proposer, status=PolicyProposal.Status.PENDING
    ).first() or PolicyProposal.objects.create(
        kind=PolicyProposal.Kind.SITE,
        establishment=estate.a,
        payload={"name": "NHS", "hosts": ["www.nhs.uk"], "category": "HEALTH"},
        reason="Health advice",
        proposed_by=proposer,
    )


POLICY_SITES = "/staff/policy/sites/"
POLICY_RULES = "/staff/policy/rules/"
PROPOSALS = "/staff/policy/proposals/"
EXCEPTIONS = f"{PROFILE}exceptions/"
PROPOSER = StaffRole.EDUCATION  # may propose policy, not approve it
APPROVER = StaffRole.SECURITY
POLICY = [
    Endpoint("policy catalogue", "get", lambda e: (f"{POLICY_SITES}?q=bbc", {}), scoped=False),
    Endpoint("policy site", "get", lambda e: (f"{POLICY_SITES}{_site(e).pk}/", {}), scoped=False),
    Endpoint(
        "propose a site page",
        "get",
        lambda e: (f"{POLICY_SITES}new", {}),
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a site change page",
        "get",
        lambda e: (f"{POLICY_SITES}{_site(e).pk}/change", {}),
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose to retire a site page",
        "get",
        lambda e: (f"{POLICY_SITES}{_site(e).pk}/retire", {}),
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint("policy rules", "get", lambda e: (POLICY_RULES, {}), scoped=False),
    Endpoint(
        "propose a rule page",
        "get",
        lambda e: (f"{POLICY_RULES}new", {}),
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a rule change page",
        "get",
        lambda e: (f"{POLICY_RULES}{_rule_at_a(e).pk}/change", {}),
        role=PROPOSER,
    ),
    Endpoint(
        "propose to remove a rule page",
        "get",
        lambda e: (f"{POLICY_RULES}{_rule_at_a(e).pk}/remove", {}),
        role=PROPOSER,
    ),
    Endpoint(
        "propose an exception page",
        "get",
        lambda e: (f"{EXCEPTIONS}propose", {}),
        role=PROPOSER,
    ),
    Endpoint(
        "propose to revoke an exception page",
        "get",
        lambda e: (f"{EXCEPTIONS}{_exception_at_a(e).pk}/revoke", {}),
        role=PROPOSER,
    ),
    Endpoint("policy proposals", "get", lambda e: (PROPOSALS, {}), scoped=False, role=APPROVER),
    Endpoint(
        "policy proposal",
        "get",
        lambda e: (f"{PROPOSALS}{_proposal_at_a(e).pk}/", {}),
        role=APPROVER,
    ),
    Endpoint(
        "why tool",
        "get",
        lambda e: ("/staff/policy/why/?prisoner=A1234BC&url=https://www.bbc.co.uk/", {}),
        scoped=False,
    ),
    Endpoint(
        "propose a site",
        "post",
        lambda e: (
            f"{POLICY_SITES}new",
            {
                "name": "NHS",
                "hosts": "www.nhs.uk",
                "category": "HEALTH",
                "decider": "NGT",
                "reason": "Health advice",
            },
        ),
        302,
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a site change",
        "post",
        lambda e: (
            f"{POLICY_SITES}{_site(e).pk}/change",
            {
                "hosts": "www.bbc.co.uk\nnews.bbc.co.uk",
                "category": "NEWS",
                "decider": "NGT",
                "reason": "The news pages moved",
            },
        ),
        302,
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose to retire a site",
        "post",
        lambda e: (f"{POLICY_SITES}{_site(e).pk}/retire", {"decider": "NGT", "reason": "Gone"}),
        302,
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a rule",
        "post",
        lambda e: (
            f"{POLICY_RULES}new",
            {
                "decider": "NGT",
                "rule_id": "news-at-ngt",
                "effect": "allow",
                "categories": ["NEWS"],
                "reason": "News for everyone",
            },
        ),
        302,
        scoped=False,
        role=PROPOSER,
    ),
    Endpoint(
        "propose a rule change",
        "post",
        lambda e: (
            f"{POLICY_RULES}{_rule_at_a(e).pk}/change",
            {"effect": "allow", "categories": ["EMPLOYMENT", "EDUCATION"], "reason": "Courses"},
        ),
        302,
        role=PROPOSER,
    ),
    Endpoint(
        "propose to remove a rule",
        "post",
        lambda e: (f"{POLICY_RULES}{_rule_at_a(e).pk}/remove", {"reason": "Not needed"}),
        302,
        role=PROPOSER,
    ),
    Endpoint(
        "propose an exception",
        "post",
        lambda e: (
            f"{EXCEPTIONS}propose",
            {
                "effect": "allow",
                "site": _site(e).pk,
                "until_day": "31",
                "until_month": "1",
                "until_year": "2099",
                "exception_reason": "Studying journalism",
                "reason": "Agreed with the course tutor",
            },
        ),
        302,
        role=PROPOSER,
    ),
    Endpoint(
        "propose to revoke an exception",
        "post",
        lambda e: (f"{EXCEPTIONS}{_exception_at_a(e).pk}/revoke", {"reason": "No longer needed"}),
        302,
        role=PROPOSER,
    ),
    Endpoint(
        "approve a proposal",
        "post",
        lambda e: (
            f"{PROPOSALS}{_proposal_at_a(e).pk}/decide",
            {"decision": "approve", "note": "Checked"},
        ),
        302,
        role=APPROVER,
    ),
    # Only the proposer may withdraw (the estate admin included), so not in SCOPED.
    Endpoint(
        "withdraw a proposal",
        "post",
        lambda e: (f"{PROPOSALS}{_proposal_at_a(e, own=True).pk}/withdraw", {}),
        302,
        scoped=False,
        role=PROPOSER,
    ),
]

NGT = "/staff/establishments/NGT/"
SUPERVISE = Action.SUPERVISE_DEVICES
MANAGE = Action.MANAGE_DEVICES
GATEWAY = [
    Endpoint("devices and sessions", "get", lambda e: (f"{NGT}devices/", {}), action=SUPERVISE),
    Endpoint(
        "blocked on a wing", "get", lambda e: (f"{NGT}blocked/?wing=NGT-A", {}), action=SUPERVISE
    ),
    Endpoint(
        "register a device page",
        "get",
        lambda e: (f"{NGT}devices/new", {}),
        role=StaffRole.SECURITY,
        action=MANAGE,
    ),
    Endpoint(
        "browsing history",
        "get",
        lambda e: (f"{PROFILE}browsing/", {}),
        role=StaffRole.SECURITY,
        action=Action.VIEW_BROWSING,
    ),
    Endpoint(
        "end a session",
        "post",
        lambda e: (f"{NGT}sessions/{gateway_data.live_session(e).pk}/end", {}),
        302,
        action=SUPERVISE,
    ),
    Endpoint(
        "start a lockdown",
        "post",
        lambda e: (f"{NGT}lockdowns/new", {"scope": e.a_wing.pk, "reason": "Search of A wing"}),
        302,
        action=SUPERVISE,
    ),
    Endpoint(
        "lift a lockdown",
        "post",
        lambda e: (f"{NGT}lockdowns/{gateway_data.lockdown(e).pk}/lift", {}),
        302,
        action=SUPERVISE,
    ),
    Endpoint(
        "register a device",
        "post",
        lambda e: (
            f"{NGT}devices/new",
            {"device_id": "NGT-A-KIOSK-01", "location": e.a_cell.pk, "kind": "kiosk"},
        ),
        200,  # the page that shows the device's key, once
        role=StaffRole.SECURITY,
        action=MANAGE,
    ),
    Endpoint(
        "retire a device",
        "post",
        lambda e: (f"{NGT}devices/{gateway_data.device(e).pk}/retire", {}),
        302,
        role=StaffRole.SECURITY,
        action=MANAGE,
    ),
]

CONDUCT_URL = "/staff/conduct/"
INCIDENTS = f"{CONDUCT_URL}incidents/"
SANCTIONS = f"{CONDUCT_URL}sanctions/"
ALERTS = f"{CONDUCT_URL}alerts/"
TRIGGERS = f"{NGT}alert-triggers/"
REPORT = Action.REPORT_INCIDENTS
ADJUDICATE = Action.ADJUDICATE
REVIEW = Action.REVIEW_ALERTS
GOVERNOR = StaffRole.GOVERNOR
SECURITY = StaffRole.SECURITY


def _report(estate: Estate) -> dict[str, Any]:
    """What the report form is sent: something that happened at A an hour ago."""
    when = timezone.localtime() - dt.timedelta(hours=1)
    return {
        "prisoner": "A1234BC",
        "occurred_on_day": when.day,
        "occurred_on_month": when.month,
        "occurred_on_year": when.year,
        "occurred_time": f"{when:%H:%M}",
        "location": estate.a_cell.pk,
        "service": "web",
        "summary": "Tried to reach news sites during a sanction",
        "description": "Tried the BBC and the Guardian eleven times.",
        "evidence": "",
        "late_reason": "",
    }


def _hearing(estate: Estate) -> tuple[str, dict[str, Any]]:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return (
        f"{INCIDENTS}{conduct_data.incident(estate).pk}/move",
        {
            "to": Status.HEARING_SCHEDULED,
            "hearing_on_day": tomorrow.day,
            "hearing_on_month": tomorrow.month,
            "hearing_on_year": tomorrow.year,
            "hearing_time": "10:00",
        },
    )


def _activation(estate: Estate) -> tuple[str, dict[str, Any]]:
    suspended = conduct_data.sanction(estate, suspended=True)
    charge = conduct_data.second_charge(estate)
    return f"{SANCTIONS}{suspended.pk}/activate", {"charge": charge.pk, "days": ""}


CONDUCT = [
    Endpoint(
        "incidents",
        "get",
        lambda e: (f"{CONDUCT_URL}?status=open", {}),
        scoped=False,
        action=REPORT,
    ),
    Endpoint(
        "report an incident page",
        "get",
        lambda e: (f"{INCIDENTS}new", {}),
        scoped=False,
        action=REPORT,
    ),
    Endpoint(
        "incident",
        "get",
        lambda e: (f"{INCIDENTS}{conduct_data.incident(e).pk}/", {}),
        action=REPORT,
    ),
    Endpoint("conduct record", "get", lambda e: (f"{PROFILE}conduct/", {}), action=REPORT),
    Endpoint(
        "give a sanction page",
        "get",
        lambda e: (f"{INCIDENTS}{conduct_data.incident(e, Status.PROVED).pk}/sanctions/new", {}),
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint(
        "activate a sanction page",
        "get",
        lambda e: (f"{SANCTIONS}{conduct_data.sanction(e, suspended=True).pk}/activate", {}),
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint(
        "quash a sanction page",
        "get",
        lambda e: (f"{SANCTIONS}{conduct_data.sanction(e).pk}/quash", {}),
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint(
        "conduct alerts",
        "get",
        lambda e: (ALERTS, {}),
        scoped=False,
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint(
        "dismiss an alert page",
        "get",
        lambda e: (f"{ALERTS}{conduct_data.alert(e).pk}/dismiss", {}),
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint(
        "make an alert an incident page",
        "get",
        lambda e: (f"{ALERTS}{conduct_data.alert(e).pk}/incident", {}),
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint("alert triggers", "get", lambda e: (TRIGGERS, {}), role=SECURITY, action=REVIEW),
    Endpoint(
        "change an alert trigger page",
        "get",
        lambda e: (f"{TRIGGERS}repeated_blocked", {}),
        role=SECURITY,
        action=REVIEW,
    ),
    # Sent for a prisoner at A by the clerk at B, the report is refused by the form (there
    # is nobody with that number at B), not with a 404: test_conduct_pages checks it.
    Endpoint(
        "report an incident",
        "post",
        lambda e: (f"{INCIDENTS}new", _report(e)),
        302,
        scoped=False,
        action=REPORT,
    ),
    Endpoint("schedule a hearing", "post", _hearing, 302, role=GOVERNOR, action=ADJUDICATE),
    Endpoint(
        "lodge an appeal for the prisoner",
        "post",
        lambda e: (
            f"{INCIDENTS}{conduct_data.incident(e, Status.PROVED).pk}/move",
            {"to": Status.APPEALED, "notes": "The hearing did not hear my witness"},
        ),
        302,
        action=REPORT,
    ),
    Endpoint(
        "give a sanction",
        "post",
        lambda e: (
            f"{INCIDENTS}{conduct_data.incident(e, Status.PROVED).pk}/sanctions/new",
            {"service": "video", "days": "7", "reason": "Misuse of video calls"},
        ),
        302,
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint("activate a sanction", "post", _activation, 302, role=GOVERNOR, action=ADJUDICATE),
    Endpoint(
        "quash a sanction",
        "post",
        lambda e: (
            f"{SANCTIONS}{conduct_data.sanction(e).pk}/quash",
            {"reason": "The finding was quashed on review"},
        ),
        302,
        role=GOVERNOR,
        action=ADJUDICATE,
    ),
    Endpoint(
        "dismiss an alert",
        "post",
        lambda e: (
            f"{ALERTS}{conduct_data.alert(e).pk}/dismiss",
            {"reason": "Supervised class on current affairs"},
        ),
        302,
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint(
        "make an alert an incident",
        "post",
        lambda e: (f"{ALERTS}{conduct_data.alert(e).pk}/incident", _report(e)),
        302,
        role=SECURITY,
        action=REVIEW,
    ),
    Endpoint(
        "change an alert trigger",
        "post",
        lambda e: (
            f"{TRIGGERS}repeated_blocked",
            {"enabled": "yes", "threshold": "8", "window_minutes": "15"},
        ),
        302,
        role=SECURITY,
        action=REVIEW,
    ),
]

CONTACTS_URL = "/staff/contacts/"
CONTACTS_ACTION = Action.MANAGE_CONTACTS
VISITS = StaffRole.VISITS


def _contact(estate: Estate, status: str = LinkStatus.CONFIRMED, *, checked: bool = False) -> str:
    return f"{CONTACTS_URL}{contact_data.link(estate, status, checked=checked).pk}/"


CONTACT_SETTINGS_URL = "/staff/establishments/NGT/contact-settings"


def _identity_image(estate: Estate) -> str:
    """A copy of Rita's document, kept for her link at A (which keeps copies)."""
    link = contact_data.link(estate)
    image = IdentityImage.objects.live().filter(link=link).first()
    if image is None:
        do_set_contact_settings(
            estate.a, keep_identity_images=True, identity_image_days=30, actor=SETUP
        )
        image = do_add_identity_image(link, data=b"%PDF-1.7 a scan", actor=SETUP)
    return f"{CONTACTS_URL}{link.pk}/identity-images/{image.pk}"


def _contacts(
    name: str,
    method: str,
    build: Callable[[Estate], tuple[str, dict[str, Any]]],
    *,
    scoped: bool = True,
) -> Endpoint:
    """A contacts page: for the visits team, with MANAGE_CONTACTS."""
    status = 200 if method == "get" else 302
    return Endpoint(name, method, build, status, scoped=scoped, role=VISITS, action=CONTACTS_ACTION)


CONTACTS = [
    _contacts("contacts waiting", "get", lambda e: (CONTACTS_URL, {}), scoped=False),
    _contacts("contact link", "get", lambda e: (_contact(e), {})),
    _contacts("prisoner's contacts", "get", lambda e: (f"{PROFILE}contacts/", {})),
    _contacts("add an official page", "get", lambda e: (f"{PROFILE}contacts/official", {})),
    _contacts(
        "check a contact's identity", "post", lambda e: (f"{_contact(e)}identity-checked", {})
    ),
    _contacts(
        "approve a contact",
        "post",
        lambda e: (f"{_contact(e, checked=True)}approve", {"relationship": "MOTHER"}),
    ),
    _contacts(
        "refuse a contact",
        "post",
        lambda e: (f"{_contact(e)}refuse", {"reason": "Not known to the prisoner's family"}),
    ),
    _contacts(
        "revoke a contact",
        "post",
        lambda e: (
            f"{_contact(e, LinkStatus.APPROVED)}revoke",
            {"reason": "Passed items on a visit"},
        ),
    ),
    _contacts("mark a victim", "post", lambda e: (f"{_contact(e)}victim", {"victim": "yes"})),
    _contacts(
        "add a contact restriction",
        "post",
        lambda e: (
            f"{_contact(e, LinkStatus.APPROVED)}restrictions/new",
            {"code": "CCTV", "reason": "Seen passing items"},
        ),
    ),
    _contacts(
        "end a contact restriction",
        "post",
        lambda e: (f"{CONTACTS_URL}restrictions/{contact_data.restriction(e).pk}/end", {}),
    ),
    _contacts(
        "add an official",
        "post",
        lambda e: (
            f"{PROFILE}contacts/official",
            {"given_name": "Sam", "family_name": "Counsel", "relationship": "SOLICITOR"},
        ),
    ),
    _contacts("see a copy of an identity document", "get", lambda e: (_identity_image(e), {})),
    Endpoint(
        "contact settings page",
        "get",
        lambda e: (CONTACT_SETTINGS_URL, {}),
        role=GOVERNOR,
        action=Action.MANAGE_ESTABLISHMENT,
    ),
    Endpoint(
        "change contact settings",
        "post",
        lambda e: (
            CONTACT_SETTINGS_URL,
            {"keep_identity_images": "yes", "identity_image_days": "30"},
        ),
        302,
        role=GOVERNOR,
        action=Action.MANAGE_ESTABLISHMENT,
    ),
]

CALLS_URL = "/staff/video-calls/"
CALL_BOOK_URL = f"{PROFILE}video-calls/book"
SESSIONS_URL = "/staff/establishments/NGT/video-calls/sessions/"
SETTINGS_URL = "/staff/establishments/NGT/video-calls/settings"


def _rita(estate: Estate) -> int:
    return contact_data.link(estate, LinkStatus.APPROVED).contact.pk


CALLS = [
    _contacts("video calls", "get", lambda e: (CALLS_URL, {}), scoped=False),
    _contacts("book a video call page", "get", lambda e: (CALL_BOOK_URL, {})),
    _contacts(
        "cancel a video call page",
        "get",
        lambda e: (f"{CALLS_URL}{call_data.booking(e).pk}/cancel", {}),
    ),
    _contacts(
        "book a video call",
        "post",
        lambda e: (CALL_BOOK_URL, {"slot": call_data.slot_value(e), "main_caller": _rita(e)}),
    ),
    _contacts(
        "cancel a video call",
        "post",
        lambda e: (f"{CALLS_URL}{call_data.booking(e).pk}/cancel", {"reason": "Suite closed"}),
    ),
    _contacts("video-call sessions", "get", lambda e: (SESSIONS_URL, {})),
    _contacts("video-call settings page", "get", lambda e: (SETTINGS_URL, {})),
    _contacts(
        "add a video-call session",
        "post",
        lambda e: (
            SESSIONS_URL,
            {
                "suite": e.a_video_suite.pk,
                "weekday": 3,
                "starts": "10:00",
                "minutes": 30,
                "capacity": 1,
            },
        ),
    ),
    _contacts(
        "stop offering a video-call session",
        "post",
        lambda e: (f"{SESSIONS_URL}{call_data.session(e).pk}/deactivate", {}),
    ),
    _contacts(
        "change video-call settings",
        "post",
        lambda e: (
            SETTINGS_URL,
            {
                **{f"minutes_{level}": 60 for level in IncentiveLevel.values},
                "lead_hours": 24,
                "window_days": 21,
            },
        ),
    ),
    Endpoint(
        "live calls",
        "get",
        lambda e: (f"{CALLS_URL}live/", {}),
        scoped=False,
        action=Action.OVERSEE_CALLS,
    ),
]

# A call staff watch, mute, note and end (the call page's own routes). The call is booked
# and not open, so the requests that need a live call are refused (409) once the member of
# staff has been let in: what is tried here is who is let in.
WATCH_URL = "/staff/calls/"


def _recording(estate: Estate) -> tuple[str, dict[str, Any]]:
    """A recording of the call at A, its file in place: the same one however often asked."""
    booking = call_data.booking(estate)
    found = Recording.objects.filter(booking=booking).first()
    if found is None:
        folder = Path(tempfile.gettempdir()) / "wicketgate-test-recordings"
        folder.mkdir(exist_ok=True)
        media = folder / f"{booking.pk}-prisoner-audio.opus"
        media.write_bytes(b"OggS")
        found = Recording.objects.create(
            booking=booking,
            kind="audio",
            who="prisoner",
            path=str(media),
            size=4,
            delete_after=timezone.now() + dt.timedelta(days=90),
        )
    return f"{WATCH_URL}{booking.pk}/recordings/{found.pk}", {}


LIVE_CALLS = [
    Endpoint(
        "watch a video call",
        "get",
        lambda e: (f"{WATCH_URL}{call_data.booking(e).pk}/", {}),
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "tokens to watch a video call",
        "post",
        lambda e: (f"{WATCH_URL}{call_data.booking(e).pk}/tokens", {}),
        owner_status=409,
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "end a video call",
        "post",
        lambda e: (f"{WATCH_URL}{call_data.booking(e).pk}/end", {"reason": "Test"}),
        owner_status=409,
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "mute someone on a video call",
        "post",
        lambda e: (
            f"{WATCH_URL}{call_data.booking(e).pk}/moderate",
            {"participant": "1", "track": "audio", "mute": "1"},
        ),
        owner_status=409,
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "note on a video call",
        "post",
        lambda e: (f"{WATCH_URL}{call_data.booking(e).pk}/notes", {"text": "Calm throughout"}),
        owner_status=302,
        action=Action.OVERSEE_CALLS,
    ),
    Endpoint(
        "play a call recording",
        "get",
        _recording,
        role=StaffRole.SECURITY,
        action=Action.VIEW_RECORDINGS,
    ),
]

# The family portal's pages about one family's records, for test_family_call_cancel.py:
# Rita (the main caller) gets ``owner_status``; another family member, staff and a
# prisoner get a 404, and a visitor is sent to the family sign-in. Not in ALL, which is
# the staff site.
FAMILY_CALLS_URL = "/family/video-calls/"

FAMILY = [
    Endpoint(
        "family: cancel a video call page",
        "get",
        lambda e: (f"{FAMILY_CALLS_URL}{call_data.booking(e).pk}/cancel", {}),
    ),
    Endpoint(
        "family: cancel a video call",
        "post",
        lambda e: (f"{FAMILY_CALLS_URL}{call_data.booking(e).pk}/cancel", {"reason": "Unwell"}),
        owner_status=302,
    ),
]

ALL = (
    PAGES
    + FORMS
    + AUDIT
    + SITE_REQUESTS
    + POLICY
    + GATEWAY
    + CONDUCT
    + CONTACTS
    + CALLS
    + LIVE_CALLS
)
SCOPED = [endpoint for endpoint in ALL if endpoint.scoped]
CHANGES = [endpoint for endpoint in FORMS if endpoint.name != "switch establishment"]
# Requests that must leave an event in the audit log: every change, and every export.
RECORDED = [
    *CHANGES,
    *(
        endpoint
        for endpoint in AUDIT + SITE_REQUESTS + POLICY + GATEWAY + CONDUCT + CONTACTS + CALLS
        if endpoint.method == "post"
    ),
    # Refused for want of a live call (409), and the watch page, write nothing; a note does.
    *(
        endpoint
        for endpoint in LIVE_CALLS
        if endpoint.method == "post" and endpoint.owner_status != 409
    ),
    *(endpoint for endpoint in LIVE_CALLS if endpoint.name == "play a call recording"),
]

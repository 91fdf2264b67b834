"""The contacts app's staff pages and forms for the persona suite
(wicketgate/tests/test_access.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.documents import do_add_identity_image, do_set_contact_settings
from wicketgate.contacts.models import IdentityImage
from wicketgate.contacts.tests import data as contact_data
from wicketgate.testing.endpoints import PROFILE, Endpoint
from wicketgate.testing.personas import SETUP, Estate

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


def visits_endpoint(
    name: str,
    method: str,
    build: Callable[[Estate], tuple[str, dict[str, Any]]],
    *,
    scoped: bool = True,
) -> Endpoint:
    """A page for the visits team, with MANAGE_CONTACTS (contacts, and video calls too)."""
    status = 200 if method == "get" else 302
    return Endpoint(name, method, build, status, scoped=scoped, role=VISITS, action=CONTACTS_ACTION)


CONTACTS = [
    visits_endpoint("contacts waiting", "get", lambda e: (CONTACTS_URL, {}), scoped=False),
    visits_endpoint("contact link", "get", lambda e: (_contact(e), {})),
    visits_endpoint("prisoner's contacts", "get", lambda e: (f"{PROFILE}contacts/", {})),
    visits_endpoint("add an official page", "get", lambda e: (f"{PROFILE}contacts/official", {})),
    visits_endpoint(
        "check a contact's identity", "post", lambda e: (f"{_contact(e)}identity-checked", {})
    ),
    visits_endpoint(
        "approve a contact",
        "post",
        lambda e: (f"{_contact(e, checked=True)}approve", {"relationship": "MOTHER"}),
    ),
    visits_endpoint(
        "refuse a contact",
        "post",
        lambda e: (f"{_contact(e)}refuse", {"reason": "Not known to the prisoner's family"}),
    ),
    visits_endpoint(
        "revoke a contact",
        "post",
        lambda e: (
            f"{_contact(e, LinkStatus.APPROVED)}revoke",
            {"reason": "Passed items on a visit"},
        ),
    ),
    visits_endpoint("mark a victim", "post", lambda e: (f"{_contact(e)}victim", {"victim": "yes"})),
    visits_endpoint(
        "add a contact restriction",
        "post",
        lambda e: (
            f"{_contact(e, LinkStatus.APPROVED)}restrictions/new",
            {"code": "CCTV", "reason": "Seen passing items"},
        ),
    ),
    visits_endpoint(
        "end a contact restriction",
        "post",
        lambda e: (f"{CONTACTS_URL}restrictions/{contact_data.restriction(e).pk}/end", {}),
    ),
    visits_endpoint(
        "add an official",
        "post",
        lambda e: (
            f"{PROFILE}contacts/official",
            {"given_name": "Sam", "family_name": "Counsel", "relationship": "SOLICITOR"},
        ),
    ),
    visits_endpoint(
        "see a copy of an identity document", "get", lambda e: (_identity_image(e), {})
    ),
    Endpoint(
        "contact settings page",
        "get",
        lambda e: (CONTACT_SETTINGS_URL, {}),
        role=StaffRole.GOVERNOR,
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
        role=StaffRole.GOVERNOR,
        action=Action.MANAGE_ESTABLISHMENT,
    ),
]

ENDPOINTS = CONTACTS

"""Contacts for the web tests, each the same one however often it is asked for."""

from __future__ import annotations

import datetime as dt

from wicketgate.accounts.models import User
from wicketgate.audit.log import Actor
from wicketgate.contacts.actions import (
    do_add_restriction,
    do_check_identity,
    do_confirm_link,
    do_decide_link,
    do_give_identity,
    do_register_family_member,
    do_request_link,
    do_verify_email,
)
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import Contact, ContactLink, ContactRestriction
from wicketgate.people.models import Prisoner
from wicketgate.testing.personas import SETUP, Estate

PASSWORD = "a-long-family-password-9"  # test accounts only


def person(email: str = "rita@example.org", *, given_name: str = "Rita") -> Contact:
    """A registered, e-mail-confirmed family member with identity details given."""
    found = Contact.objects.filter(email=email).first()
    if found is not None:
        return found
    made, token = do_register_family_member(
        email=email,
        password=PASSWORD,
        given_name=given_name,
        family_name="Ashdown",
        date_of_birth=dt.date(1966, 8, 9),
    )
    do_verify_email(token)
    return do_give_identity(
        made,
        document_type="passport",
        document_number="123456789",
        address="1 High Street, Leeds",
        postcode="LS1 1AA",
        actor=Actor.of_user(made.user),
    )


def account(contact: Contact) -> User:
    """The account a family member signs in with (every one registered has one)."""
    assert contact.user is not None, f"{contact.email} has no account"
    return contact.user


def link(
    estate: Estate,
    status: str = LinkStatus.CONFIRMED,
    *,
    checked: bool = False,
    prisoner: Prisoner | None = None,
    email: str = "rita@example.org",
) -> ContactLink:
    """``person`` on the prisoner at A's list, brought to ``status`` (requested, confirmed
    or approved); with ``checked``, their identity is checked."""
    prisoner = prisoner or estate.prisoner_a
    who = person(email)
    found = ContactLink.objects.filter(prisoner=prisoner, contact=who).first()
    if found is None:
        found = do_request_link(
            who,
            prison_number=prisoner.prison_number,
            prisoner_date_of_birth=prisoner.date_of_birth,
            relationship="MOTHER",
            actor=Actor.of_user(who.user),
        )
    if status != LinkStatus.REQUESTED and found.status == LinkStatus.REQUESTED:
        found = do_confirm_link(found, accept=True, actor=Actor("prisoner", "p", "prisoner"))
    if (checked or status == LinkStatus.APPROVED) and not found.contact.identity_checked:
        do_check_identity(found.contact, actor=SETUP)
    if status == LinkStatus.APPROVED and found.status == LinkStatus.CONFIRMED:
        found = do_decide_link(found, approve=True, actor=SETUP)
    return found


def restriction(estate: Estate) -> ContactRestriction:
    approved = link(estate, LinkStatus.APPROVED)
    found = approved.restrictions.filter(ended_at__isnull=True).first()
    if found is not None:
        return found
    return do_add_restriction(approved, code="CCTV", reason="Seen passing items", actor=SETUP)

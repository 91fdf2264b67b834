from __future__ import annotations

import datetime as dt

from wicketgate.audit.log import Actor
from wicketgate.contacts.actions import (
    do_add_official,
    do_check_identity,
    do_confirm_link,
    do_decide_link,
    do_give_identity,
    do_register_family_member,
    do_request_link,
)
from wicketgate.contacts.codes import OFFICIAL
from wicketgate.contacts.models import ContactLink
from wicketgate.people.models import Prisoner

STAFF = Actor("staff", "3", "visits.officer")
PASSWORD = "a-long-family-password-9"  # test accounts only


def approved_contact(prisoner: Prisoner, relationship: str, name: str = "") -> ContactLink:
    """A contact on the prisoner's list the whole way: registered, identity checked,
    asked for, confirmed by the prisoner, approved by staff (officials: added by staff)."""
    if relationship in OFFICIAL:
        return do_add_official(
            prisoner,
            given_name="Sam",
            family_name="Counsel",
            relationship=relationship,
            actor=STAFF,
        )
    count = ContactLink.objects.count()
    person, _token = do_register_family_member(
        email=f"{name or relationship.lower()}{count}@example.org",
        password=PASSWORD,
        given_name=name or relationship.title(),
        family_name="Ashdown",
        date_of_birth=dt.date(1965, 3, 4),
    )
    owner = Actor.of_user(person.user)
    do_give_identity(
        person,
        document_type="passport",
        document_number="123456789",
        address="1 High Street, Leeds",
        postcode="LS1 1AA",
        actor=owner,
    )
    do_check_identity(person, actor=STAFF)
    link = do_request_link(
        person,
        prison_number=prisoner.prison_number,
        prisoner_date_of_birth=prisoner.date_of_birth,
        relationship=relationship,
        actor=owner,
    )
    do_confirm_link(link, accept=True, actor=Actor("prisoner", "p", prisoner.prison_number))
    return do_decide_link(link, approve=True, actor=STAFF)

"""Sending the e-mail confirmation link again: only to a registered address not yet
confirmed, at most once a minute and a few times an hour, each time audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.actions import (
    RESEND_PER_HOUR,
    ContactError,
    do_register_family_member,
    do_resend_verification,
    do_verify_email,
)
from wicketgate.contacts.models import Contact
from wicketgate.contacts.tests.conftest import PASSWORD
from wicketgate.testing.personas import Estate

pytestmark = pytest.mark.django_db


def register(email: str = "fay@example.org") -> Contact:
    person, _token = do_register_family_member(
        email=email,
        password=PASSWORD,
        given_name="Fay",
        family_name="Ashdown",
        date_of_birth=dt.date(1970, 1, 2),
    )
    return person


def later(minutes: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_it_issues_a_working_link_for_an_unconfirmed_address_and_audits_it(
    estate: Estate,
) -> None:
    person = register()
    found = do_resend_verification(" Fay@Example.org ", now=later(2))
    assert found is not None
    again, token = found
    assert again == person
    assert do_verify_email(token).email_verified_at is not None
    event = AuditEvent.objects.get(action="contacts.email.resend")
    assert event.subject_id == str(person.pk) and event.actor_kind == "system"


def test_it_sends_nothing_for_an_unknown_or_confirmed_address(estate: Estate) -> None:
    assert do_resend_verification("nobody@example.org", now=later(2)) is None
    person = register()
    found = do_resend_verification(person.email, now=later(2))
    assert found is not None
    do_verify_email(found[1])
    assert do_resend_verification(person.email, now=later(4)) is None
    assert AuditEvent.objects.filter(action="contacts.email.resend").count() == 1


def test_it_sends_at_most_one_a_minute_and_a_few_an_hour(estate: Estate) -> None:
    person = register()
    with pytest.raises(ContactError, match="email: we sent a link less than a minute ago"):
        do_resend_verification(person.email)  # the registration's link is on its way
    minutes = [2 * n for n in range(1, RESEND_PER_HOUR)]  # with registration's: the limit
    for minute in minutes:
        assert do_resend_verification(person.email, now=later(minute)) is not None
    with pytest.raises(ContactError, match="several links this hour"):
        do_resend_verification(person.email, now=later(minutes[-1] + 2))
    assert do_resend_verification(person.email, now=later(61)) is not None

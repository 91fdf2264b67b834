"""The "Send the link again" page: a new confirmation link for a registered address not
yet confirmed, and the same answer for any other address, so it tells no one who has an
account."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from wicketgate.accounts.models import User
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.models import Contact
from wicketgate.contacts.tests import data as contact_data
from wicketgate.contacts.tests.test_pages import REGISTRATION, family_client

pytestmark = pytest.mark.django_db

PAGE = "/family/verify-again"


@pytest.fixture
def registered(client_anon: Client, monkeypatch: pytest.MonkeyPatch) -> str:
    """Rita has registered but not confirmed; two minutes have passed since."""
    client_anon.post("/family/register", REGISTRATION)
    mail.outbox.clear()
    moved = timezone.now() + dt.timedelta(minutes=2)
    monkeypatch.setattr(timezone, "now", lambda: moved)
    return "rita.new@example.org"


def answer(client: Client, email: str) -> str:
    response = client.post(PAGE, {"email": email})
    assert response.status_code == 200
    page = response.content.decode().replace(email, "ADDRESS")
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)  # a fresh one on every page


def test_it_sends_a_new_link_that_confirms_the_address(
    client_anon: Client, registered: str
) -> None:
    assert "Send the link again" in client_anon.get(PAGE).content.decode()
    page = answer(client_anon, "Rita.New@Example.org")
    assert "we have sent a new link" in page
    assert [m.to for m in mail.outbox] == [[registered]]
    match = re.search(r"http://testserver(/family/verify/\S+)", str(mail.outbox[0].body))
    assert match is not None
    assert b"Email address confirmed" in client_anon.get(match[1]).content
    assert Contact.objects.get(email=registered).email_verified_at is not None
    assert AuditEvent.objects.filter(action="contacts.email.resend").count() == 1


def test_it_answers_the_same_for_any_address_and_mails_only_the_unconfirmed(
    client_anon: Client, registered: str
) -> None:
    contact_data.person("rita@example.org")  # registered and confirmed
    unconfirmed = answer(client_anon, registered)
    assert answer(client_anon, "nobody@example.org") == unconfirmed
    assert answer(client_anon, "rita@example.org") == unconfirmed
    assert answer(client_anon, registered) == unconfirmed  # too soon: nothing sent
    assert [m.to for m in mail.outbox] == [[registered]]


def test_it_asks_for_a_real_address(client_anon: Client, estate: object) -> None:
    page = client_anon.post(PAGE, {"email": "not an address"}).content.decode()
    assert "Enter an email address like name@example.com" in page
    assert not mail.outbox


def test_it_is_linked_where_the_link_is_needed(
    client_anon: Client, registered: str, estate: object
) -> None:
    link = f'href="{PAGE}"'
    assert link in client_anon.get("/family/sign-in").content.decode()
    assert link in client_anon.get("/family/verify/not-a-token").content.decode()
    assert link in client_anon.post(PAGE, {"email": registered}).content.decode()
    rita = family_client(User.objects.get(username=registered))
    assert link in rita.get("/family/").content.decode()
    assert link in rita.get("/family/prisoners/ask").content.decode()
    confirmed = family_client(contact_data.account(contact_data.person("rita@example.org")))
    assert link not in confirmed.get("/family/").content.decode()


def test_registering_offers_it_too(client_anon: Client, estate: object) -> None:
    page = client_anon.post("/family/register", REGISTRATION).content.decode()
    assert f'href="{PAGE}"' in page and "We have sent a link to" in page

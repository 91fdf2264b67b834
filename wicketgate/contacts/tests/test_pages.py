"""The contact pages: a family member registers, confirms their e-mail, gives identity
details and asks to be a contact; the prisoner confirms; staff check identity, decide,
restrict; each sees only what is theirs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from wicketgate.accounts.models import User
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.actions import NO_MATCH
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import Contact, ContactLink
from wicketgate.contacts.tests import data as contact_data
from wicketgate.testing.personas import Estate, staff_client

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "given_name": "Rita",
    "family_name": "Ashdown",
    "date_of_birth_day": "9",
    "date_of_birth_month": "8",
    "date_of_birth_year": "1966",
    "email": "Rita.New@example.org",
    "password": "a-long-family-password-9",
}


def family_client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="wicketgate.accounts.backends.PasswordBackend")
    return client


def ask(client: Client, estate: Estate, *, day: int | None = None) -> HttpResponse:
    born = estate.prisoner_a.date_of_birth
    response = client.post(
        "/family/prisoners/ask",
        {
            "prison_number": "a1234bc",
            "prisoner_date_of_birth_day": day or born.day,
            "prisoner_date_of_birth_month": born.month,
            "prisoner_date_of_birth_year": born.year,
            "relationship": "MOTHER",
        },
    )
    assert isinstance(response, HttpResponse)
    return response


@pytest.fixture
def visits(estate: Estate) -> Client:
    return staff_client(estate, "visits.a", StaffRole.VISITS)


def test_it_registers_and_sends_a_link_that_confirms_the_email(
    client_anon: Client, estate: Estate
) -> None:
    response = client_anon.post("/family/register", REGISTRATION)
    assert response.status_code == 200
    assert b"Check your email" in response.content
    person = Contact.objects.get(email="rita.new@example.org")
    assert person.email_verified_at is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rita.new@example.org"]
    match = re.search(r"http://testserver(/family/verify/\S+)", str(mail.outbox[0].body))
    assert match is not None
    response = client_anon.get(match[1])
    assert b"Email address confirmed" in response.content
    person.refresh_from_db()
    assert person.email_verified_at is not None


def test_registering_an_address_with_an_account_looks_the_same_and_tells_its_owner(
    client_anon: Client, estate: Estate
) -> None:
    """Whether an address has an account here says that its owner has someone in prison:
    the page must not tell; the owner hears by e-mail."""
    first = client_anon.post("/family/register", REGISTRATION)
    again = Client().post(
        "/family/register",
        {**REGISTRATION, "given_name": "Someone", "password": "x-another-long-pass-7"},
    )
    assert again.status_code == first.status_code == 200

    def page(response: Any) -> str:
        html = response.content.decode()
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        return re.sub(r'nonce="[^"]+"', "", html)  # fresh for every response

    assert page(again) == page(first)
    assert User.objects.filter(username="rita.new@example.org").count() == 1
    assert Contact.objects.get(email="rita.new@example.org").given_name == "Rita"
    notice = mail.outbox[-1]
    assert notice.to == ["rita.new@example.org"] and "already have one" in notice.body
    refused = AuditEvent.objects.filter(action="contacts.register", outcome="denied")
    assert refused.count() == 1


def test_a_weak_password_is_named_whether_or_not_the_address_has_an_account(
    client_anon: Client, estate: Estate
) -> None:
    client_anon.post("/family/register", REGISTRATION)
    for email in ("rita.new@example.org", "nobody.yet@example.org"):
        response = Client().post(
            "/family/register", {**REGISTRATION, "email": email, "password": "short"}
        )
        assert b'id="id_password_error"' in response.content, email


def test_it_shows_a_registration_refusal_against_its_field(
    client_anon: Client, estate: Estate
) -> None:
    response = client_anon.post("/family/register", {**REGISTRATION, "date_of_birth_year": "2015"})
    assert response.status_code == 200
    assert b'id="id_date_of_birth_error"' in response.content
    assert b"18 or over" in response.content
    assert not mail.outbox


def test_it_says_so_when_the_verification_link_is_bad(client_anon: Client, estate: Estate) -> None:
    response = client_anon.get("/family/verify/not-a-token")
    assert b"This link does not work" in response.content


def test_it_does_not_let_an_unconfirmed_family_member_ask(
    client_anon: Client, estate: Estate
) -> None:
    client_anon.post("/family/register", REGISTRATION)
    client = family_client(User.objects.get(username="rita.new@example.org"))
    assert b"Confirm your email address first" in client.get("/family/prisoners/ask").content
    ask(client, estate)
    assert not ContactLink.objects.exists()


def test_it_gives_the_same_answer_for_a_wrong_date_of_birth(estate: Estate) -> None:
    person = contact_data.person()
    client = family_client(contact_data.account(person))
    response = ask(client, estate, day=estate.prisoner_a.date_of_birth.day + 1)
    assert response.status_code == 200
    assert NO_MATCH.encode() in response.content
    assert not ContactLink.objects.exists()


@pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_it_says_when_to_try_again_past_the_limit_of_asks(estate: Estate, settings: Any) -> None:
    settings.WICKETGATE_CONTACT_REQUESTS_PER_ACCOUNT = 1
    client = family_client(contact_data.account(contact_data.person()))
    wrong = estate.prisoner_a.date_of_birth.day + 1
    assert NO_MATCH.encode() in ask(client, estate, day=wrong).content
    content = ask(client, estate).content.decode()
    assert (
        "Too many requests to be a contact have been made with these details. "
        "You can try again after 09:00 on 3 March 2026." in content
    )
    assert not ContactLink.objects.exists()


def test_it_keeps_identity_details_and_asks(estate: Estate) -> None:
    person = contact_data.person()
    client = family_client(contact_data.account(person))
    response = client.post(
        "/family/identity",
        {
            "document_type": "driving_licence",
            "document_number": "ashdo 612345",
            "address": "2 Low Road",
            "postcode": "ls2 2bb",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.document_number, person.postcode) == ("ASHDO612345", "LS2 2BB")
    assert ask(client, estate).status_code == 302
    page = client.get("/family/prisoners/").content.decode()
    assert "Alan Ashdown" in page
    assert "Waiting for them to confirm" in page


def test_the_prisoner_confirms_on_the_portal(client_prisoner: Client, estate: Estate) -> None:
    link = contact_data.link(estate, LinkStatus.REQUESTED)
    page = client_prisoner.get("/portal/contacts/").content.decode()
    assert "People who asked to be your contact" in page
    assert "Rita Ashdown" in page
    response = client_prisoner.post(f"/portal/contacts/{link.pk}/confirm", {"accept": "yes"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == LinkStatus.CONFIRMED


def test_the_prisoner_cannot_confirm_anothers_link(client_prisoner: Client, estate: Estate) -> None:
    link = contact_data.link(estate, LinkStatus.REQUESTED, prisoner=estate.prisoner_b)
    response = client_prisoner.post(f"/portal/contacts/{link.pk}/confirm", {"accept": "yes"})
    assert response.status_code == 404


def test_staff_approve_only_once_identity_is_checked(
    visits: Client, client_prisoner: Client, estate: Estate
) -> None:
    link = contact_data.link(estate)
    queue = visits.get("/staff/contacts/").content.decode()
    assert link.reference in queue
    assert "Details given, not checked" in queue
    url = f"/staff/contacts/{link.pk}/"
    response = visits.post(f"{url}approve", {"relationship": "MOTHER"})
    assert response.status_code == 200
    assert b"check their identity before approving" in response.content
    assert ContactLink.objects.get(pk=link.pk).status == LinkStatus.CONFIRMED
    assert visits.post(f"{url}identity-checked").status_code == 302
    response = visits.post(f"{url}approve", {"relationship": "MOTHER"})
    assert response.status_code == 302
    assert ContactLink.objects.get(pk=link.pk).status == LinkStatus.APPROVED
    page = client_prisoner.get("/portal/contacts/").content.decode()
    assert "Approved contacts" in page
    assert "Rita Ashdown" in page


def test_staff_refuse_with_a_reason(visits: Client, estate: Estate) -> None:
    link = contact_data.link(estate)
    response = visits.post(f"/staff/contacts/{link.pk}/refuse", {"reason": ""})
    assert b'id="refuse_reason_error"' in response.content
    visits.post(f"/staff/contacts/{link.pk}/refuse", {"reason": "Unknown to the family"})
    assert ContactLink.objects.get(pk=link.pk).status == LinkStatus.REFUSED


def test_staff_add_and_end_a_restriction(visits: Client, estate: Estate) -> None:
    link = contact_data.link(estate, LinkStatus.APPROVED)
    url = f"/staff/contacts/{link.pk}/"
    response = visits.post(
        f"{url}restrictions/new", {"code": "BAN", "reason": "Brought drugs on a visit"}
    )
    assert response.status_code == 302
    restriction = link.restrictions.get()
    page = visits.get(url).content.decode()
    assert "Banned (BAN)" in page
    assert "In force" in page
    assert visits.post(f"/staff/contacts/restrictions/{restriction.pk}/end").status_code == 302
    restriction.refresh_from_db()
    assert restriction.ended_at is not None
    assert "Ended" in visits.get(url).content.decode()


def test_staff_add_an_official_who_shows_as_privileged(
    visits: Client, client_prisoner: Client, estate: Estate
) -> None:
    response = visits.post(
        "/staff/prisoners/A1234BC/contacts/official",
        {"given_name": "Sam", "family_name": "Counsel", "relationship": "SOLICITOR"},
    )
    assert response.status_code == 302
    assert "Sam Counsel" in visits.get("/staff/prisoners/A1234BC/contacts/").content.decode()
    page = client_prisoner.get("/portal/contacts/").content.decode()
    assert "Sam Counsel" in page
    assert "Privileged" in page


def test_an_outsider_gets_a_404_for_the_link_page(estate: Estate) -> None:
    link = contact_data.link(estate)
    outsider = staff_client(estate, "visits.b", StaffRole.VISITS, where="b")
    assert outsider.get(f"/staff/contacts/{link.pk}/").status_code == 404
    assert link.reference not in outsider.get("/staff/contacts/").content.decode()


def test_a_family_member_never_sees_anothers_links(estate: Estate) -> None:
    mine = contact_data.link(estate, LinkStatus.APPROVED)
    other = contact_data.person("omar@example.org", given_name="Omar")
    client = family_client(contact_data.account(other))
    page = client.get("/family/prisoners/").content.decode()
    assert "Alan Ashdown" not in page
    assert client.get(f"/family/prisoners/{mine.pk}/children/new").status_code == 404


def test_an_approved_adult_adds_a_child(estate: Estate) -> None:
    mine = contact_data.link(estate, LinkStatus.APPROVED)
    client = family_client(contact_data.account(mine.contact))
    response = client.post(
        f"/family/prisoners/{mine.pk}/children/new",
        {
            "given_name": "Tia",
            "family_name": "Ashdown",
            "date_of_birth_day": "1",
            "date_of_birth_month": "2",
            "date_of_birth_year": "2018",
            "relationship": "DAUGHTER",
        },
    )
    assert response.status_code == 302
    assert "Tia Ashdown" in client.get("/family/prisoners/").content.decode()


@pytest.mark.parametrize("url", ["/family/prisoners/", "/family/prisoners/ask", "/family/identity"])
def test_the_family_pages_are_for_family_members_only(
    client_prisoner: Client, client_a: Client, client_anon: Client, estate: Estate, url: str
) -> None:
    assert client_prisoner.get(url).status_code == 404
    assert client_a.get(url).status_code == 404
    assert client_anon.get(url)["Location"].startswith("/family/sign-in")


def test_the_portal_contacts_are_for_prisoners_only(
    client_family: Client, client_a: Client, estate: Estate
) -> None:
    assert client_family.get("/portal/contacts/").status_code == 404
    assert client_a.get("/portal/contacts/").status_code == 404

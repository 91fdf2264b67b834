"""The pages for copies of identity documents: the family member's identity page offers
the file only where the prison keeps copies; staff at that prison see the copy (audited),
staff elsewhere get a 404; the governor turns copies on and off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.documents import (
    MAX_BYTES,
    decrypt,
    do_add_identity_image,
    do_set_contact_settings,
)
from wicketgate.contacts.models import ContactLink, ContactSettings, IdentityImage
from wicketgate.contacts.tests import data as contact_data
from wicketgate.contacts.tests.test_pages import ask, family_client
from wicketgate.testing.personas import SETUP, Estate, staff_client

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"DRIVING-LICENCE-OF-RITA " * 40
DETAILS = {
    "document_type": "driving_licence",
    "document_number": "ASHDO612345",
    "address": "2 Low Road",
    "postcode": "LS2 2BB",
}


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def visits(estate: Estate) -> Client:
    return staff_client(estate, "visits.a", StaffRole.VISITS)


@pytest.fixture
def visits_b(estate: Estate) -> Client:
    return staff_client(estate, "visits.b", StaffRole.VISITS, where="b")


@pytest.fixture
def governor(estate: Estate) -> Client:
    return staff_client(estate, "governor.a", StaffRole.GOVERNOR)


def switch_on(estate: Estate) -> None:
    do_set_contact_settings(
        estate.a, keep_identity_images=True, identity_image_days=14, actor=SETUP
    )


def send(client: Client, data: bytes, name: str = "licence.png") -> Any:
    return client.post(
        "/family/identity", {**DETAILS, "document_image": SimpleUploadedFile(name, data)}
    )


def test_with_copies_off_there_is_no_field_and_a_file_sent_is_refused(estate: Estate) -> None:
    link = contact_data.link(estate)
    client = family_client(contact_data.account(link.contact))
    page = client.get("/family/identity").content.decode()
    assert 'name="document_image"' not in page
    assert "We do not keep a copy" in page
    response = send(client, PNG)
    assert response.status_code == 200
    assert "The prison does not keep copies of documents" in response.content.decode()
    assert not IdentityImage.objects.exists()
    assert not AuditEvent.objects.filter(action="contacts.identity_image.add").exists()


def test_with_copies_on_the_copy_is_kept_encrypted(estate: Estate) -> None:
    switch_on(estate)
    link = contact_data.link(estate)
    client = family_client(contact_data.account(link.contact))
    page = client.get("/family/identity").content.decode()
    assert 'name="document_image"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "after 14 days at the latest" in page
    response = send(client, PNG, name="licence.txt")  # the name does not matter
    assert response.status_code == 302
    image = IdentityImage.objects.get(link=link)
    assert image.content_type == "image/png"
    assert b"DRIVING-LICENCE" not in bytes(image.ciphertext)
    assert decrypt(bytes(image.ciphertext), link_id=link.pk) == PNG


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "must be a JPEG, PNG or PDF file"),
        (b"\xff\xd8\xff" + b"x" * MAX_BYTES, "must be smaller than 5 MB"),
    ],
)
def test_it_refuses_the_wrong_kind_or_size_against_the_field(
    estate: Estate, data: bytes, message: str
) -> None:
    switch_on(estate)
    client = family_client(contact_data.account(contact_data.link(estate).contact))
    response = send(client, data, name="licence.jpg")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"The photo or scan of the document {message}" in page
    assert 'href="#id_document_image"' in page
    assert not IdentityImage.objects.exists()


def test_asking_at_a_prison_that_keeps_copies_leads_to_the_identity_page(
    estate: Estate,
) -> None:
    switch_on(estate)
    client = family_client(contact_data.account(contact_data.person()))
    response = ask(client, estate)
    assert response["Location"] == "/family/identity"


def image_url(estate: Estate) -> tuple[ContactLink, str]:
    switch_on(estate)
    link = contact_data.link(estate)
    image = do_add_identity_image(link, data=PNG, actor=SETUP)
    return link, f"/staff/contacts/{link.pk}/identity-images/{image.pk}"


def test_staff_at_the_prison_see_the_copy_and_the_viewing_is_audited(
    visits: Client, estate: Estate
) -> None:
    link, url = image_url(estate)
    page = visits.get(f"/staff/contacts/{link.pk}/").content.decode()
    assert url in page
    response = visits.get(url)
    assert response.status_code == 200
    assert response.content == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="contacts.identity_image.view")
    assert event.actor_label == "visits.a"


@pytest.mark.parametrize("who", ["visits_b", "client_b", "client_family", "client_prisoner"])
def test_others_get_a_404_for_the_copy(
    who: str, estate: Estate, request: pytest.FixtureRequest
) -> None:
    _link, url = image_url(estate)
    response = request.getfixturevalue(who).get(url)
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="contacts.identity_image.view").exists()


def test_the_identity_check_deletes_the_copy(visits: Client, estate: Estate) -> None:
    link, url = image_url(estate)
    assert visits.post(f"/staff/contacts/{link.pk}/identity-checked").status_code == 302
    image = IdentityImage.objects.get(link=link)
    assert image.deleted_because == "checked"
    assert visits.get(url).status_code == 404
    assert url not in visits.get(f"/staff/contacts/{link.pk}/").content.decode()


def test_the_check_deletes_another_prisons_copy_in_the_systems_name(
    visits: Client, estate: Estate
) -> None:
    """Staff act for their own establishment: a copy kept at another is deleted too (the
    check is of the person), but not in their name."""
    link, _url = image_url(estate)
    do_set_contact_settings(
        estate.b, keep_identity_images=True, identity_image_days=14, actor=SETUP
    )
    there = ContactLink.objects.create(
        prisoner=estate.prisoner_b, contact=link.contact, relationship="MOTHER",
        status="requested", requested_by="test",
    )  # fmt: skip
    do_add_identity_image(there, data=PNG, actor=SETUP)
    assert visits.post(f"/staff/contacts/{link.pk}/identity-checked").status_code == 302
    deletions = {
        event.establishment_id: (event.actor_kind, event.details["reason"])
        for event in AuditEvent.objects.filter(action="contacts.identity_image.delete")
    }
    assert deletions == {
        estate.a.pk: ("staff", "checked"),
        estate.b.pk: ("system", "checked"),
    }


def test_the_governor_turns_copies_on(governor: Client, visits: Client, estate: Estate) -> None:
    url = "/staff/establishments/NGT/contact-settings"
    assert url in governor.get("/staff/establishments/NGT/").content.decode()  # linked there
    assert url not in visits.get("/staff/establishments/NGT/").content.decode()
    assert governor.get(url).status_code == 200
    response = governor.post(url, {"keep_identity_images": "yes", "identity_image_days": "7"})
    assert response.status_code == 302
    found = ContactSettings.objects.get(establishment=estate.a)
    assert (found.keep_identity_images, found.identity_image_days) == (True, 7)
    assert AuditEvent.objects.filter(action="contacts.settings.change").exists()


@pytest.mark.parametrize("days", ["0", "400", "many"])
def test_the_governor_is_told_about_a_wrong_number_of_days(
    governor: Client, estate: Estate, days: str
) -> None:
    response = governor.post(
        "/staff/establishments/NGT/contact-settings",
        {"keep_identity_images": "yes", "identity_image_days": days},
    )
    assert response.status_code == 200
    assert 'href="#id_identity_image_days"' in response.content.decode()
    assert not ContactSettings.objects.exists()


@pytest.mark.parametrize("who", ["visits", "client_b"])
def test_the_settings_are_the_governors(
    who: str, estate: Estate, request: pytest.FixtureRequest
) -> None:
    response = request.getfixturevalue(who).get("/staff/establishments/NGT/contact-settings")
    assert response.status_code == 404

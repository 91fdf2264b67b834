"""Copies of identity documents: off by default, encrypted, deleted at the check, after
the retention days, when switched off or when the link closes; every change audited."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts import documents
from wicketgate.contacts.actions import (
    ContactError,
    do_check_identity,
    do_give_identity,
    do_register_family_member,
    do_request_link,
    do_revoke_link,
)
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.documents import (
    check_image,
    decrypt,
    do_add_identity_image,
    do_give_identity_with_image,
    do_purge_identity_images,
    do_set_contact_settings,
    do_view_identity_image,
)
from wicketgate.contacts.models import ContactLink, IdentityImage
from wicketgate.contacts.tests.conftest import PASSWORD, STAFF
from wicketgate.testing.personas import Estate

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"PASSPORT-OF-RITA-ASHDOWN " * 40
DETAILS = {
    "document_type": "passport",
    "document_number": "123456789",
    "address": "1 High Street, Leeds",
    "postcode": "LS1 1AA",
}


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def asked(estate: Estate, email: str = "rita@example.org") -> ContactLink:
    person, _token = do_register_family_member(
        email=email,
        password=PASSWORD,
        given_name="Rita",
        family_name="Ashdown",
        date_of_birth=dt.date(1966, 8, 9),
    )
    who = Actor.of_user(person.user)
    do_give_identity(person, actor=who, **DETAILS)
    return do_request_link(
        person,
        prison_number=estate.prisoner_a.prison_number,
        prisoner_date_of_birth=estate.prisoner_a.date_of_birth,
        relationship="MOTHER",
        actor=who,
    )


def switch_on(estate: Estate, days: int = 30) -> None:
    do_set_contact_settings(
        estate.a, keep_identity_images=True, identity_image_days=days, actor=STAFF
    )


def test_it_keeps_no_copy_unless_the_establishment_turns_copies_on(estate: Estate) -> None:
    link = asked(estate)
    with pytest.raises(ContactError, match="^document_image: the prison does not keep"):
        do_give_identity_with_image(link.contact, actor=STAFF, document_image=PNG, **DETAILS)
    with pytest.raises(ContactError, match="^document_image:"):
        do_add_identity_image(link, data=PNG, actor=STAFF)
    assert not IdentityImage.objects.exists()


def test_it_stores_the_copy_encrypted_with_a_key_made_once(estate: Estate) -> None:
    switch_on(estate, days=10)
    link = asked(estate)
    do_give_identity_with_image(link.contact, actor=STAFF, document_image=PNG, **DETAILS)
    image = IdentityImage.objects.get(link=link)
    stored = bytes(image.ciphertext)
    assert b"PASSPORT-OF-RITA" not in stored
    assert PNG not in stored
    assert (image.content_type, image.size) == ("image/png", len(PNG))
    assert image.delete_after - image.uploaded_at == dt.timedelta(days=10)
    assert decrypt(stored, link_id=link.pk) == PNG
    key = documents.key_path()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert AuditEvent.objects.filter(action="contacts.identity_image.add").count() == 1


def test_a_ciphertext_moved_to_another_link_does_not_decrypt(estate: Estate) -> None:
    switch_on(estate)
    link = asked(estate)
    image = do_add_identity_image(link, data=PNG, actor=STAFF)
    with pytest.raises(ContactError):
        decrypt(bytes(image.ciphertext), link_id=link.pk + 1)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"GIF89a" + b"x" * 100, "JPEG, PNG or PDF"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "JPEG, PNG or PDF"),
        (b"%PDF-" + b"x" * documents.MAX_BYTES, "smaller than 5 MB"),
        (b"", "empty"),
    ],
)
def test_it_refuses_the_wrong_kind_or_size_naming_the_field(data: bytes, problem: str) -> None:
    with pytest.raises(ContactError, match=f"^document_image: .*{problem}"):
        check_image(data)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"%PDF-1.7", "application/pdf"),
    ],
)
def test_it_knows_the_kind_by_the_first_bytes(head: bytes, kind: str) -> None:
    assert check_image(head + b"rest") == kind


def test_a_new_copy_replaces_the_old_one(estate: Estate) -> None:
    switch_on(estate)
    link = asked(estate)
    first = do_add_identity_image(link, data=PNG, actor=STAFF)
    do_add_identity_image(link, data=PNG + b"2", actor=STAFF)
    first.refresh_from_db()
    assert (first.deleted_because, bytes(first.ciphertext)) == ("replaced", b"")
    assert IdentityImage.objects.live().count() == 1


def test_viewing_is_audited(estate: Estate) -> None:
    switch_on(estate)
    image = do_add_identity_image(asked(estate), data=PNG, actor=STAFF)
    assert do_view_identity_image(image, actor=STAFF) == PNG
    event = AuditEvent.objects.get(action="contacts.identity_image.view")
    assert event.establishment_id == estate.a.pk
    assert event.details["image"] == image.pk


def test_it_deletes_a_copy_past_its_retention(estate: Estate) -> None:
    switch_on(estate, days=3)
    image = do_add_identity_image(asked(estate), data=PNG, actor=STAFF)
    assert do_purge_identity_images(now=timezone.now() + dt.timedelta(days=2)) == 0
    assert do_purge_identity_images(now=timezone.now() + dt.timedelta(days=3, minutes=1)) == 1
    image.refresh_from_db()
    assert image.deleted_at is not None
    assert (image.deleted_because, bytes(image.ciphertext), image.sha256) == ("expired", b"", "")
    event = AuditEvent.objects.get(action="contacts.identity_image.delete")
    assert event.details["reason"] == "expired"
    with pytest.raises(ContactError):
        do_view_identity_image(image, actor=STAFF)


def test_a_shorter_retention_applies_to_copies_already_kept(estate: Estate) -> None:
    switch_on(estate, days=30)
    kept = do_add_identity_image(asked(estate), data=PNG, actor=STAFF)
    IdentityImage.objects.filter(pk=kept.pk).update(
        uploaded_at=timezone.now() - dt.timedelta(days=10)
    )
    switch_on(estate, days=20)  # longer than its age: kept, until 20 days from upload
    kept.refresh_from_db()
    assert kept.deleted_at is None
    assert kept.delete_after - kept.uploaded_at == dt.timedelta(days=20)
    switch_on(estate, days=60)  # longer again: not lengthened
    kept.refresh_from_db()
    assert kept.delete_after - kept.uploaded_at == dt.timedelta(days=20)
    switch_on(estate, days=7)  # shorter than its age: deleted at once
    kept.refresh_from_db()
    assert kept.deleted_at is not None and kept.deleted_because == "expired"


def test_it_deletes_a_copy_once_the_identity_is_checked(estate: Estate) -> None:
    switch_on(estate)
    link = asked(estate)
    image = do_add_identity_image(link, data=PNG, actor=STAFF)
    assert do_purge_identity_images() == 0
    do_check_identity(link.contact, actor=STAFF)
    assert do_purge_identity_images() == 1
    image.refresh_from_db()
    assert image.deleted_because == "checked"


def test_turning_copies_off_deletes_them_at_once(estate: Estate) -> None:
    switch_on(estate)
    image = do_add_identity_image(asked(estate), data=PNG, actor=STAFF)
    do_set_contact_settings(
        estate.a, keep_identity_images=False, identity_image_days=30, actor=STAFF
    )
    image.refresh_from_db()
    assert image.deleted_because == "switched_off"
    event = AuditEvent.objects.filter(action="contacts.settings.change").latest("seq")
    assert event.details == {"keep_identity_images": [True, False]}


def test_it_deletes_the_copy_of_a_closed_link(estate: Estate) -> None:
    switch_on(estate)
    link = asked(estate)
    image = do_add_identity_image(link, data=PNG, actor=STAFF)
    ContactLink.objects.filter(pk=link.pk).update(status=LinkStatus.APPROVED)
    link.refresh_from_db()
    do_revoke_link(link, reason="Passed items on a visit", actor=STAFF)
    assert do_purge_identity_images() == 1
    image.refresh_from_db()
    assert image.deleted_because == "link_closed"


@pytest.mark.parametrize("days", [0, 366])
def test_it_refuses_a_retention_out_of_range(estate: Estate, days: int) -> None:
    with pytest.raises(ContactError, match="^identity_image_days:"):
        do_set_contact_settings(
            estate.a, keep_identity_images=True, identity_image_days=days, actor=STAFF
        )


def test_the_periodic_task_purges(estate: Estate) -> None:
    from wicketgate.contacts.tasks import purge_identity_images

    switch_on(estate)
    link = asked(estate)
    do_add_identity_image(link, data=PNG, actor=STAFF)
    IdentityImage.objects.update(delete_after=timezone.now() - dt.timedelta(seconds=1))
    purge_identity_images.call_local()
    assert not IdentityImage.objects.live().exists()

"""Copies of identity documents: kept only where an establishment turns them on, encrypted,
seen only by its contacts staff (each viewing on the record), and deleted soon.

The identity details (document type and number, address) are what staff need; a copy of
the document is extra, so it is off by default (``ContactSettings``). An establishment
that turns it on chooses how many days a copy may be kept (1 to 365).

A family member sends a copy with their identity details; it is stored once for each of
their links at an establishment that keeps copies, because each establishment's staff
check it and each has its own retention. Only JPEG, PNG and PDF files up to 5 MB are
taken, recognised by their first bytes, not by their name or the browser's word.

At rest a copy is AES-256-GCM ciphertext in the database, bound to its link (the link
is the associated data, so a ciphertext moved onto another row does not decrypt). The key
is generated on first use into ``DATA_DIR/identity-images.key`` (mode 0600), or comes
from ``WICKETGATE_IDENTITY_IMAGES_KEY`` / ``_FILE``; losing it loses the copies, nothing
else. The database keeps the content type, size, SHA-256 of the plaintext and the dates.

Retention. A copy is deleted (the ciphertext emptied, the row kept and marked, the
deletion audited) by ``do_purge_identity_images`` at the first of:

- its ``delete_after`` (upload time + the establishment's days) has passed;
- staff have recorded the identity check: the check is what the copy was for, and
  from then on the details alone are the record (``checked``);
- the establishment turns copies off (``switched_off``);
- the link is refused or revoked (``link_closed``);
- the family member sends a new copy for the link (``replaced``).

The staff page that records the check purges at once; the Huey task in
``contacts.tasks`` runs every minute for everything else (and for a check recorded by
any other way).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.contacts.actions import ContactError, do_give_identity
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.models import (
    IDENTITY_IMAGE_MAX_DAYS,
    Contact,
    ContactLink,
    ContactSettings,
    IdentityImage,
)
from wicketgate.estate.models import Establishment
from wicketgate.lib.env import secret_from_data_dir
from wicketgate.lib.uploads import MAX_BYTES as UPLOAD_MAX_BYTES

MAX_BYTES = UPLOAD_MAX_BYTES  # what the upload handler keeps at most, plus one byte
# First bytes → content type. Nothing else is taken: no SVG, HTML or office files.
MAGIC = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
]
EXTENSION = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
# Links a copy may still be needed for.
OPEN = [LinkStatus.REQUESTED, LinkStatus.CONFIRMED, LinkStatus.APPROVED]
CLOCK = Actor.system("contacts")
KEY_ENV = "WICKETGATE_IDENTITY_IMAGES_KEY"
NOT_TAKEN = "document_image: the prison does not keep copies of documents; bring it with you"


# --- the establishment's switch ------------------------------------------------------------


def settings_for(establishment: Establishment) -> ContactSettings:
    """The establishment's contact settings; the defaults (no copies) if it has none."""
    found = ContactSettings.objects.filter(establishment=establishment).first()
    return found or ContactSettings(establishment=establishment)


def do_set_contact_settings(
    establishment: Establishment,
    *,
    keep_identity_images: bool,
    identity_image_days: int,
    actor: Actor,
) -> ContactSettings:
    """Turn copies of identity documents on or off, and set how long they are kept.

    Turning them off deletes the copies already kept at once. Fewer days apply to the
    copies already kept too (those now past it are deleted at once); more days apply only
    to copies sent from now on.
    """
    if not 1 <= identity_image_days <= IDENTITY_IMAGE_MAX_DAYS:
        raise ContactError(
            f"between 1 and {IDENTITY_IMAGE_MAX_DAYS} days", field="identity_image_days"
        )
    with transaction.atomic():
        found, _made = ContactSettings.objects.select_for_update().get_or_create(
            establishment=establishment
        )
        before = (found.keep_identity_images, found.identity_image_days)
        found.keep_identity_images = keep_identity_images
        found.identity_image_days = identity_image_days
        found.save()
        after = (found.keep_identity_images, found.identity_image_days)
        record_event(
            "contacts.settings.change",
            actor=actor,
            subject=establishment,
            establishment=establishment,
            details={
                name: [old, new]
                for name, old, new in zip(
                    ["keep_identity_images", "identity_image_days"], before, after, strict=True
                )
                if old != new
            },
        )
        if not keep_identity_images:
            do_purge_identity_images(establishment=establishment, actor=actor)
        else:
            # A shorter retention applies to the copies already kept too (a longer one
            # does not lengthen theirs: they were sent under the shorter promise).
            for kept in IdentityImage.objects.filter(
                link__prisoner__establishment=establishment, deleted_at__isnull=True
            ).only("pk", "uploaded_at", "delete_after"):
                sooner = kept.uploaded_at + dt.timedelta(days=identity_image_days)
                if sooner < kept.delete_after:
                    IdentityImage.objects.filter(pk=kept.pk).update(delete_after=sooner)
            do_purge_identity_images(establishment=establishment, actor=actor)
    return found


def links_taking_images(contact: Contact) -> QuerySet[ContactLink]:
    """The contact's open links at establishments that keep copies of documents."""
    return ContactLink.objects.filter(
        contact=contact,
        status__in=OPEN,
        prisoner__establishment__contact_settings__keep_identity_images=True,
    ).select_related("prisoner__establishment__contact_settings")


def takes_images(link: ContactLink) -> bool:
    return links_taking_images(link.contact).filter(pk=link.pk).exists()


def image_days(links: Iterable[ContactLink]) -> int:
    """The longest a copy sent now for ``links`` may be kept, in days (0 for no links)."""
    return max(
        (settings_for(link.prisoner.establishment).identity_image_days for link in links),
        default=0,
    )


# --- sending a copy --------------------------------------------------------------------


def content_type_of(data: bytes) -> str | None:
    """JPEG, PNG or PDF by the first bytes; None for anything else."""
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


def check_image(data: bytes) -> str:
    """The content type of an acceptable copy; else a ContactError naming the field."""
    if len(data) > MAX_BYTES:
        raise ContactError(
            f"the file must be smaller than {MAX_BYTES // (1024 * 1024)} MB", field="document_image"
        )
    if not data:
        raise ContactError("the file is empty", field="document_image")
    kind = content_type_of(data)
    if kind is None:
        raise ContactError("the file must be a JPEG, PNG or PDF", field="document_image")
    return kind


def do_give_identity_with_image(
    contact: Contact,
    *,
    actor: Actor,
    document_image: bytes | None = None,
    **details: Any,
) -> Contact:
    """``do_give_identity``, with a copy of the document for each open link at an
    establishment that keeps copies. A copy where none does is refused, and nothing is
    changed."""
    if document_image is None:
        return do_give_identity(contact, actor=actor, **details)
    with transaction.atomic():
        links = list(links_taking_images(contact))
        if not links:
            raise ContactError(NOT_TAKEN)
        check_image(document_image)
        person = do_give_identity(contact, actor=actor, **details)
        for link in links:
            do_add_identity_image(link, data=document_image, actor=actor)
    return person


def do_add_identity_image(link: ContactLink, *, data: bytes, actor: Actor) -> IdentityImage:
    """Keep an encrypted copy for ``link``, replacing the one sent before."""
    kind = check_image(data)
    with transaction.atomic():
        locked = ContactLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
        if not takes_images(locked):
            raise ContactError(NOT_TAKEN)
        establishment = locked.prisoner.establishment
        days = settings_for(establishment).identity_image_days
        for old in IdentityImage.objects.live().filter(link=locked).select_for_update():
            _delete(old, "replaced", actor)
        now = timezone.now()
        image = IdentityImage.objects.create(
            link=locked,
            content_type=kind,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            ciphertext=encrypt(data, link_id=locked.pk),
            uploaded_at=now,
            delete_after=now + dt.timedelta(days=days),
        )
        record_event(
            "contacts.identity_image.add",
            actor=actor,
            subject=locked.contact,
            establishment=establishment,
            details={
                "link": locked.pk,
                "image": image.pk,
                "content_type": kind,
                "size": image.size,
                "delete_after": image.delete_after.isoformat(),
            },
        )
    return image


# --- staff seeing a copy ---------------------------------------------------------------


def do_view_identity_image(image: IdentityImage, *, actor: Actor) -> bytes:
    """The plaintext of a copy still kept, for staff already allowed to see it; audited.

    Read afresh under a lock, in the transaction that audits the viewing: a deletion running
    at the same moment either comes first (and this refuses) or waits until it is done.
    """
    with transaction.atomic():
        fresh = (
            IdentityImage.objects.select_for_update(of=("self",))
            .select_related("link__contact", "link__prisoner__establishment")
            .get(pk=image.pk)
        )
        if fresh.deleted_at is not None or not fresh.ciphertext:
            raise ContactError("deleted", field="image", subject=f"{fresh.pk}")
        data = decrypt(bytes(fresh.ciphertext), link_id=fresh.link_id)
        record_event(
            "contacts.identity_image.view",
            actor=actor,
            subject=fresh.link.contact,
            establishment=fresh.link.prisoner.establishment,
            details={"link": fresh.link_id, "image": fresh.pk, "content_type": fresh.content_type},
        )
    return data


# --- retention -----------------------------------------------------------------------------


def do_purge_identity_images(
    *,
    now: dt.datetime | None = None,
    contact: Contact | None = None,
    establishment: Establishment | None = None,
    actor: Actor = CLOCK,
) -> int:
    """Delete every copy whose time has come (see the module's docstring); returns how many.

    ``contact`` or ``establishment`` narrows the search to theirs.
    """
    moment = now or timezone.now()
    due = {
        "expired": Q(delete_after__lte=moment),
        "checked": Q(link__contact__identity_checked_at__gte=F("uploaded_at")),
        "switched_off": Q(link__prisoner__establishment__contact_settings__isnull=True)
        | Q(link__prisoner__establishment__contact_settings__keep_identity_images=False),
        "link_closed": ~Q(link__status__in=OPEN),
    }
    images = IdentityImage.objects.live()
    if contact is not None:
        images = images.filter(link__contact=contact)
    if establishment is not None:
        images = images.filter(link__prisoner__establishment=establishment)
    count = 0
    for reason, condition in due.items():
        for pk in images.filter(condition).values_list("pk", flat=True):
            with transaction.atomic():
                image = (
                    IdentityImage.objects.live()
                    .select_for_update(of=("self",))
                    .filter(pk=pk)
                    .select_related("link__prisoner__establishment", "link__contact")
                    .first()
                )
                if image is not None:  # not deleted meanwhile, for another reason
                    _delete(image, reason, actor, now=moment)
                    count += 1
    return count


def _delete(
    image: IdentityImage, reason: str, actor: Actor, *, now: dt.datetime | None = None
) -> None:
    image.ciphertext = b""
    image.sha256 = ""  # a fingerprint of the document outlives nothing else of it
    image.deleted_at = now or timezone.now()
    image.deleted_because = reason
    image.save(update_fields=["ciphertext", "sha256", "deleted_at", "deleted_because"])
    record_event(
        "contacts.identity_image.delete",
        actor=actor,
        subject=image.link.contact,
        establishment=image.link.prisoner.establishment,
        details={"link": image.link_id, "image": image.pk, "reason": reason},
    )


# --- encryption ----------------------------------------------------------------------------

_NONCE = 12


def encrypt(data: bytes, *, link_id: int) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    return nonce + AESGCM(_key()).encrypt(nonce, data, _bound_to(link_id))


def decrypt(blob: bytes, *, link_id: int) -> bytes:
    try:
        return AESGCM(_key()).decrypt(blob[:_NONCE], blob[_NONCE:], _bound_to(link_id))
    except InvalidTag as exc:
        raise ContactError("it cannot be decrypted with this key", field="document_image") from exc


def key_path() -> Path:
    return Path(settings.DATA_DIR) / "identity-images.key"


def _key() -> bytes:
    # The secret is a URL-safe random string (as for the other secrets in DATA_DIR);
    # hashing it gives AES-256 its 32 bytes.
    secret = secret_from_data_dir(KEY_ENV, key_path(), length=32)
    return hashlib.sha256(secret.encode()).digest()


def _bound_to(link_id: int) -> bytes:
    return f"wicketgate identity image for link {link_id}".encode()

"""People outside, and their approved links to prisoners.

A ``Contact`` is a person: a family member or friend with a family-portal account, a child
added by an approved adult, or an official added by staff. A ``ContactLink`` is that
person on one prisoner's list: asked for (by prison number and date of birth, so nobody
can fish for who is in prison), confirmed by the prisoner, approved by staff with a
relationship, until an optional expiry. Restrictions (DOMAIN.md codes) sit on a link.

Nothing here is asked directly by calls, phone or messages: the policy compiler puts
approved links and restrictions into the snapshot, and ``Engine.decide_contact`` answers.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wicketgate.accounts.scoping import ScopedQuerySet
from wicketgate.contacts.codes import (
    LEGAL,
    DocumentType,
    LinkStatus,
    Relationship,
    RestrictionCode,
    group_of,
)


class Contact(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact",
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Identity: the least staff need to check it. No document image is kept here: a copy,
    # where an establishment asks for one, is an ``IdentityImage`` on the link.
    document_type = models.CharField(max_length=20, choices=DocumentType.choices, blank=True)
    document_number = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    identity_checked_by = models.CharField(max_length=150, blank=True)
    # A child is added by an approved adult, and joins calls only with one.
    added_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["family_name", "given_name", "pk"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: dt.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def is_child(self, on: dt.date | None = None) -> bool:
        return self.age_on(on or timezone.localdate()) < 18

    @property
    def identity_checked(self) -> bool:
        return self.identity_checked_at is not None


class ContactLinkQuerySet(ScopedQuerySet["ContactLink"]):
    establishment_field = "prisoner__establishment"
    contact_field = "contact"

    def approved(self, on: dt.date | None = None) -> ContactLinkQuerySet:
        day = on or timezone.localdate()
        return self.filter(status=LinkStatus.APPROVED).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=day)
        )


class ContactLink(models.Model):
    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.PROTECT, related_name="contact_links"
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="links")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    status = models.CharField(
        max_length=10, choices=LinkStatus.choices, default=LinkStatus.REQUESTED
    )
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.CharField(max_length=150)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decision_reason = models.CharField(max_length=300, blank=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="Approved up to the end of this day"
    )
    # The contact is a victim of the prisoner's offence: while the prisoner has a
    # victim no-contact alert in force, no channel may reach them.
    victim = models.BooleanField(default=False)

    objects = ContactLinkQuerySet.as_manager()

    class Meta:
        ordering = ["prisoner_id", "contact__family_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["prisoner", "contact"], name="one_link_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.contact} for {self.prisoner_id} ({self.get_relationship_display()})"

    @property
    def reference(self) -> str:
        return f"CON-{self.pk}"

    @property
    def group(self) -> str:
        return group_of(self.relationship)

    @property
    def legal(self) -> bool:
        return self.relationship in LEGAL


class ContactRestrictionQuerySet(ScopedQuerySet["ContactRestriction"]):
    establishment_field = "link__prisoner__establishment"


class ContactRestriction(models.Model):
    link = models.ForeignKey(ContactLink, on_delete=models.PROTECT, related_name="restrictions")
    code = models.CharField(max_length=12, choices=RestrictionCode.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="In force up to this day")
    reason = models.CharField(max_length=300)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ContactRestrictionQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.code} on {self.link_id} from {self.starts_on}"

    @property
    def prisoner_id(self) -> int:
        """Whose decisions it changes (the policy signals log a change for them)."""
        return int(self.link.prisoner_id)

    def in_force(self, on: dt.date) -> bool:
        return (
            self.ended_at is None
            and self.starts_on <= on
            and (self.ends_on is None or on <= self.ends_on)
        )


# --- copies of identity documents (see contacts.documents) ----------------------------------

IDENTITY_IMAGE_DAYS = 30
IDENTITY_IMAGE_MAX_DAYS = 365


class ContactSettings(models.Model):
    """One establishment's choices about contacts; one without a row keeps no copies."""

    establishment = models.OneToOneField(
        "estate.Establishment", on_delete=models.CASCADE, related_name="contact_settings"
    )
    # Off unless the establishment turns it on: the identity details are the minimum.
    keep_identity_images = models.BooleanField(default=False)
    identity_image_days = models.PositiveSmallIntegerField(
        default=IDENTITY_IMAGE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(IDENTITY_IMAGE_MAX_DAYS)],
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "contact settings"

    def __str__(self) -> str:
        return f"Contact settings for {self.establishment_id}"


class IdentityImageQuerySet(ScopedQuerySet["IdentityImage"]):
    establishment_field = "link__prisoner__establishment"

    def live(self) -> IdentityImageQuerySet:
        return self.filter(deleted_at__isnull=True)


class IdentityImage(models.Model):
    """A photo or scan of a family member's identity document, sent for one link at an
    establishment that keeps them; encrypted (``contacts.documents``), deleted by
    ``delete_after`` at the latest. The row stays, without the ciphertext, as the record."""

    link = models.ForeignKey(ContactLink, on_delete=models.PROTECT, related_name="identity_images")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(help_text="Bytes, before encryption")
    sha256 = models.CharField(max_length=64, help_text="Of the plaintext")
    # nonce + AES-GCM ciphertext and tag; emptied when the image is deleted.
    ciphertext = models.BinaryField(default=b"", editable=False)
    uploaded_at = models.DateTimeField(default=timezone.now)
    delete_after = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_because = models.CharField(max_length=20, blank=True)

    objects = IdentityImageQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["deleted_at", "delete_after"], name="identity_image_due")]

    def __str__(self) -> str:
        return f"Identity image {self.pk} for {self.link_id}"


class LinkRequestAttempt(models.Model):
    """One ask to be a prisoner's contact, matched or not: what the daily limits count.

    Kept by prison number as typed (normalised), never by prisoner, so a number that
    matches no one is limited exactly like one that does.
    """

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="link_request_attempts"
    )
    prison_number = models.CharField(max_length=20)
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["contact", "made_at"], name="link_request_by_contact"),
            models.Index(fields=["prison_number", "made_at"], name="link_request_by_number"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} asked about {self.prison_number} at {self.made_at}"

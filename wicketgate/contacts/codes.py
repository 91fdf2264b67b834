"""Contact facts the model must respect (see shared DOMAIN.md, "Contacts")."""

from __future__ import annotations

from django.db import models


class Group(models.TextChoices):
    SOCIAL = "SOCIAL", "Social"
    OFFICIAL = "OFFICIAL", "Official"


class Relationship(models.TextChoices):
    # Social
    MOTHER = "MOTHER", "Mother"
    FATHER = "FATHER", "Father"
    PARTNER = "PARTNER", "Partner"
    SPOUSE = "SPOUSE", "Wife, husband or civil partner"
    SON = "SON", "Son"
    DAUGHTER = "DAUGHTER", "Daughter"
    BROTHER = "BROTHER", "Brother"
    SISTER = "SISTER", "Sister"
    GRANDPARENT = "GRANDPARENT", "Grandparent"
    GRANDCHILD = "GRANDCHILD", "Grandchild"
    AUNT_UNCLE = "AUNT_UNCLE", "Aunt or uncle"
    COUSIN = "COUSIN", "Cousin"
    OTHER_FAMILY = "OTHER_FAMILY", "Other family"
    FRIEND = "FRIEND", "Friend"
    # Official
    SOLICITOR = "SOLICITOR", "Solicitor"
    BARRISTER = "BARRISTER", "Barrister"
    LEGAL_ADVISER = "LEGAL_ADVISER", "Legal adviser"
    PROBATION = "PROBATION", "Probation officer"
    SOCIAL_WORKER = "SOCIAL_WORKER", "Social worker"
    TEACHER = "TEACHER", "Teacher or tutor"
    CHAPLAIN = "CHAPLAIN", "Chaplain or faith leader"
    OTHER_OFFICIAL = "OTHER_OFFICIAL", "Other official"


OFFICIAL = frozenset(
    {
        Relationship.SOLICITOR,
        Relationship.BARRISTER,
        Relationship.LEGAL_ADVISER,
        Relationship.PROBATION,
        Relationship.SOCIAL_WORKER,
        Relationship.TEACHER,
        Relationship.CHAPLAIN,
        Relationship.OTHER_OFFICIAL,
    }
)
# Privileged: never recorded or monitored, and never stopped by a sanction.
LEGAL = frozenset({Relationship.SOLICITOR, Relationship.BARRISTER, Relationship.LEGAL_ADVISER})


def group_of(relationship: str) -> str:
    return Group.OFFICIAL if relationship in OFFICIAL else Group.SOCIAL


class RestrictionCode(models.TextChoices):
    ACC = "ACC", "Access requirements"
    BAN = "BAN", "Banned"
    CCTV = "CCTV", "CCTV"
    CHILD = "CHILD", "Child visitors to be vetted"
    CLOSED = "CLOSED", "Closed"
    DIHCON = "DIHCON", "Disability health concerns"
    NONCON = "NONCON", "Non-contact"
    PREINF = "PREINF", "Previous information"
    RESTRICTED = "RESTRICTED", "Restricted"


# Restrictions that stop every channel (video, phone, messages) while in force.
BLOCKING = frozenset({RestrictionCode.BAN})


class LinkStatus(models.TextChoices):
    REQUESTED = "requested", "Asked for, waiting for the prisoner"
    CONFIRMED = "confirmed", "Confirmed by the prisoner, waiting for staff"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"
    REVOKED = "revoked", "Revoked"


class DocumentType(models.TextChoices):
    PASSPORT = "passport", "Passport"
    DRIVING_LICENCE = "driving_licence", "Photocard driving licence"
    NATIONAL_ID = "national_id", "National identity card"
    RESIDENCE_PERMIT = "residence_permit", "Biometric residence permit"
    CITIZEN_CARD = "citizen_card", "PASS proof-of-age card"

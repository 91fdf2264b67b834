"""The policy vocabulary: default categories, clearance tiers, effects."""

from __future__ import annotations

from django.db import models

from wicketgate.people.codes import SecurityCategory

DEFAULT_CATEGORIES: list[tuple[str, str]] = [
    ("EDUCATION", "Education"),
    ("EMPLOYMENT", "Employment and job search"),
    ("WELFARE", "Welfare and benefits"),
    ("HEALTH", "Health"),
    ("REHABILITATION", "Rehabilitation"),
    ("LEGAL", "Legal advice"),
    ("JUSTICE_SERVICES", "Justice services"),
    ("FAITH", "Faith"),
    ("NEWS", "News"),
]


class Https(models.TextChoices):
    """How the gateway handles a site's HTTPS.

    Inspected: decrypted with the gateway's CA (which managed devices carry), so each
    request is decided on its full address and must name the host the connection was made
    to. Passed through: never decrypted; the gateway sees only the name the device asks
    for (the TLS SNI), which must be the host it connects to, on port 443, and cannot see
    which site on that server the device then asks for (domain fronting).
    """

    INSPECT = "inspect", "Inspected"
    PASS_THROUGH = "pass-through", "Passed through"


class Effect(models.TextChoices):
    ALLOW = "allow", "Allow"
    FORBID = "forbid", "Forbid"


class Clearance(models.IntegerChoices):
    """How open a regime a security category is held in; a site may require at least one."""

    HIGH_SECURITY = 0, "High security (category A, restricted)"
    CLOSED = 1, "Closed conditions"
    TRAINING = 2, "Training (category C, semi-open)"
    OPEN = 3, "Open conditions"


CLEARANCE_OF: dict[str, int] = {
    SecurityCategory.A_EXCEPTIONAL: Clearance.HIGH_SECURITY,
    SecurityCategory.A_HIGH: Clearance.HIGH_SECURITY,
    SecurityCategory.A_PROVISIONAL: Clearance.HIGH_SECURITY,
    SecurityCategory.A_STANDARD: Clearance.HIGH_SECURITY,
    SecurityCategory.YOI_RESTRICTED: Clearance.HIGH_SECURITY,
    SecurityCategory.FEMALE_RESTRICTED: Clearance.HIGH_SECURITY,
    SecurityCategory.B: Clearance.CLOSED,
    SecurityCategory.UNSENTENCED: Clearance.CLOSED,
    SecurityCategory.UNCATEGORISED_SENTENCED_MALE: Clearance.CLOSED,
    SecurityCategory.YOI_CLOSED: Clearance.CLOSED,
    SecurityCategory.FEMALE_CLOSED: Clearance.CLOSED,
    SecurityCategory.C: Clearance.TRAINING,
    SecurityCategory.FEMALE_SEMI: Clearance.TRAINING,
    SecurityCategory.D: Clearance.OPEN,
    SecurityCategory.YOI_OPEN: Clearance.OPEN,
    SecurityCategory.FEMALE_OPEN: Clearance.OPEN,
}

# Keys a rule's ``when`` may test, and what each is matched against on the prisoner.
CONDITION_KEYS = ["category", "incentive_level", "youth", "legal_status", "establishment", "alert"]
ALL = "ALL"

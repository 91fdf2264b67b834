"""The rules of conduct the model must respect (see shared DOMAIN.md, "Sanctions").

These are the Prison and YOI Rules' limits, not local choices, so they are constants;
what an establishment may choose (alert triggers) is data.
"""

from __future__ import annotations

import datetime as dt

from django.db import models


class Service(models.TextChoices):
    """What a sanction takes away. Every one but PRIVILEGES is enforced by Wicketgate."""

    WEB = "web", "Web access"
    VIDEO = "video", "Video calls"
    PHONE = "phone", "Phone calls"
    MESSAGES = "messages", "Messaging"
    DEVICE = "device", "Device use"
    PRIVILEGES = "privileges", "Other privilege (enforced on the wing)"


# The services the command line accepts (the contract other tools depend on).
CLI_SERVICES = (Service.WEB, Service.VIDEO, Service.PHONE, Service.MESSAGES, Service.DEVICE)

# Services whose loss never stops privileged (legal) contact.
CONTACT_SERVICES = frozenset({Service.VIDEO, Service.PHONE, Service.MESSAGES})


class IncidentService(models.TextChoices):
    """Which service an incident happened on."""

    WEB = "web", "Web"
    VIDEO = "video", "Video call"
    PHONE = "phone", "Phone"
    MESSAGES = "messages", "Messages"
    DEVICE = "device", "Device"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    REPORTED = "reported", "Reported"
    REFERRED = "referred", "Referred to the independent adjudicator"
    HEARING_SCHEDULED = "hearing_scheduled", "Hearing scheduled"
    PROVED = "proved", "Proved"
    NOT_PROVED = "not_proved", "Not proved"
    DISMISSED = "dismissed", "Dismissed"
    APPEALED = "appealed", "Appealed"
    UPHELD = "upheld", "Appeal refused: finding upheld"
    QUASHED = "quashed", "Quashed on appeal"


# The adjudication state machine: every state and the states it may move to. A move not
# listed here is an error (DOMAIN.md). An independent adjudicator can be asked for at
# the hearing too (when additional days may be due), hence hearing → referred.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.REPORTED: frozenset({Status.REFERRED, Status.HEARING_SCHEDULED}),
    Status.REFERRED: frozenset({Status.HEARING_SCHEDULED}),
    Status.HEARING_SCHEDULED: frozenset(
        {Status.PROVED, Status.NOT_PROVED, Status.DISMISSED, Status.REFERRED}
    ),
    Status.PROVED: frozenset({Status.APPEALED}),
    Status.NOT_PROVED: frozenset(),
    Status.DISMISSED: frozenset(),
    Status.APPEALED: frozenset({Status.UPHELD, Status.QUASHED}),
    Status.UPHELD: frozenset(),
    Status.QUASHED: frozenset(),
}

# Findings after which punishments may be given.
PUNISHABLE = frozenset({Status.PROVED, Status.UPHELD, Status.APPEALED})

# Prison Rules 53(1) / YOI Rules 58(1): a charge is laid within 48 hours of discovery.
REPORT_WITHIN = dt.timedelta(days=2)

# Each digital service is a privilege: its loss is a loss of privileges.
# Maximum days, adult / YOI (DOMAIN.md: loss of privileges 42 / 21).
MAX_DAYS = {"adult": 42, "yoi": 21}
# A punishment may be suspended for up to 6 months (adult) or 4 months (YOI).
MAX_SUSPENSION_MONTHS = {"adult": 6, "yoi": 4}


class AlertKind(models.TextChoices):
    REPEATED_BLOCKED = "repeated_blocked", "Repeated blocked attempts at one category"
    DURING_SANCTION = "during_sanction", "Attempts during a sanction"
    UNUSUAL_HOURS = "unusual_hours", "Session at unusual hours"
    BYPASS_ATTEMPT = "bypass_attempt", "Attempt to get past the web gateway"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    DISMISSED = "dismissed", "Dismissed"
    INCIDENT = "incident", "Made an incident"

"""National code lists that establishments choose from (see shared DOMAIN.md)."""

from __future__ import annotations

from django.db import models


class EstablishmentKind(models.TextChoices):
    LOCAL = "local", "Local (reception) prison"
    TRAINING = "training", "Training prison"
    YOI = "yoi", "Young offender institution"
    WOMEN = "women", "Women's prison"
    OPEN = "open", "Open prison"


class LocationKind(models.TextChoices):
    WING = "WING", "Wing"
    LANDING = "LANDING", "Landing"
    CELL = "CELL", "Cell"
    EDUCATION = "EDUCATION", "Education"
    LIBRARY = "LIBRARY", "Library"
    WORKSHOP = "WORKSHOP", "Workshop"
    KIOSK_AREA = "KIOSK_AREA", "Kiosk area"
    VIDEO_SUITE = "VIDEO_SUITE", "Video suite"


# Which kinds a location may sit inside; None means "at the top of the tree".
ALLOWED_PARENT_KINDS: dict[str, set[str | None]] = {
    LocationKind.WING: {None},
    LocationKind.LANDING: {LocationKind.WING},
    LocationKind.CELL: {LocationKind.WING, LocationKind.LANDING},
    LocationKind.EDUCATION: {None, LocationKind.WING},
    LocationKind.LIBRARY: {None, LocationKind.WING},
    LocationKind.WORKSHOP: {None, LocationKind.WING},
    LocationKind.KIOSK_AREA: {None, LocationKind.WING, LocationKind.LANDING},
    LocationKind.VIDEO_SUITE: {None, LocationKind.WING},
}

# Locations where staff supervise whoever is there; video calls need one.
SECURE_BY_DEFAULT = {LocationKind.VIDEO_SUITE}


class IncentiveLevel(models.TextChoices):
    """The national incentive levels, lowest first."""

    BAS = "BAS", "Basic"
    STD = "STD", "Standard"
    ENH = "ENH", "Enhanced"
    EN2 = "EN2", "Enhanced 2"
    EN3 = "EN3", "Enhanced 3"


INCENTIVE_ORDER: list[str] = [level.value for level in IncentiveLevel]
ALWAYS_OFFERED: list[str] = [IncentiveLevel.BAS, IncentiveLevel.STD, IncentiveLevel.ENH]


def incentive_rank(level: str) -> int:
    return INCENTIVE_ORDER.index(level)


def level_after_transfer(current: str, offered: list[str], default: str) -> str:
    """The level a prisoner keeps on arrival: their own, or the nearest above it on offer.

    DOMAIN.md: on transfer a prisoner keeps the nearest level at or above their own that
    the new establishment offers, else its default.
    """
    for level in INCENTIVE_ORDER[incentive_rank(current) :]:
        if level in offered:
            return level
    return default


# Feature flags an establishment can switch on or off; absent means the default here.
FEATURE_DEFAULTS: dict[str, bool] = {
    "web_access": True,
    "video_calls": True,
    "phone_calls": True,
    "messaging": True,
    "learning": True,
    "prisoner_portal": True,
}

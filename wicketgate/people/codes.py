"""Code lists for people in custody (see shared DOMAIN.md)."""

from __future__ import annotations

from django.db import models


class SecurityCategory(models.TextChoices):
    A_EXCEPTIONAL = "A_EXCEPTIONAL", "Category A (exceptional risk)"
    A_HIGH = "A_HIGH", "Category A (high risk)"
    A_PROVISIONAL = "A_PROVISIONAL", "Provisional category A"
    A_STANDARD = "A_STANDARD", "Category A (standard risk)"
    B = "B", "Category B"
    C = "C", "Category C"
    D = "D", "Category D"
    YOI_CLOSED = "YOI_CLOSED", "YOI closed"
    YOI_OPEN = "YOI_OPEN", "YOI open"
    YOI_RESTRICTED = "YOI_RESTRICTED", "YOI restricted"
    UNSENTENCED = "UNSENTENCED", "Unsentenced"
    UNCATEGORISED_SENTENCED_MALE = "UNCATEGORISED_SENTENCED_MALE", "Uncategorised sentenced male"
    FEMALE_RESTRICTED = "FEMALE_RESTRICTED", "Female restricted"
    FEMALE_CLOSED = "FEMALE_CLOSED", "Female closed"
    FEMALE_SEMI = "FEMALE_SEMI", "Female semi-open"
    FEMALE_OPEN = "FEMALE_OPEN", "Female open"


# The one-letter codes used by national systems, for imports that carry them.
CATEGORY_LETTERS: dict[str, str] = {
    "E": SecurityCategory.A_EXCEPTIONAL,
    "H": SecurityCategory.A_HIGH,
    "P": SecurityCategory.A_PROVISIONAL,
    "A": SecurityCategory.A_STANDARD,
    "B": SecurityCategory.B,
    "C": SecurityCategory.C,
    "D": SecurityCategory.D,
    "I": SecurityCategory.YOI_CLOSED,
    "J": SecurityCategory.YOI_OPEN,
    "V": SecurityCategory.YOI_RESTRICTED,
    "U": SecurityCategory.UNSENTENCED,
    "X": SecurityCategory.UNCATEGORISED_SENTENCED_MALE,
    "Q": SecurityCategory.FEMALE_RESTRICTED,
    "R": SecurityCategory.FEMALE_CLOSED,
    "S": SecurityCategory.FEMALE_SEMI,
    "T": SecurityCategory.FEMALE_OPEN,
}


def parse_category(value: str) -> str:
    """A category from its name (``A_HIGH``) or one-letter code (``H``); ValueError if neither."""
    text = value.strip().upper()
    if text in SecurityCategory.values:
        return text
    if text in CATEGORY_LETTERS:
        return CATEGORY_LETTERS[text]
    raise ValueError(f"{value!r} is not a security category name or one-letter code")


class LegalStatus(models.TextChoices):
    REMAND = "REMAND", "Remand"
    SENTENCED = "SENTENCED", "Sentenced"
    RECALL = "RECALL", "Recall"
    CONVICTED_UNSENTENCED = "CONVICTED_UNSENTENCED", "Convicted, unsentenced"
    IMMIGRATION_DETAINEE = "IMMIGRATION_DETAINEE", "Immigration detainee"
    INDETERMINATE_SENTENCE = "INDETERMINATE_SENTENCE", "Indeterminate sentence"
    CIVIL_PRISONER = "CIVIL_PRISONER", "Civil prisoner"
    UNKNOWN = "UNKNOWN", "Unknown"


PRISON_NUMBER_PATTERN = r"^[A-Z][0-9]{4}[A-Z]{2}$"

# Alert codes loaded on first migration; staff may add more (they are configuration).
DEFAULT_ALERT_CODES: list[tuple[str, str]] = [
    ("CHILD", "Child contact restriction"),
    ("HARASS", "Harassment"),
    ("CYBER", "IT / cyber misuse"),
    ("EXTREM", "Extremism"),
    ("ESCAPE", "Escape risk"),
    ("ACCT", "Self-harm: ACCT open"),
    ("VICTIM", "Victim no-contact"),
    ("GANG", "Gang affiliation"),
]

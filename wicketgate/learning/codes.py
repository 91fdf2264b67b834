"""The learning app's code lists."""

from __future__ import annotations

from django.db import models


class Level(models.TextChoices):
    """The level of the qualification a course leads to (the Regulated Qualifications
    Framework's entry levels and levels 1–3)."""

    ENTRY_1 = "E1", "Entry 1"
    ENTRY_2 = "E2", "Entry 2"
    ENTRY_3 = "E3", "Entry 3"
    LEVEL_1 = "L1", "Level 1"
    LEVEL_2 = "L2", "Level 2"
    LEVEL_3 = "L3", "Level 3"


class Subject(models.TextChoices):
    DIGITAL = "EDS", "Essential Digital Skills"
    ENGLISH = "FS_ENGLISH", "Functional skills English"
    MATHS = "FS_MATHS", "Functional skills Maths"
    OTHER = "OTHER", "Other"


class Mode(models.TextChoices):
    """Where the learning happens: in class only, in the cell only, or both."""

    CLASSROOM = "classroom", "Classroom"
    IN_CELL = "in_cell", "In-cell"
    BLENDED = "blended", "Blended"


# Modes whose resources are open in the establishment's in-cell study hours, as well as in
# the learner's class sessions.
STUDY_IN_CELL = frozenset({Mode.IN_CELL, Mode.BLENDED})


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", "Enrolled"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    TRANSFERRED = "transferred", "Left on transfer"


class Attendance(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    EXCLUDED = "excluded", "Excluded"


class AbsenceReason(models.TextChoices):
    """Why a learner was not in class (the reasons a register in a prison uses)."""

    ILL = "ill", "Ill"
    REFUSED = "refused", "Refused to attend"
    LEGAL_VISIT = "legal_visit", "Legal visit"
    HEALTHCARE = "healthcare", "Healthcare appointment"
    COURT = "court", "At court"
    VISIT = "visit", "Social visit"
    ADJUDICATION = "adjudication", "Adjudication"
    REGIME = "regime", "Regime (lock-down, staff shortage)"
    WORK = "work", "At work"
    OTHER = "other", "Other"


class Outcome(models.TextChoices):
    ACHIEVED = "achieved", "Achieved"
    PARTIALLY = "partially", "Partially achieved"
    NOT_YET = "not_yet", "Not yet achieved"

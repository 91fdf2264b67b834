"""The learner record: everything a learner has done in education, as plain values.

Built from the database by ``queries.learner_record`` and read by the PDF a person can
show an employer (``record_pdf``) and the signed credential (``credential``). It holds
no database objects, so both can be made, tested and verified without one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UnitResult:
    code: str  # the awarding body's unit code, or the course's own
    title: str
    outcome: str  # "achieved", "partially", "not_yet"
    outcome_label: str  # "Achieved", "Partially achieved", "Not yet achieved"
    recorded_on: dt.date
    recorded_by: str  # the tutor's name as staff see it


@dataclass(frozen=True)
class CourseRecord:
    course_id: int
    title: str
    provider: str
    level: str  # code, e.g. "L1"
    level_label: str  # "Level 1"
    subject: str  # code, e.g. "FS_MATHS"
    subject_label: str  # "Functional skills Maths"
    mode_label: str  # "Classroom", "In-cell", "Blended"
    establishment_code: str  # where it was taken
    establishment_name: str
    starts_on: dt.date
    ends_on: dt.date
    status: str  # "enrolled", "completed", "withdrawn", "transferred"
    status_label: str
    enrolled_on: dt.date
    left_on: dt.date | None  # withdrawn, completed or transferred on
    units: tuple[UnitResult, ...] = ()
    sessions_present: int = 0
    sessions_absent: int = 0
    sessions_excluded: int = 0
    minutes_online: int = 0  # time on the course's sites and books, from the gateway's records


@dataclass(frozen=True)
class LearnerRecord:
    prison_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    issued_by_code: str  # the establishment issuing the record (the learner's current one)
    issued_by_name: str
    issued_on: dt.date
    courses: tuple[CourseRecord, ...] = field(default_factory=tuple)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

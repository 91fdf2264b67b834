"""Reads for the learning pages, the learner record and the subject-access copy.

Callers pass querysets already scoped (``for_user`` for staff, ``for_prisoner`` on the
portal); the learner record is read through the prisoner, whose establishment staff
must already be allowed to see.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.accesslog import ACTION as WEB_REQUEST
from wicketgate.learning.codes import Attendance, EnrolmentStatus, Level, Mode, Subject
from wicketgate.learning.models import AttendanceMark, Course, Enrolment, UnitResult
from wicketgate.learning.record import CourseRecord, LearnerRecord
from wicketgate.learning.record import UnitResult as UnitResultRecord
from wicketgate.learning.timetable import sessions, windows_of
from wicketgate.people.models import Prisoner

PRISONER = "people.prisoner"


def courses_with_counts(courses: Any) -> Any:
    """Courses with how many learners are on each now."""
    return courses.select_related("establishment").annotate(
        enrolled=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ENROLLED))
    )


def learners_of(course: Course, enrolments: Any) -> list[Enrolment]:
    """The course's learners among ``enrolments`` (scoped), current first."""
    return list(
        enrolments.filter(course=course)
        .select_related("prisoner", "course_class")
        .order_by("status", "prisoner__family_name", "prisoner__given_name")
    )


def enrolments_of(prisoner: Prisoner) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(prisoner=prisoner)
        .select_related("course__establishment", "course_class__location", "course_class__tutor")
        .prefetch_related("course__units", "course__sites", "results__unit")
        .order_by("-enrolled_at")
    )


def minutes_online(prisoner_id: int, enrolments: list[Enrolment]) -> dict[int, int]:
    """Minutes the learner spent on each course's sites and books, from the gateway's
    records: the minutes in which a request of theirs was let through by the course's
    grant (``course:<id>`` among the decision's rules), while they were enrolled.

    One read of the learner's allowed requests over all their enrolments' time."""
    if not enrolments:
        return {}
    now = timezone.now()
    periods = {e.pk: (e.course_id, e.enrolled_at, e.ended_at or now) for e in enrolments}
    first = min(start for _course, start, _end in periods.values())
    last = max(end for _course, _start, end in periods.values())
    minutes: dict[int, set[int]] = defaultdict(set)
    rows = (
        AuditEvent.objects.filter(
            subject_kind=PRISONER,
            subject_id=str(prisoner_id),
            action=WEB_REQUEST,
            outcome=AuditEvent.Outcome.SUCCESS,
            occurred_at__gte=first,
            occurred_at__lte=last,
            details_json__contains='"course:',
        )
        .values_list("occurred_at", "details_json")
        .iterator(chunk_size=2000)
    )
    for moment, details in rows:
        granted = {
            rule for rule in json.loads(details).get("rules", []) if rule.startswith("course:")
        }
        for enrolment_id, (course_id, start, end) in periods.items():
            if f"course:{course_id}" in granted and start <= moment <= end:
                minutes[enrolment_id].add(int(moment.timestamp()) // 60)
    return {enrolment_id: len(minutes.get(enrolment_id, ())) for enrolment_id in periods}


def attendance_counts(enrolments: list[Enrolment]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Attendance.values, 0))
    for enrolment_id, status, n in (
        AttendanceMark.objects.filter(enrolment__in=enrolments)
        .values_list("enrolment_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts[enrolment_id][status] = n
    return counts


def learner_record(prisoner: Prisoner, *, on: dt.date | None = None) -> LearnerRecord:
    """Everything the learner has done in education, issued by their current establishment."""
    enrolments = enrolments_of(prisoner)
    minutes = minutes_online(prisoner.pk, enrolments)
    attendance = attendance_counts(enrolments)
    courses = []
    for enrolment in enrolments:
        course = enrolment.course
        results = {result.unit_id: result for result in enrolment.results.all()}
        units = tuple(
            UnitResultRecord(
                code=unit.code,
                title=unit.title,
                outcome=result.outcome,
                outcome_label=result.get_outcome_display(),
                recorded_on=timezone.localdate(result.recorded_at),
                recorded_by=result.recorded_by,
            )
            for unit in course.units.all()
            if (result := results.get(unit.pk)) is not None
        )
        marks = attendance.get(enrolment.pk, dict.fromkeys(Attendance.values, 0))
        courses.append(
            CourseRecord(
                course_id=course.pk,
                title=course.title,
                provider=course.provider,
                level=course.level,
                level_label=Level(course.level).label,
                subject=course.subject,
                subject_label=Subject(course.subject).label,
                mode_label=Mode(course.mode).label,
                establishment_code=course.establishment.code,
                establishment_name=course.establishment.name,
                starts_on=course.starts_on,
                ends_on=course.ends_on,
                status=enrolment.status,
                status_label=enrolment.get_status_display(),
                enrolled_on=timezone.localdate(enrolment.enrolled_at),
                left_on=timezone.localdate(enrolment.ended_at) if enrolment.ended_at else None,
                units=units,
                sessions_present=marks[Attendance.PRESENT],
                sessions_absent=marks[Attendance.ABSENT],
                sessions_excluded=marks[Attendance.EXCLUDED],
                minutes_online=minutes.get(enrolment.pk, 0),
            )
        )
    return LearnerRecord(
        prison_number=prisoner.prison_number,
        given_name=prisoner.given_name,
        family_name=prisoner.family_name,
        date_of_birth=prisoner.date_of_birth,
        issued_by_code=prisoner.establishment.code,
        issued_by_name=prisoner.establishment.name,
        issued_on=on or timezone.localdate(),
        courses=tuple(courses),
    )


def week_ahead(prisoner: Prisoner, *, days: int = 7) -> list[dict[str, Any]]:
    """The learner's class sessions from today for ``days`` days, in time order."""
    today = timezone.localdate()
    last = today + dt.timedelta(days=days - 1)
    found = []
    for enrolment in Enrolment.objects.filter(
        prisoner=prisoner, status=EnrolmentStatus.ENROLLED, course_class__isnull=False
    ).select_related("course", "course_class__location"):
        course_class = enrolment.course_class
        if course_class is None:
            continue
        first = max(today, enrolment.course.starts_on)
        end = min(last, enrolment.course.ends_on)
        for start, finish in sessions(windows_of(course_class), first, end):
            found.append(
                {
                    "start": start,
                    "end": finish,
                    "course": enrolment.course,
                    "course_class": course_class,
                }
            )
    return sorted(found, key=lambda session: session["start"])


def subject_access(prisoner: Prisoner) -> dict[str, Any]:
    """A copy of everything held about the learner's education (a subject access request):
    enrolments, registers, results, time online, and the audit log's learning events."""
    enrolments = enrolments_of(prisoner)
    minutes = minutes_online(prisoner.pk, enrolments)
    marks = AttendanceMark.objects.filter(enrolment__prisoner=prisoner).select_related(
        "course_class"
    )
    results = UnitResult.objects.filter(enrolment__prisoner=prisoner).select_related("unit")
    events = AuditEvent.objects.filter(
        subject_kind=PRISONER, subject_id=str(prisoner.pk), action__startswith="learning."
    ).order_by("seq")
    return {
        "learner": {
            "prison_number": prisoner.prison_number,
            "given_name": prisoner.given_name,
            "family_name": prisoner.family_name,
            "date_of_birth": prisoner.date_of_birth.isoformat(),
            "establishment": prisoner.establishment.code,
        },
        "made_at": timezone.now().isoformat(),
        "enrolments": [
            {
                "id": e.pk,
                "course": {
                    "id": e.course.pk,
                    "title": e.course.title,
                    "provider": e.course.provider,
                    "level": e.course.level,
                    "subject": e.course.subject,
                    "mode": e.course.mode,
                    "establishment": e.course.establishment.code,
                    "starts_on": e.course.starts_on.isoformat(),
                    "ends_on": e.course.ends_on.isoformat(),
                },
                "class": e.course_class.name if e.course_class else None,
                "status": e.status,
                "enrolled_by": e.enrolled_by,
                "enrolled_at": e.enrolled_at.isoformat(),
                "ended_at": e.ended_at.isoformat() if e.ended_at else None,
                "ended_by": e.ended_by,
                "end_reason": e.end_reason,
                "minutes_online": minutes.get(e.pk, 0),
            }
            for e in enrolments
        ],
        "attendance": [
            {
                "enrolment": m.enrolment_id,
                "class": m.course_class.name,
                "session_start": m.session_start.isoformat(),
                "status": m.status,
                "reason": m.reason,
                "note": m.note,
                "recorded_by": m.recorded_by,
                "recorded_at": m.recorded_at.isoformat(),
            }
            for m in marks
        ],
        "results": [
            {
                "enrolment": r.enrolment_id,
                "unit": r.unit.code,
                "title": r.unit.title,
                "outcome": r.outcome,
                "note": r.note,
                "recorded_by": r.recorded_by,
                "recorded_at": r.recorded_at.isoformat(),
            }
            for r in results
        ],
        "events": [
            {
                "at": event.occurred_at.isoformat(),
                "action": event.action,
                "actor": event.actor_label,
                "details": event.details,
            }
            for event in events
        ],
    }

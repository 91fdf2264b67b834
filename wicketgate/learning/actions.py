"""State changes of education: courses, classes, enrolments, registers, results. Atomic,
audited (``learning.*`` events), and refused with a ``LearningError`` naming the field.

An enrolment is what opens a course's sites and books to the learner: the policy engine
reads it (``course:<id>`` grants) with the course's dates and hours, so nothing here
schedules the opening or the closing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from wicketgate.accounts.models import User
from wicketgate.audit.log import Actor, record_event
from wicketgate.estate.codes import LocationKind
from wicketgate.estate.models import Establishment, Location
from wicketgate.learning.codes import (
    AbsenceReason,
    Attendance,
    EnrolmentStatus,
    Level,
    Mode,
    Outcome,
    Subject,
)
from wicketgate.learning.models import (
    AttendanceMark,
    Course,
    CourseClass,
    CourseUnit,
    Enrolment,
    UnitResult,
)
from wicketgate.learning.timetable import clashes_for, session_windows
from wicketgate.lib.errors import ActionError
from wicketgate.people.models import Prisoner
from wicketgate.policy.hours import HoursError, parse_hours
from wicketgate.policy.models import Site

TEXT_MAX = 300
TITLE_MAX = 200
MAX_CAPACITY = 500
MAX_WEEKS = 260  # five years: longer is a typing mistake
TEACHING_PLACES = frozenset({LocationKind.EDUCATION, LocationKind.LIBRARY, LocationKind.WORKSHOP})


class LearningError(ActionError):
    """An education change that cannot be made; nothing was changed."""


@dataclass(frozen=True)
class UnitSpec:
    code: str
    title: str


# --- courses ---------------------------------------------------------------------------


def do_create_course(
    establishment: Establishment,
    *,
    title: str,
    provider: str,
    level: str,
    subject: str,
    mode: str,
    starts_on: dt.date,
    ends_on: dt.date,
    capacity: int,
    actor: Actor,
    sites: Iterable[Site] = (),
    units: Sequence[UnitSpec] = (),
    description: str = "",
) -> Course:
    values = _course_values(
        title=title,
        provider=provider,
        level=level,
        subject=subject,
        mode=mode,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=capacity,
        description=description,
    )
    chosen = _approved_sites(sites)
    unit_specs = _units(units)
    with transaction.atomic():
        course = Course.objects.create(
            establishment=establishment, created_by=actor.label, **values
        )
        course.sites.set(chosen)
        CourseUnit.objects.bulk_create(
            CourseUnit(course=course, code=spec.code, title=spec.title, position=n)
            for n, spec in enumerate(unit_specs)
        )
        _record(
            "course.create",
            course,
            actor,
            sites=[site.name for site in chosen],
            units=[spec.code for spec in unit_specs],
        )
    return course


def do_change_course(
    course: Course,
    *,
    actor: Actor,
    title: str,
    provider: str,
    level: str,
    subject: str,
    mode: str,
    starts_on: dt.date,
    ends_on: dt.date,
    capacity: int,
    sites: Iterable[Site],
    description: str = "",
) -> Course:
    """Change a course; its learners' access follows at once (the engine reads it)."""
    values = _course_values(
        title=title,
        provider=provider,
        level=level,
        subject=subject,
        mode=mode,
        starts_on=starts_on,
        ends_on=ends_on,
        capacity=capacity,
        description=description,
    )
    chosen = _approved_sites(sites)
    with transaction.atomic():
        locked = _locked_course(course)
        if locked.cancelled_at is not None:
            raise LearningError("the course is cancelled")
        enrolled = locked.enrolments.filter(status=EnrolmentStatus.ENROLLED).count()
        if capacity < enrolled:
            raise LearningError(
                f"{enrolled} learners are enrolled; the capacity cannot be less",
                field="capacity",
            )
        before = {name: getattr(locked, name) for name in values}
        before_sites = sorted(site.name for site in locked.sites.all())
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        locked.sites.set(chosen)
        changed = {name: str(value) for name, value in values.items() if before[name] != value}
        after_sites = sorted(site.name for site in chosen)
        if after_sites != before_sites:
            changed["sites"] = ", ".join(after_sites)
        _record("course.change", locked, actor, changed=changed)
    return locked


def do_cancel_course(course: Course, *, reason: str, actor: Actor) -> Course:
    """Cancel a course: its learners are withdrawn, and its resources close to them."""
    words = _required(reason, "reason", "say why the course is cancelled")
    with transaction.atomic():
        locked = _locked_course(course)
        if locked.cancelled_at is not None:
            raise LearningError("the course is already cancelled")
        now = timezone.now()
        locked.cancelled_at = now
        locked.save(update_fields=["cancelled_at"])
        for enrolment in locked.enrolments.select_for_update().filter(
            status=EnrolmentStatus.ENROLLED
        ):
            _end(enrolment, EnrolmentStatus.WITHDRAWN, f"Course cancelled: {words}", actor, now)
        _record("course.cancel", locked, actor, reason=words)
    return locked


# --- classes ---------------------------------------------------------------------------


def do_add_class(
    course: Course,
    *,
    name: str,
    tutor: User,
    location: Location,
    timetable: str,
    actor: Actor,
) -> CourseClass:
    label = _required(name, "name", "give the class a name")[:80]
    hours = _timetable(timetable)
    if location.establishment_id != course.establishment_id:
        raise LearningError(f"{location.code} is not in {course.establishment.code}", "location")
    if location.kind not in TEACHING_PLACES:
        raise LearningError(
            f"{location.code} is a {location.get_kind_display().lower()}, not a place for "
            "classes (education, library or workshop)",
            field="location",
        )
    if not tutor.staff_memberships.filter(establishment_id=course.establishment_id).exists():
        raise LearningError(
            f"{tutor.get_username()} is not staff at {course.establishment.code}", "tutor"
        )
    with transaction.atomic():
        if _locked_course(course).cancelled_at is not None:
            raise LearningError("the course is cancelled")
        if course.classes.filter(name=label).exists():
            raise LearningError(f"the course already has a class called {label}", "name")
        course_class = CourseClass.objects.create(
            course=course, name=label, tutor=tutor, location=location, timetable=hours
        )
        _record(
            "class.add",
            course,
            actor,
            course_class=course_class.pk,
            name=label,
            tutor=tutor.get_username(),
            location=location.code,
            timetable=hours,
        )
    return course_class


# --- enrolments ------------------------------------------------------------------------


def do_enrol_learner(
    course: Course,
    prisoner: Prisoner,
    *,
    actor: Actor,
    course_class: CourseClass | None = None,
    accept_clashes: bool = False,
) -> Enrolment:
    """Enrol a learner. Clashes with their other classes and booked calls are named; they
    stop the enrolment unless staff accept them (``accept_clashes``)."""
    if prisoner.establishment_id != course.establishment_id:
        raise LearningError(
            f"{prisoner.prison_number} is not at {course.establishment.code}", "prisoner"
        )
    if course_class is not None and course_class.course_id != course.pk:
        raise LearningError(f"{course_class.name} is not a class of this course", "course_class")
    if course_class is None and course.mode == Mode.CLASSROOM:
        raise LearningError("a classroom course needs a class", "course_class")
    with transaction.atomic():
        locked = _locked_course(course)
        if locked.cancelled_at is not None:
            raise LearningError("the course is cancelled")
        if locked.ends_on < timezone.localdate():
            raise LearningError(f"the course ended on {locked.ends_on:%-d %B %Y}")
        held = Prisoner.objects.select_for_update().get(pk=prisoner.pk)  # one at a time
        if held.establishment_id != locked.establishment_id:  # moved since it was read
            raise LearningError(
                f"{prisoner.prison_number} is not at {locked.establishment.code}", "prisoner"
            )
        current = locked.enrolments.filter(status=EnrolmentStatus.ENROLLED)
        if current.filter(prisoner=prisoner).exists():
            raise LearningError(f"{prisoner.prison_number} is already on this course", "prisoner")
        if current.count() >= locked.capacity:
            raise LearningError(f"the course is full ({locked.capacity} learners)")
        clashes = clashes_for(prisoner, locked, course_class)
        if clashes and not accept_clashes:
            raise LearningError(
                "it clashes with " + "; ".join(clashes) + ". Enrol anyway to accept the clash",
                field="course_class",
            )
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(
                    course=locked,
                    prisoner=prisoner,
                    course_class=course_class,
                    enrolled_by=actor.label,
                    enrolled_at=timezone.now(),
                )
        except IntegrityError:
            raise LearningError(
                f"{prisoner.prison_number} is already on this course", "prisoner"
            ) from None
        _record(
            "enrolment.enrol",
            locked,
            actor,
            prisoner=prisoner,
            enrolment=enrolment.pk,
            course_class=course_class.name if course_class else "",
            clashes=clashes,
        )
    return enrolment


def do_withdraw_learner(enrolment: Enrolment, *, reason: str, actor: Actor) -> Enrolment:
    """Take a learner off a course: the course's sites and books close to them at once."""
    words = _required(reason, "reason", "say why the learner is withdrawn")
    with transaction.atomic():
        locked = _locked_enrolment(enrolment)
        _end(locked, EnrolmentStatus.WITHDRAWN, words, actor, timezone.now())
    return locked


def do_complete_enrolment(enrolment: Enrolment, *, actor: Actor) -> Enrolment:
    """The learner has finished the course; its resources close to them."""
    with transaction.atomic():
        locked = _locked_enrolment(enrolment)
        _end(locked, EnrolmentStatus.COMPLETED, "", actor, timezone.now())
    return locked


def end_enrolments_on_transfer(prisoner: Prisoner, origin_id: int, *, actor: Actor) -> int:
    """A learner moved on: their courses at the old establishment end (the record goes
    with them). Called inside the transfer's transaction."""
    now = timezone.now()
    ended = 0
    for enrolment in Enrolment.objects.select_for_update().filter(
        prisoner=prisoner, status=EnrolmentStatus.ENROLLED, course__establishment_id=origin_id
    ):
        _end(enrolment, EnrolmentStatus.TRANSFERRED, "Transferred", actor, now)
        ended += 1
    return ended


# --- registers and results -------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    enrolment: Enrolment
    status: str
    reason: str = ""
    note: str = ""


def do_mark_register(
    course_class: CourseClass,
    session_start: dt.datetime,
    marks: Sequence[Mark],
    *,
    actor: Actor,
) -> list[AttendanceMark]:
    """The tutor's register for one session of the class (marking again corrects it)."""
    if session_start not in session_windows(course_class, session_start, session_start):
        raise LearningError(
            f"{timezone.localtime(session_start):%a %-d %b %H:%M} is not a session of "
            f"{course_class.name} ({course_class.timetable})",
            field="session_start",
        )
    if session_start > timezone.now():
        raise LearningError("a session cannot be marked before it starts", "session_start")
    if not marks:
        raise LearningError("mark at least one learner", "marks")
    saved = []
    with transaction.atomic():
        for mark in marks:
            _check_mark(course_class, mark)
            enrolment = _locked_enrolment(mark.enrolment, current_only=False)
            saved_mark, _created = AttendanceMark.objects.update_or_create(
                enrolment=enrolment,
                session_start=session_start,
                defaults={
                    "course_class": course_class,
                    "status": mark.status,
                    "reason": "" if mark.status == Attendance.PRESENT else mark.reason,
                    "note": mark.note.strip()[:TEXT_MAX],
                    "recorded_by": actor.label,
                    "recorded_at": timezone.now(),
                },
            )
            saved.append(saved_mark)
        _record(
            "register.mark",
            course_class.course,
            actor,
            course_class=course_class.pk,
            session=timezone.localtime(session_start).isoformat(),
            marks={m.enrolment.prisoner.prison_number: m.status for m in marks},
        )
    return saved


def do_record_unit_result(
    enrolment: Enrolment, unit: CourseUnit, *, outcome: str, actor: Actor, note: str = ""
) -> UnitResult:
    if outcome not in Outcome.values:
        raise LearningError(f"expected one of {', '.join(Outcome.values)}", "outcome", outcome)
    if unit.course_id != enrolment.course_id:
        raise LearningError(f"{unit.code} is not a unit of this course", "unit")
    with transaction.atomic():
        locked = _locked_enrolment(enrolment, current_only=False)
        if locked.status in (EnrolmentStatus.WITHDRAWN, EnrolmentStatus.TRANSFERRED):
            raise LearningError("the learner is no longer on the course")
        result, _created = UnitResult.objects.update_or_create(
            enrolment=locked,
            unit=unit,
            defaults={
                "outcome": outcome,
                "note": note.strip()[:TEXT_MAX],
                "recorded_by": actor.label,
                "recorded_at": timezone.now(),
            },
        )
        _record(
            "result.record",
            locked.course,
            actor,
            prisoner=locked.prisoner,
            enrolment=locked.pk,
            unit=unit.code,
            outcome=outcome,
        )
    return result


# --- internals -------------------------------------------------------------------------


def _course_values(
    *,
    title: str,
    provider: str,
    level: str,
    subject: str,
    mode: str,
    starts_on: dt.date,
    ends_on: dt.date,
    capacity: int,
    description: str,
) -> dict[str, object]:
    for field, value, choices in (
        ("level", level, Level),
        ("subject", subject, Subject),
        ("mode", mode, Mode),
    ):
        if value not in choices.values:
            raise LearningError(f"expected one of {', '.join(choices.values)}", field, value)
    if ends_on < starts_on:
        raise LearningError("the course cannot end before it starts", "ends_on")
    if (ends_on - starts_on).days > MAX_WEEKS * 7:
        raise LearningError(f"a course runs for {MAX_WEEKS} weeks at most", "ends_on")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise LearningError(f"between 1 and {MAX_CAPACITY} learners", "capacity", str(capacity))
    return {
        "title": _required(title, "title", "give the course a title")[:TITLE_MAX],
        "provider": _required(provider, "provider", "say who provides the course")[:120],
        "level": level,
        "subject": subject,
        "mode": mode,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "capacity": capacity,
        "description": description.strip()[:2000],
    }


def _approved_sites(sites: Iterable[Site]) -> list[Site]:
    """Approved catalogue sites in the categories courses may open (settings)."""
    chosen = list(sites)
    allowed = set(settings.WICKETGATE_LEARNING_CATEGORIES)
    for site in chosen:
        if not site.is_approved:
            raise LearningError(
                f"{site.name} is not an approved catalogue site", "sites", site.name
            )
        if site.category.code not in allowed:
            raise LearningError(
                f"{site.name} is a {site.category.name} site: a course opens only "
                f"{', '.join(sorted(allowed))} sites",
                "sites",
                site.name,
            )
    return chosen


def _units(units: Sequence[UnitSpec]) -> list[UnitSpec]:
    seen: set[str] = set()
    cleaned = []
    for spec in units:
        code = spec.code.strip()[:40]
        title = spec.title.strip()[:TITLE_MAX]
        if not code or not title:
            raise LearningError("each unit needs a code and a title", "units")
        if code in seen:
            raise LearningError(f"unit {code} is listed twice", "units", code)
        seen.add(code)
        cleaned.append(UnitSpec(code, title))
    return cleaned


def _timetable(text: str) -> str:
    hours = " ".join(text.split())
    if not hours:
        raise LearningError("give the weekly sessions, e.g. Mon 09:00-11:30", "timetable")
    try:
        parse_hours(hours)
    except HoursError as exc:
        raise LearningError(str(exc), "timetable") from None
    return hours


def _required(text: str, field: str, message: str) -> str:
    words = " ".join((text or "").split())
    if not words:
        raise LearningError(message, field)
    if field == "reason" and len(words) > TEXT_MAX:
        raise LearningError(f"use {TEXT_MAX} characters or fewer", field)
    return words


def _check_mark(course_class: CourseClass, mark: Mark) -> None:
    who = mark.enrolment.prisoner.prison_number
    if mark.enrolment.course_class_id != course_class.pk:
        raise LearningError(f"{who} is not in {course_class.name}", "marks", who)
    if mark.status not in Attendance.values:
        raise LearningError(f"expected one of {', '.join(Attendance.values)}", "marks", who)
    if mark.status == Attendance.ABSENT and mark.reason not in AbsenceReason.values:
        raise LearningError("say why the learner was absent", "marks", who)
    if mark.status == Attendance.EXCLUDED and not mark.note.strip():
        raise LearningError("say why the learner was excluded", "marks", who)


def _end(enrolment: Enrolment, status: str, reason: str, actor: Actor, now: dt.datetime) -> None:
    enrolment.status = status
    enrolment.ended_at = now
    enrolment.ended_by = actor.label
    enrolment.end_reason = reason[:TEXT_MAX]
    enrolment.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    _record(
        f"enrolment.{status}",
        enrolment.course,
        actor,
        prisoner=enrolment.prisoner,
        enrolment=enrolment.pk,
        reason=reason,
    )


def _locked_course(course: Course) -> Course:
    return (
        Course.objects.select_for_update(of=("self",))
        .select_related("establishment")
        .get(pk=course.pk)
    )


def _locked_enrolment(enrolment: Enrolment, *, current_only: bool = True) -> Enrolment:
    locked = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("course__establishment", "prisoner__establishment")
        .get(pk=enrolment.pk)
    )
    if current_only and locked.status != EnrolmentStatus.ENROLLED:
        raise LearningError(
            f"{locked.prisoner.prison_number} is not on the course "
            f"({locked.get_status_display().lower()})"
        )
    return locked


def _record(
    verb: str,
    course: Course,
    actor: Actor,
    *,
    prisoner: Prisoner | None = None,
    **details: object,
) -> None:
    record_event(
        f"learning.{verb}",
        actor=actor,
        subject=prisoner if prisoner is not None else course,
        establishment=prisoner.establishment if prisoner is not None else course.establishment,
        details={
            "course": course.pk,
            "title": course.title,
            **({"prisoner": prisoner.prison_number} if prisoner is not None else {}),
            **{key: value for key, value in details.items() if value not in ("", None, [], {})},
        },
    )

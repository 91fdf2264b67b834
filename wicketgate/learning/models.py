"""Courses, their classes and units, enrolments, registers, progress, and library books.

What a course opens to a learner is decided by the policy engine (``course:<id>`` grants,
compiled in ``policy.compiler``) from the course's dates, resources and hours and the
learner's enrolment: nothing here is asked on the hot path.

Scoping: a course and its classes belong to the establishment that runs them; a learner's
enrolments, attendance and results belong to the learner's record, which goes where the
learner goes (``prisoner__establishment``): the new establishment sees it after a
transfer, the old one no longer does.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from wicketgate.accounts.scoping import ScopedQuerySet
from wicketgate.learning.codes import (
    AbsenceReason,
    Attendance,
    EnrolmentStatus,
    Level,
    Mode,
    Outcome,
    Subject,
)
from wicketgate.policy.models import Site


class CourseQuerySet(ScopedQuerySet["Course"]):
    prisoner_field = "enrolments__prisoner"


class Course(models.Model):
    establishment = models.ForeignKey(
        "estate.Establishment", on_delete=models.PROTECT, related_name="courses"
    )
    title = models.CharField(max_length=200)
    provider = models.CharField(max_length=120, help_text="Who delivers it (the college)")
    level = models.CharField(max_length=2, choices=Level.choices)
    subject = models.CharField(max_length=10, choices=Subject.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices)
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Its resources close at the end of this day")
    capacity = models.PositiveIntegerField()
    # The catalogue sites and library books (each a catalogue site) it opens to learners.
    sites = models.ManyToManyField("policy.Site", blank=True, related_name="courses")
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="course_ends_after_it_starts"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="course_has_room"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_level_display()})"

    @property
    def policy_id(self) -> str:
        return f"course:{self.pk}"


class CourseUnitQuerySet(ScopedQuerySet["CourseUnit"]):
    establishment_field = "course__establishment"


class CourseUnit(models.Model):
    """A unit of the course whose outcome tutors record."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="units")
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    objects = CourseUnitQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["course", "code"], name="unit_code_unique_in_course")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class CourseClassQuerySet(ScopedQuerySet["CourseClass"]):
    establishment_field = "course__establishment"
    prisoner_field = "enrolments__prisoner"


class CourseClass(models.Model):
    """A face-to-face group of the course: a tutor, a room, a weekly timetable."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="classes")
    name = models.CharField(max_length=80, help_text="Say, Monday morning group")
    tutor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="classes_taught"
    )
    location = models.ForeignKey(
        "estate.Location", on_delete=models.PROTECT, related_name="classes"
    )
    timetable = models.CharField(
        max_length=200, help_text="Weekly sessions, e.g. Mon 09:00-11:30; Wed 13:30-16:00"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CourseClassQuerySet.as_manager()

    class Meta:
        ordering = ["course", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="class_name_unique_in_course")
        ]

    def __str__(self) -> str:
        return f"{self.course.title}: {self.name}"


class EnrolmentQuerySet(ScopedQuerySet["Enrolment"]):
    establishment_field = "prisoner__establishment"

    def current(self) -> EnrolmentQuerySet:
        return self.filter(status=EnrolmentStatus.ENROLLED)


class Enrolment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    prisoner = models.ForeignKey(
        "people.Prisoner", on_delete=models.PROTECT, related_name="enrolments"
    )
    course_class = models.ForeignKey(
        CourseClass,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolments",
        help_text="The class they attend (none for an in-cell course)",
    )
    status = models.CharField(
        max_length=12, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED
    )
    enrolled_by = models.CharField(max_length=150)
    enrolled_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-enrolled_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "prisoner"],
                condition=Q(status="enrolled"),
                name="one_current_enrolment_per_course",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prisoner_id} on {self.course_id} ({self.status})"


class AttendanceMarkQuerySet(ScopedQuerySet["AttendanceMark"]):
    establishment_field = "enrolment__prisoner__establishment"
    prisoner_field = "enrolment__prisoner"


class AttendanceMark(models.Model):
    """One learner at one session of their class, as the tutor marked the register."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="marks")
    course_class = models.ForeignKey(CourseClass, on_delete=models.PROTECT, related_name="marks")
    session_start = models.DateTimeField(help_text="When the session began (its timetabled start)")
    status = models.CharField(max_length=10, choices=Attendance.choices)
    reason = models.CharField(max_length=14, choices=AbsenceReason.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()

    objects = AttendanceMarkQuerySet.as_manager()

    class Meta:
        ordering = ["-session_start", "enrolment"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "session_start"], name="one_mark_per_learner_per_session"
            ),
            models.CheckConstraint(
                condition=Q(status="present", reason="") | ~Q(status="present"),
                name="present_has_no_absence_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} at {self.session_start:%Y-%m-%d %H:%M}: {self.status}"


class UnitResultQuerySet(ScopedQuerySet["UnitResult"]):
    establishment_field = "enrolment__prisoner__establishment"
    prisoner_field = "enrolment__prisoner"


class UnitResult(models.Model):
    """The tutor's latest word on a learner's unit (every change is in the audit log)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="results")
    unit = models.ForeignKey(CourseUnit, on_delete=models.PROTECT, related_name="results")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()

    objects = UnitResultQuerySet.as_manager()

    class Meta:
        ordering = ["unit__position", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "unit"], name="one_result_per_unit")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.unit_id}: {self.outcome}"


class Book(models.Model):
    """A ZIM book of the offline library, served by kiwix-serve; its catalogue entry (an
    internal site limited to the book's own paths) decides who may read it."""

    name = models.SlugField(max_length=80, help_text="Its name in the library's URLs")
    title = models.CharField(max_length=200)
    language = models.CharField(max_length=20, blank=True)
    description = models.CharField(max_length=500, blank=True)
    # Its catalogue entry, by name: proposed when the book is added, and open to no one
    # until a second member of staff approves it (four eyes, as every catalogue site).
    site_name = models.CharField(max_length=120)
    category = models.ForeignKey("policy.Category", on_delete=models.PROTECT, related_name="+")
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    article_count = models.PositiveIntegerField(default=0)
    added_by = models.CharField(max_length=150)
    added_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(removed_at__isnull=True), name="book_name_in_use"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def site(self) -> Site | None:
        """Its catalogue entry, once approved (and not retired); None before."""
        return (
            Site.objects.filter(name=self.site_name, retired_at__isnull=True)
            .exclude(approved_by="")
            .first()
        )

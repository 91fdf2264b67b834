"""A course at establishment A with a class and one learner, made once per test database:
for the persona suite and the page tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wicketgate.accounts.actions import do_create_staff_user
from wicketgate.accounts.models import User
from wicketgate.accounts.roles import StaffRole
from wicketgate.estate.models import Location
from wicketgate.learning.actions import UnitSpec, do_add_class, do_create_course, do_enrol_learner
from wicketgate.learning.models import Course, CourseClass, Enrolment
from wicketgate.testing.personas import PASSWORD, SETUP, Estate

TITLE = "Essential Digital Skills"


def tutor(estate: Estate) -> User:
    found = User.objects.filter(username="tutor.a").first()
    return found or do_create_staff_user(
        "tutor.a",
        password=PASSWORD,
        roles=[(estate.a, StaffRole.EDUCATION)],
        actor=SETUP,
        check_password=False,
    )


def classroom(estate: Estate) -> Location:
    found = Location.objects.filter(code="NGT-EDU-1").first()
    return found or Location.objects.create(
        establishment=estate.a, code="NGT-EDU-1", kind="EDUCATION", name="Classroom 1"
    )


def a_course(estate: Estate) -> Course:
    found = Course.objects.filter(title=TITLE, establishment=estate.a).first()
    if found is not None:
        return found
    today = timezone.localdate()
    return do_create_course(
        estate.a,
        title=TITLE,
        provider="Novus",
        level="E3",
        subject="EDS",
        mode="blended",
        starts_on=today - dt.timedelta(days=14),
        ends_on=today + dt.timedelta(days=60),
        capacity=10,
        units=[UnitSpec("EDS1", "Using devices"), UnitSpec("EDS2", "Being safe online")],
        actor=SETUP,
    )


def a_class(estate: Estate) -> CourseClass:
    course = a_course(estate)
    found = course.classes.first()
    return found or do_add_class(
        course,
        name="Everyday group",
        tutor=tutor(estate),
        location=classroom(estate),
        timetable="Mon-Sun 00:00-24:00",
        actor=SETUP,
    )


def an_enrolment(estate: Estate) -> Enrolment:
    course_class = a_class(estate)
    found = Enrolment.objects.filter(
        course=course_class.course, prisoner=estate.prisoner_a, status="enrolled"
    ).first()
    if found is not None:
        return found
    enrolment = do_enrol_learner(
        course_class.course,
        estate.prisoner_a,
        course_class=course_class,
        accept_clashes=True,
        actor=SETUP,
    )
    # On the course since it began, so that its recent sessions' registers include them.
    began = dt.datetime.combine(course_class.course.starts_on, dt.time(0), tzinfo=dt.UTC)
    Enrolment.objects.filter(pk=enrolment.pk).update(enrolled_at=began)
    enrolment.refresh_from_db()
    return enrolment

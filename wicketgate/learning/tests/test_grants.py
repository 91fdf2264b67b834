"""Enrolment opens exactly the course's sites, in its dates and hours, through the policy
engine (``course:<id>``), and closes them at withdrawal, at the end date, on transfer;
a web sanction leaves them open unless it says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from wicketgate.conduct.models import Sanction
from wicketgate.learning.actions import (
    LearningError,
    do_cancel_course,
    do_change_course,
    do_enrol_learner,
    do_withdraw_learner,
)
from wicketgate.learning.codes import EnrolmentStatus
from wicketgate.learning.models import Course, Enrolment
from wicketgate.learning.tests.conftest import FROZEN, School, at
from wicketgate.people.actions import do_transfer_prisoner
from wicketgate.people.models import Prisoner
from wicketgate.policy.engine import EDUCATION_EXEMPT, NO_GRANT
from wicketgate.testing.personas import SETUP

pytestmark = [FROZEN]

ALAN = "A1234BC"
MATHS = "https://maths.example.org/fractions"
READING = "https://reading.example.org/"
JOBS = "https://findajob.dwp.gov.uk/"
THURSDAY_10 = at("2026-11-26T10:00:00+00:00")  # in class
THURSDAY_13 = at("2026-11-26T13:00:00+00:00")  # neither class nor study hours
THURSDAY_19 = at("2026-11-26T19:00:00+00:00")  # study hours
SATURDAY_10 = at("2026-11-28T10:00:00+00:00")


def change(course: Course, **changes: Any) -> None:
    """Change some of the course's details, keeping the rest."""
    do_change_course(
        course,
        actor=SETUP,
        **{
            "title": course.title,
            "provider": course.provider,
            "level": course.level,
            "subject": course.subject,
            "mode": course.mode,
            "starts_on": course.starts_on,
            "ends_on": course.ends_on,
            "capacity": course.capacity,
            "sites": list(course.sites.all()),
            **changes,
        },
    )


def enrol(school: School) -> None:
    do_enrol_learner(
        school.maths, school.estate.prisoner_a, course_class=school.monday, actor=SETUP
    )


def test_before_enrolment_nothing_opens_the_course_site(school: School) -> None:
    decision = school.engine.decide(ALAN, MATHS, at=THURSDAY_10)
    assert not decision.allowed and decision.rules == (NO_GRANT,)


def test_enrolment_opens_the_course_sites_in_class_and_in_study_hours(school: School) -> None:
    enrol(school)
    course_id = f"course:{school.maths.pk}"
    for moment in (THURSDAY_10, THURSDAY_19):
        decision = school.engine.decide(ALAN, MATHS, at=moment)
        assert decision.allowed, moment
        assert decision.rules == (course_id,)
        assert decision.reasons == (
            "Maths Online is open to you for your course Functional Maths.",
        )


def test_it_opens_only_the_course_sites(school: School) -> None:
    enrol(school)
    for url in (READING, JOBS):
        assert not school.engine.decide(ALAN, url, at=THURSDAY_10).allowed


def test_out_of_hours_the_site_is_closed_and_the_reason_names_the_course(school: School) -> None:
    enrol(school)
    for moment in (THURSDAY_13, SATURDAY_10):
        decision = school.engine.decide(ALAN, MATHS, at=moment)
        assert not decision.allowed
        assert decision.reasons == (
            "Your course Functional Maths opens Maths Online "
            "Mon 09:00–12:00; Thu 09:00–12:00; Mon–Fri 18:00–20:00.",
        )


def test_the_answer_given_in_hours_ends_when_the_hours_do(school: School) -> None:
    enrol(school)
    decision = school.engine.decide(ALAN, MATHS, at=THURSDAY_10)
    assert decision.valid_until == at("2026-11-26T12:00:00+00:00")
    # The cached answer is not reused past its edge.
    assert not school.engine.decide(ALAN, MATHS, at=at("2026-11-26T12:00:00+00:00")).allowed


def test_a_classroom_course_opens_in_its_sessions_only(school: School) -> None:
    enrol(school)
    course = school.maths
    change(course, mode="classroom")
    assert school.engine.decide(ALAN, MATHS, at=THURSDAY_10).allowed
    assert not school.engine.decide(ALAN, MATHS, at=THURSDAY_19).allowed


def test_withdrawal_closes_the_sites_at_once(school: School) -> None:
    enrol(school)
    assert school.engine.decide(ALAN, MATHS, at=THURSDAY_10).allowed
    enrolment = school.maths.enrolments.get()
    do_withdraw_learner(enrolment, reason="Moved to work in the kitchens", actor=SETUP)
    assert not school.engine.decide(ALAN, MATHS, at=THURSDAY_10).allowed


def test_the_end_date_closes_the_sites_with_no_job(school: School) -> None:
    enrol(school)
    last_day = at("2026-12-18T10:00:00+00:00")  # a Friday, in study hours? no: class is Mon/Thu
    assert school.engine.decide(ALAN, MATHS, at=at("2026-12-17T10:00:00+00:00")).allowed
    assert school.engine.decide(ALAN, MATHS, at=at("2026-12-18T19:00:00+00:00")).allowed
    decision = school.engine.decide(ALAN, MATHS, at=at("2026-12-21T10:00:00+00:00"))
    assert not decision.allowed
    assert decision.reasons == ("Your course Functional Maths ended on 18 December 2026.",)
    assert not school.engine.decide(ALAN, MATHS, at=last_day).allowed  # Friday 10:00


def test_before_the_start_date_the_reason_says_when_it_opens(school: School) -> None:
    course = school.maths
    with time_machine.travel("2026-11-16T10:00:00+00:00", tick=False):
        change(course, starts_on=dt.date(2026, 11, 30))
        enrol(school)
        decision = school.engine.decide(ALAN, MATHS, at=at("2026-11-19T10:00:00+00:00"))
    assert not decision.allowed
    assert decision.reasons[0].startswith(
        "Your course Functional Maths opens Maths Online from 30 November 2026"
    )


def test_a_web_sanction_leaves_the_course_open_unless_it_says_so(school: School) -> None:
    enrol(school)
    sanction = Sanction.objects.create(
        establishment=school.estate.a,
        prisoner=school.estate.prisoner_a,
        service="web",
        days=7,
        reason="Misuse of the laptop",
        given_by="governor",
        starts_at=at("2026-11-25T00:00:00+00:00"),
        ends_at=at("2026-12-02T00:00:00+00:00"),
    )
    decision = school.engine.decide(ALAN, MATHS, at=THURSDAY_10)
    assert decision.allowed
    assert decision.rules == (f"course:{school.maths.pk}", EDUCATION_EXEMPT)
    sanction.includes_education = True
    sanction.save()
    decision = school.engine.decide(ALAN, MATHS, at=THURSDAY_10)
    assert not decision.allowed and decision.rules == ("sanction:web",)


def test_a_category_sanction_that_includes_education_closes_that_category_only(
    school: School,
) -> None:
    enrol(school)
    Sanction.objects.create(
        establishment=school.estate.a,
        prisoner=school.estate.prisoner_a,
        service="web",
        categories=["EMPLOYMENT"],
        includes_education=True,
        days=7,
        reason="Misuse",
        given_by="governor",
        starts_at=at("2026-11-25T00:00:00+00:00"),
        ends_at=at("2026-12-02T00:00:00+00:00"),
    )
    assert school.engine.decide(ALAN, MATHS, at=THURSDAY_10).allowed  # EDUCATION


def test_a_device_sanction_stops_education_too(school: School) -> None:
    enrol(school)
    Sanction.objects.create(
        establishment=school.estate.a,
        prisoner=school.estate.prisoner_a,
        service="device",
        days=7,
        reason="Damaged the laptop",
        given_by="governor",
        starts_at=at("2026-11-25T00:00:00+00:00"),
        ends_at=at("2026-12-02T00:00:00+00:00"),
    )
    assert not school.engine.decide(ALAN, MATHS, at=THURSDAY_10).allowed


def test_transfer_ends_the_enrolment_and_the_grant(school: School) -> None:
    enrol(school)
    assert school.engine.decide(ALAN, MATHS, at=THURSDAY_10).allowed
    do_transfer_prisoner(school.estate.prisoner_a, school.estate.b, actor=SETUP)
    enrolment = school.maths.enrolments.get()
    assert enrolment.status == EnrolmentStatus.TRANSFERRED
    assert not school.engine.decide(ALAN, MATHS, at=THURSDAY_10).allowed


def test_cancelling_the_course_withdraws_its_learners(school: School) -> None:
    enrol(school)
    do_cancel_course(school.maths, reason="Tutor left", actor=SETUP)
    assert school.maths.enrolments.get().status == EnrolmentStatus.WITHDRAWN
    assert not school.engine.decide(ALAN, MATHS, at=THURSDAY_10).allowed


def test_a_site_added_to_the_course_opens_at_once(school: School) -> None:
    enrol(school)
    assert not school.engine.decide(ALAN, READING, at=THURSDAY_10).allowed
    school.maths.sites.add(school.site("Reading Room"))
    assert school.engine.decide(ALAN, READING, at=THURSDAY_10).allowed


def test_another_establishments_learner_cannot_be_enrolled(school: School) -> None:
    with pytest.raises(LearningError, match="is not at NGT"):
        do_enrol_learner(school.maths, school.estate.prisoner_b, actor=SETUP)


def test_a_learner_read_before_a_transfer_is_not_enrolled_after_it(school: School) -> None:
    stale = school.estate.prisoner_a  # read at Northgate
    do_transfer_prisoner(Prisoner.objects.get(pk=stale.pk), school.estate.b, actor=SETUP)
    with pytest.raises(LearningError, match="is not at NGT"):
        do_enrol_learner(school.maths, stale, course_class=school.monday, actor=SETUP)


def test_a_course_at_another_establishment_leaves_no_sanction_aside(
    school: School, load_policy: Any
) -> None:
    """However an enrolment elsewhere came to be, it opens nothing here and keeps no web
    sanction here from stopping the course's sites (fail closed)."""
    load_policy(
        "rules:\n  - {id: rvs-learning, allow: [EDUCATION]}\n", establishment=school.estate.b
    )
    bilal = school.estate.prisoner_b  # at Riverside
    Enrolment.objects.create(
        course=school.maths, prisoner=bilal, enrolled_by="test", enrolled_at=timezone.now()
    )
    Sanction.objects.create(
        establishment=school.estate.b,
        prisoner=bilal,
        service="web",
        days=7,
        reason="Misuse",
        given_by="governor",
        starts_at=at("2026-11-25T00:00:00+00:00"),
        ends_at=at("2026-12-02T00:00:00+00:00"),
    )
    decision = school.engine.decide(bilal.prison_number, MATHS, at=THURSDAY_19)
    assert (decision.allowed, decision.rules) == (False, ("sanction:web",))


def test_a_course_opens_only_learnings_categories(school: School, load_policy: Any) -> None:
    course = school.maths
    with pytest.raises(LearningError, match="a course opens only"):
        change(
            course,
            sites=[school.site("Maths Online"), school.site("Find a job"), school.site("NHS")],
        )

"""Courses, enrolments and learner records over the API, as the caller's scope allows."""

# No ``from __future__ import annotations`` here: ninja reads the view signatures at
# import time.

import dataclasses
import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from wicketgate.accounts.roles import Action
from wicketgate.accounts.scoping import may_at
from wicketgate.api.auth import caller
from wicketgate.api.schemas import INVALID, NOT_FOUND, ErrorOut
from wicketgate.audit.log import Actor
from wicketgate.learning.actions import LearningError, do_enrol_learner, do_withdraw_learner
from wicketgate.learning.codes import EnrolmentStatus
from wicketgate.learning.models import Course, Enrolment
from wicketgate.learning.queries import courses_with_counts, learner_record
from wicketgate.people.models import Prisoner

router = Router(tags=["learning"])

REFUSED = {**NOT_FOUND, 422: ErrorOut}


class CourseOut(Schema):
    id: int
    establishment: str
    title: str
    provider: str
    level: str
    subject: str
    mode: str
    starts_on: dt.date
    ends_on: dt.date
    capacity: int
    enrolled: int
    sites: list[str] = Field(description="The catalogue sites and library books it opens")
    policy_id: str = Field(description="Its grant in the policy engine, as the why? tool shows it")
    cancelled: bool

    @staticmethod
    def resolve_establishment(obj: Course) -> str:
        return obj.establishment.code

    @staticmethod
    def resolve_sites(obj: Course) -> list[str]:
        return [site.name for site in obj.sites.all()]

    @staticmethod
    def resolve_cancelled(obj: Course) -> bool:
        return obj.cancelled_at is not None


class EnrolmentOut(Schema):
    id: int
    course: int
    prison_number: str
    course_class: str | None
    status: EnrolmentStatus
    enrolled_at: dt.datetime
    ended_at: dt.datetime | None
    end_reason: str

    @staticmethod
    def resolve_course(obj: Enrolment) -> int:
        return obj.course_id

    @staticmethod
    def resolve_prison_number(obj: Enrolment) -> str:
        return obj.prisoner.prison_number

    @staticmethod
    def resolve_course_class(obj: Enrolment) -> str | None:
        return obj.course_class.name if obj.course_class else None


class EnrolIn(Schema):
    prison_number: str
    course_class: str | None = Field(None, description="The class's name (none: in-cell only)")
    accept_clashes: bool = False


class WithdrawIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


@router.get("/courses", response={200: list[CourseOut]})
def list_courses(request: HttpRequest) -> QuerySet[Course]:
    """Courses at your establishments (education staff), newest first."""
    user = caller(request)
    found: QuerySet[Course] = courses_with_counts(
        Course.objects.for_user(user, Action.TEACH)
    ).prefetch_related("sites")
    return found


@router.get("/courses/{course_id}", response={200: CourseOut, **NOT_FOUND})
def get_course(request: HttpRequest, course_id: int) -> Course:
    user = caller(request)
    found: Course = get_object_or_404(
        courses_with_counts(Course.objects.for_user(user, Action.TEACH)), pk=course_id
    )
    return found


@router.post("/courses/{course_id}/enrolments", response={201: EnrolmentOut, **REFUSED, **INVALID})
def enrol(request: HttpRequest, course_id: int, body: EnrolIn) -> Status[Any]:
    """Enrol a learner: the course's sites and books open to them in its dates and hours."""
    user = caller(request)
    course = get_object_or_404(Course.objects.for_user(user, Action.MANAGE_LEARNING), pk=course_id)
    learner = get_object_or_404(
        Prisoner.objects.for_user(user, Action.MANAGE_LEARNING),
        prison_number=body.prison_number.strip().upper(),
    )
    chosen = None
    if body.course_class:
        chosen = course.classes.filter(name=body.course_class).first()
        if chosen is None:
            raise HttpError(422, f"course_class: the course has no class {body.course_class!r}")
    try:
        enrolment = do_enrol_learner(
            course,
            learner,
            course_class=chosen,
            accept_clashes=body.accept_clashes,
            actor=Actor.of_user(user),
        )
    except LearningError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, enrolment)


@router.post(
    "/enrolments/{enrolment_id}/withdraw", response={200: EnrolmentOut, **REFUSED, **INVALID}
)
def withdraw(request: HttpRequest, enrolment_id: int, body: WithdrawIn) -> Enrolment:
    """Withdraw a learner: the course's sites and books close to them at once."""
    user = caller(request)
    found = get_object_or_404(
        Enrolment.objects.for_user(user, Action.MANAGE_LEARNING).select_related(
            "prisoner", "course_class", "course"
        ),
        pk=enrolment_id,
    )
    if not may_at(user, Action.MANAGE_LEARNING, found.course.establishment_id):
        raise Http404("No such enrolment")
    try:
        done = do_withdraw_learner(found, reason=body.reason, actor=Actor.of_user(user))
    except LearningError as exc:
        raise HttpError(422, str(exc)) from exc
    return done


@router.get("/prisoners/{prison_number}/learning", response={200: dict[str, Any], **NOT_FOUND})
def record(request: HttpRequest, prison_number: str) -> dict[str, Any]:
    """A learner's record: every course, unit outcome, attendance and time online."""
    user = caller(request)
    prisoner = get_object_or_404(
        Prisoner.objects.for_user(user, Action.VIEW).select_related("establishment"),
        prison_number=prison_number.strip().upper(),
    )
    plain: dict[str, Any] = _plain(dataclasses.asdict(learner_record(prisoner)))
    return plain


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

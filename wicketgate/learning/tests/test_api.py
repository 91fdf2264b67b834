"""Courses, enrolments and learner records over the API: scoped (another establishment's
course or learner is a 404), refusals named, the record as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wicketgate.accounts.actions import do_create_staff_user
from wicketgate.accounts.roles import StaffRole
from wicketgate.api.tests.helpers import TokenClient, token_for
from wicketgate.learning.tests.conftest import FROZEN
from wicketgate.learning.tests.data import a_course, an_enrolment
from wicketgate.testing.personas import SETUP, Estate

pytestmark = [pytest.mark.django_db, FROZEN]


def teacher(estate: Estate, where: str = "a", role: str = StaffRole.EDUCATION) -> TokenClient:
    user = do_create_staff_user(
        f"teacher.{where}.{role}",
        password="x" * 20,
        roles=[(getattr(estate, where), role)],
        actor=SETUP,
        check_password=False,
    )
    return TokenClient(token_for(user))


def post(client: TokenClient, path: str, body: dict[str, object]) -> tuple[int, dict[str, Any]]:
    response = client.post(path, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_education_staff_see_their_establishments_courses_only(estate: Estate) -> None:
    course = a_course(estate)
    listed = teacher(estate).get("/api/v1/courses").json()
    assert [c["title"] for c in listed] == [course.title]
    assert listed[0]["policy_id"] == f"course:{course.pk}"
    outsider = teacher(estate, "b")
    assert outsider.get("/api/v1/courses").json() == []
    assert outsider.get(f"/api/v1/courses/{course.pk}").status_code == 404


def test_enrolment_and_withdrawal_over_the_api(estate: Estate) -> None:
    course = a_course(estate)
    client = teacher(estate)
    status, body = post(
        client, f"/api/v1/courses/{course.pk}/enrolments", {"prison_number": "a1234bc"}
    )
    assert status == 201, body
    assert (body["prison_number"], body["status"]) == ("A1234BC", "enrolled")
    status, again = post(
        client, f"/api/v1/courses/{course.pk}/enrolments", {"prison_number": "A1234BC"}
    )
    assert status == 422 and "already on this course" in again["detail"]
    status, done = post(
        client, f"/api/v1/enrolments/{body['id']}/withdraw", {"reason": "Moved to work"}
    )
    assert (status, done["status"], done["end_reason"]) == (200, "withdrawn", "Moved to work")


def test_another_establishments_learner_is_a_404(estate: Estate) -> None:
    course = a_course(estate)
    status, _body = post(
        teacher(estate), f"/api/v1/courses/{course.pk}/enrolments", {"prison_number": "B2345CD"}
    )
    assert status == 404


def test_a_wing_officer_may_not_enrol(estate: Estate) -> None:
    course = a_course(estate)
    status, _body = post(
        teacher(estate, role=StaffRole.WING_OFFICER),
        f"/api/v1/courses/{course.pk}/enrolments",
        {"prison_number": "A1234BC"},
    )
    assert status == 404


def test_the_learner_record_as_json(estate: Estate) -> None:
    enrolment = an_enrolment(estate)
    record = teacher(estate).get("/api/v1/prisoners/A1234BC/learning").json()
    assert record["prison_number"] == "A1234BC"
    [course] = record["courses"]
    assert (course["course_id"], course["status"]) == (enrolment.course_id, "enrolled")
    assert teacher(estate, "b").get("/api/v1/prisoners/A1234BC/learning").status_code == 404

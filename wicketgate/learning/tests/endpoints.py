"""The learning app's staff pages and forms for the persona suite
(wicketgate/tests/test_access.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.utils import timezone

from wicketgate.accounts.roles import Action, StaffRole
from wicketgate.learning.books import do_add_book
from wicketgate.learning.models import Book
from wicketgate.learning.tests.data import a_class, a_course, an_enrolment
from wicketgate.learning.timetable import recent_sessions
from wicketgate.learning.zim import html_page, make_zim
from wicketgate.policy.models import Category
from wicketgate.testing.endpoints import PROFILE, Endpoint
from wicketgate.testing.personas import SETUP, Estate

LEARNER = f"{PROFILE}learning/"


def _teach(name: str, method: str, build: Any, status: int = 200, **kw: Any) -> Endpoint:
    return Endpoint(
        name, method, build, status, role=StaffRole.EDUCATION, action=Action.TEACH, **kw
    )


def _manage(name: str, method: str, build: Any, status: int = 200, **kw: Any) -> Endpoint:
    return Endpoint(
        name,
        method,
        build,
        status,
        role=StaffRole.EDUCATION,
        action=Action.MANAGE_LEARNING,
        **kw,
    )


def _course(estate: Estate) -> str:
    return f"/staff/learning/courses/{a_course(estate).pk}/"


def _session(estate: Estate) -> str:
    course_class = a_class(estate)
    an_enrolment(estate)
    return timezone.localtime(recent_sessions(course_class)[0]).isoformat()


def _register(estate: Estate) -> tuple[str, dict[str, Any]]:
    enrolment = an_enrolment(estate)
    url = f"/staff/learning/classes/{enrolment.course_class_id}/register"
    return url, {"session": _session(estate), f"status_{enrolment.pk}": "present"}


def _course_change(estate: Estate) -> tuple[str, dict[str, Any]]:
    course = a_course(estate)
    return f"{_course(estate)}change", {
        "title": course.title,
        "provider": "Novus",
        "subject": "EDS",
        "level": "E3",
        "mode": "blended",
        "starts_on_day": course.starts_on.day,
        "starts_on_month": course.starts_on.month,
        "starts_on_year": course.starts_on.year,
        "ends_on_day": course.ends_on.day,
        "ends_on_month": course.ends_on.month,
        "ends_on_year": course.ends_on.year,
        "capacity": 12,
    }


def _new_course(estate: Estate) -> tuple[str, dict[str, Any]]:
    url, data = _course_change(estate)
    return "/staff/learning/courses/new", {**data, "title": "Functional Maths", "units": ""}


def _zim(estate: Estate) -> tuple[str, dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix="wg-zim-"))
    path = make_zim(
        folder / "reading-for-pleasure.zim",
        title="Reading for pleasure",
        pages={"index": html_page("Reading", "<p>Stories.</p>")},
    )
    return "/staff/learning/library/add", {
        "file": path.open("rb"),
        "category": "EDUCATION",
        "reason": "For the reading group",
    }


def _a_book(estate: Estate) -> int:
    found = Book.objects.filter(removed_at__isnull=True).first()
    if found is not None:
        return found.pk
    folder = Path(tempfile.mkdtemp(prefix="wg-zim-"))
    path = make_zim(
        folder / "gardening.zim",
        title="Gardening",
        pages={"index": html_page("Gardening", "<p>Seeds.</p>")},
    )
    Category.objects.get_or_create(code="EDUCATION", defaults={"name": "Education"})
    return do_add_book(path, filename=path.name, category="EDUCATION", actor=SETUP).pk


ENDPOINTS = [
    _teach("library", "get", lambda e: ("/staff/learning/library/", {}), scoped=False),
    _manage("add a book", "post", _zim, 302, scoped=False),
    # The library is the estate's: removing a book needs approving policy as well.
    Endpoint(
        "remove a book",
        "post",
        lambda e: (f"/staff/learning/library/{_a_book(e)}/remove", {"reason": "Out of date"}),
        302,
        scoped=False,
        role=StaffRole.GOVERNOR,
        action=Action.APPROVE_POLICY,
    ),
    _teach("courses", "get", lambda e: ("/staff/learning/courses/", {}), scoped=False),
    _teach("course", "get", lambda e: (_course(e), {})),
    _manage(
        "set up a course page", "get", lambda e: ("/staff/learning/courses/new", {}), scoped=False
    ),
    _manage(
        "set up a course",
        "post",
        _new_course,
        302,
        scoped=False,
    ),
    _manage("change a course page", "get", lambda e: (f"{_course(e)}change", {})),
    _manage("change a course", "post", _course_change, 302),
    _manage("cancel a course page", "get", lambda e: (f"{_course(e)}cancel", {})),
    _manage(
        "cancel a course", "post", lambda e: (f"{_course(e)}cancel", {"reason": "No tutor"}), 302
    ),
    _manage("add a class page", "get", lambda e: (f"{_course(e)}classes/new", {})),
    _manage(
        "add a class",
        "post",
        lambda e: (
            f"{_course(e)}classes/new",
            {
                "name": "Tuesday group",
                "tutor": str(a_class(e).tutor_id),
                "location": str(a_class(e).location_id),
                "timetable": "Tue 09:00-11:00",
            },
        ),
        302,
    ),
    _manage("enrol a learner page", "get", lambda e: (f"{_course(e)}enrol", {})),
    _manage(
        "enrol a learner",
        "post",
        lambda e: (f"{_course(e)}enrol", {"prison_number": "A1234BC"}),
        302,
    ),
    _manage(
        "withdraw a learner page",
        "get",
        lambda e: (f"/staff/learning/enrolments/{an_enrolment(e).pk}/withdraw", {}),
    ),
    _manage(
        "withdraw a learner",
        "post",
        lambda e: (
            f"/staff/learning/enrolments/{an_enrolment(e).pk}/withdraw",
            {"reason": "Moved to work"},
        ),
        302,
    ),
    _manage(
        "complete an enrolment",
        "post",
        lambda e: (f"/staff/learning/enrolments/{an_enrolment(e).pk}/complete", {}),
        302,
    ),
    _teach(
        "progress",
        "get",
        lambda e: (f"/staff/learning/enrolments/{an_enrolment(e).pk}/progress", {}),
    ),
    _teach(
        "record an outcome",
        "post",
        lambda e: (
            f"/staff/learning/enrolments/{an_enrolment(e).pk}/progress",
            {"unit": str(a_course(e).units.get(code="EDS1").pk), "outcome": "achieved"},
        ),
        302,
    ),
    _teach(
        "register",
        "get",
        lambda e: (f"/staff/learning/classes/{a_class(e).pk}/register", {}),
    ),
    _teach("mark a register", "post", _register, 302),
    Endpoint("learner record", "get", lambda e: (LEARNER, {})),
    _teach("learner record pdf", "get", lambda e: (f"{LEARNER}record.pdf", {}), recorded=True),
    _teach("learner credential", "get", lambda e: (f"{LEARNER}credential.json", {}), recorded=True),
    _manage(
        "learner subject access copy",
        "get",
        lambda e: (f"{LEARNER}subject-access.json", {}),
        recorded=True,
    ),
]

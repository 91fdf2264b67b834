"""The learning pages through Django's test client: what staff and learners see, the
downloads, the upload of a book, and the record moving with the learner on transfer."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from django.test import Client

from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.learning.actions import Mark, do_mark_register, do_record_unit_result
from wicketgate.learning.credential import verify_credential
from wicketgate.learning.models import Book, Enrolment
from wicketgate.learning.tests.conftest import FROZEN
from wicketgate.learning.tests.data import a_class, a_course, an_enrolment
from wicketgate.learning.timetable import recent_sessions
from wicketgate.learning.zim import html_page, make_zim
from wicketgate.people.actions import do_transfer_prisoner
from wicketgate.policy.models import Category, PolicyProposal
from wicketgate.testing.personas import SETUP, Estate, staff_client

# The course's dates and sessions are reckoned from "now": held at one moment.
pytestmark = [pytest.mark.django_db, FROZEN]

LEARNER = "/staff/prisoners/A1234BC/learning/"


@pytest.fixture
def tutor_a(estate: Estate) -> Client:
    return staff_client(estate, "edu.a", StaffRole.EDUCATION)


@pytest.fixture
def tutor_b(estate: Estate) -> Client:
    return staff_client(estate, "edu.b", StaffRole.EDUCATION, where="b")


def _progress(estate: Estate) -> Enrolment:
    enrolment = an_enrolment(estate)
    course_class = a_class(estate)
    session = recent_sessions(course_class)[0]
    do_mark_register(course_class, session, [Mark(enrolment, "present")], actor=SETUP)
    unit = enrolment.course.units.get(code="EDS1")
    do_record_unit_result(enrolment, unit, outcome="achieved", actor=SETUP)
    return enrolment


def test_the_course_page_lists_its_classes_learners_and_grant(
    estate: Estate, tutor_a: Client
) -> None:
    enrolment = an_enrolment(estate)
    page = tutor_a.get(f"/staff/learning/courses/{enrolment.course_id}/").content.decode()
    assert "Everyday group" in page and "Alan" in page
    assert f"course:{enrolment.course_id}" in page


def test_another_establishments_tutor_gets_a_404(estate: Estate, tutor_b: Client) -> None:
    course = a_course(estate)
    assert tutor_b.get(f"/staff/learning/courses/{course.pk}/").status_code == 404
    assert tutor_b.get("/staff/learning/courses/").content.decode().count(course.title) == 0


def test_enrolling_names_the_clash_and_needs_it_accepted(estate: Estate, tutor_a: Client) -> None:
    an_enrolment(estate)  # Everyday group, all week
    course = a_course(estate)
    other = course.__class__.objects.create(
        establishment=estate.a,
        title="Cookery",
        provider="Novus",
        level="E2",
        subject="OTHER",
        mode="classroom",
        starts_on=course.starts_on,
        ends_on=course.ends_on,
        capacity=4,
        created_by="test",
    )
    other_class = other.classes.create(
        name="Kitchen", tutor=a_class(estate).tutor, location=a_class(estate).location,
        timetable="Tue 10:00-12:00",
    )  # fmt: skip
    response = tutor_a.post(
        f"/staff/learning/courses/{other.pk}/enrol",
        {"prison_number": "A1234BC", "course_class": str(other_class.pk)},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "clashes with Essential Digital Skills (Everyday group) on Tue 10:00–12:00" in page
    response = tutor_a.post(
        f"/staff/learning/courses/{other.pk}/enrol",
        {"prison_number": "A1234BC", "course_class": str(other_class.pk), "accept_clashes": "on"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="learning.enrolment.enrol").latest("seq")
    assert event.details["clashes"] == [
        "Essential Digital Skills (Everyday group) on Tue 10:00–12:00"
    ]


def test_the_record_pdf_and_the_signed_credential(estate: Estate, tutor_a: Client) -> None:
    _progress(estate)
    pdf = tutor_a.get(f"{LEARNER}record.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pypdfium2.PdfDocument(pdf.content)[0].get_textpage().get_text_range()
    assert "Essential Digital Skills" in text and "Achieved" in text
    assert "A1234BC" not in text
    credential = json.loads(tutor_a.get(f"{LEARNER}credential.json").content)
    checked = verify_credential(credential)
    assert checked.valid, checked.problems
    assert credential["issuer"]["name"] == "HMP Northgate"
    actions = set(
        AuditEvent.objects.filter(action__startswith="learning.record.").values_list(
            "action", flat=True
        )
    )
    assert actions == {"learning.record.pdf", "learning.record.credential"}


def test_the_subject_access_copy_holds_the_register_and_results(
    estate: Estate, tutor_a: Client
) -> None:
    _progress(estate)
    copy = json.loads(tutor_a.get(f"{LEARNER}subject-access.json").content)
    assert copy["learner"]["prison_number"] == "A1234BC"
    assert [m["status"] for m in copy["attendance"]] == ["present"]
    assert [r["unit"] for r in copy["results"]] == ["EDS1"]
    assert {"learning.enrolment.enrol", "learning.result.record"} <= {
        e["action"] for e in copy["events"]
    }


def test_the_record_moves_with_the_learner_on_transfer(
    estate: Estate, tutor_a: Client, tutor_b: Client
) -> None:
    _progress(estate)
    assert tutor_a.get(LEARNER).status_code == 200
    assert tutor_b.get(LEARNER).status_code == 404
    do_transfer_prisoner(estate.prisoner_a, estate.b, actor=SETUP)
    assert tutor_a.get(LEARNER).status_code == 404
    assert tutor_a.get(f"{LEARNER}record.pdf").status_code == 404
    page = tutor_b.get(LEARNER).content.decode()
    assert "Essential Digital Skills" in page and "Left on transfer" in page
    # Issued now by the establishment the learner is at.
    credential = json.loads(tutor_b.get(f"{LEARNER}credential.json").content)
    assert credential["issuer"]["name"] == "HMP Riverside"
    assert [c["takenAt"] for c in credential["credentialSubject"]["courses"]] == ["HMP Northgate"]


def test_the_learner_sees_their_courses_and_progress(
    estate: Estate, client_prisoner: Client
) -> None:
    _progress(estate)
    page = client_prisoner.get("/portal/learning/").content.decode()
    assert "Essential Digital Skills" in page
    assert "Using devices: Achieved" in page
    assert "1 attended, 0 missed, 0 excluded" in page


def test_staff_upload_a_book_and_a_second_person_approves_its_entry(
    estate: Estate, tutor_a: Client, tmp_path: Path
) -> None:
    Category.objects.get_or_create(code="EDUCATION", defaults={"name": "Education"})
    path = make_zim(
        tmp_path / "Reading Group.zim",
        title="Reading group",
        pages={"index": html_page("Reading", "<p>Stories.</p>")},
    )
    with path.open("rb") as handle:
        response = tutor_a.post(
            "/staff/learning/library/add",
            {"file": handle, "category": "EDUCATION", "reason": "For the reading group"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    book = Book.objects.get()
    assert (book.name, book.site) == ("reading-group", None)  # waiting for a second person
    proposal = PolicyProposal.objects.get()
    assert proposal.payload["paths"] == ["/reading-group/"]
    assert proposal.payload["internal"] is True


def test_a_file_that_is_not_a_zim_is_refused_and_nothing_is_kept(
    estate: Estate, tutor_a: Client
) -> None:
    Category.objects.get_or_create(code="EDUCATION", defaults={"name": "Education"})
    fake = io.BytesIO(b"<html>not a book</html>")
    fake.name = "book.zim"
    response = tutor_a.post(
        "/staff/learning/library/add",
        {"file": fake, "category": "EDUCATION", "reason": "Test"},
    )
    assert response.status_code == 400
    assert "not a ZIM file" in response.content.decode()
    assert not Book.objects.exists() and not PolicyProposal.objects.exists()


def test_time_online_counts_the_minutes_the_course_grant_let_requests_through(
    estate: Estate,
) -> None:
    import datetime as dt

    import time_machine

    from wicketgate.audit.log import Actor, record_event
    from wicketgate.learning.queries import minutes_online

    enrolment = an_enrolment(estate)
    alan = Actor("prisoner", "A1234BC", "A1234BC")
    # At the start of a minute, so that the first two requests share it.
    start = (enrolment.enrolled_at + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    grant = f"course:{enrolment.course_id}"
    for seconds, outcome, rules in (
        (0, "success", [grant]),
        (20, "success", [grant, "rule:estate:learning"]),  # the same minute
        (130, "success", [grant]),  # another minute
        (200, "denied", [grant]),  # refused: no time online
        (260, "success", ["rule:estate:learning"]),  # not the course's grant
        (320, "success", [f"{grant}0"]),  # another course whose id starts the same
    ):
        with time_machine.travel(start + dt.timedelta(seconds=seconds), tick=False):
            record_event(
                "gateway.request",
                actor=alan,
                subject=estate.prisoner_a,
                outcome=outcome,
                details={"rules": rules},
            )
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        assert minutes_online(estate.prisoner_a.pk, [enrolment]) == {enrolment.pk: 2}


def test_removing_a_book_closes_it_in_a_running_engine(
    estate: Estate, tmp_path: Path, load_policy: Any
) -> None:
    from wicketgate.learning.books import do_add_book, do_remove_book
    from wicketgate.learning.library import configured
    from wicketgate.policy.engine import Engine

    load_policy("rules:\n  - {id: all-learning, allow: [EDUCATION]}\n")
    path = make_zim(
        tmp_path / "maths.zim", title="Maths", pages={"index": html_page("Maths", "<p>1</p>")}
    )
    book = do_add_book(path, filename=path.name, category="EDUCATION", actor=SETUP)
    setup = configured()
    url = f"http://{setup.host}:{setup.listen_port}/maths/A/index"
    engine = Engine(refresh_every=0)
    assert engine.decide("A1234BC", url).allowed
    do_remove_book(book, reason="Out of date", actor=SETUP)
    decision = engine.decide("A1234BC", url)
    assert (decision.allowed, decision.rules) == (False, ("catalogue:not-listed",))
    assert not (Path(setup.folder) / "books" / "maths.zim").exists()


def test_an_upload_past_the_limit_or_of_two_files_is_refused_and_nothing_is_left(
    estate: Estate, tutor_a: Client, settings: Any, tmp_path: Path
) -> None:
    Category.objects.get_or_create(code="EDUCATION", defaults={"name": "Education"})
    settings.WICKETGATE_LIBRARY_MAX_UPLOAD_MB = 1
    big = io.BytesIO(b"\0" * (1 << 20) + b"more")
    big.name = "big.zim"
    small = make_zim(
        tmp_path / "small.zim", title="Small", pages={"index": html_page("S", "<p>s</p>")}
    )
    response = tutor_a.post(
        "/staff/learning/library/add", {"file": big, "category": "EDUCATION", "reason": "Test"}
    )
    assert response.status_code == 400
    assert "too big to upload" in response.content.decode()
    # Two files in one request: refused before the view (DATA_UPLOAD_MAX_NUMBER_FILES).
    response = tutor_a.post(
        "/staff/learning/library/add",
        {"file": small.open("rb"), "other": small.open("rb"), "category": "EDUCATION"},
    )
    assert response.status_code == 400
    assert not Book.objects.exists()
    uploads = Path(settings.WICKETGATE_LIBRARY_DIR) / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())

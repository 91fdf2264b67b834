"""The learner record's PDF: what an employer sees, and what it must never show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pypdfium2

from wicketgate.learning.record import CourseRecord, LearnerRecord, UnitResult
from wicketgate.learning.record_pdf import render_pdf

PRISON_NUMBER = "A1234BC"
# A fixed place a person can open the rendering at after a run; nothing reads it back.
# Set WICKETGATE_LOOK_AT to a folder to keep the rendered page there and look at it.
LOOK_AT = os.environ.get("WICKETGATE_LOOK_AT", "")


def unit(n: int, outcome: str = "achieved", label: str = "Achieved") -> UnitResult:
    return UnitResult(
        code=f"FSM-{n:02d}",
        title=f"Using numbers, part {n}: fractions, decimals and percentages",
        outcome=outcome,
        outcome_label=label,
        recorded_on=dt.date(2024, 11, 1) + dt.timedelta(days=n),
        recorded_by="J. Tutor",
    )


def course(**changes: Any) -> CourseRecord:
    base = CourseRecord(
        course_id=1,
        title="Functional Skills Maths",
        provider="Novus Learning",
        level="L1",
        level_label="Level 1",
        subject="FS_MATHS",
        subject_label="Functional skills Maths",
        mode_label="Classroom",
        establishment_code="NGT",
        establishment_name="HMP Northgate",
        starts_on=dt.date(2024, 9, 2),
        ends_on=dt.date(2025, 1, 31),
        status="completed",
        status_label="Completed",
        enrolled_on=dt.date(2024, 9, 2),
        left_on=dt.date(2025, 1, 31),
        units=(
            unit(1),
            unit(2, "partially", "Partially achieved"),
            unit(3, "not_yet", "Not yet achieved"),
        ),
        sessions_present=38,
        sessions_absent=3,
        sessions_excluded=1,
        minutes_online=605,
    )
    return dataclasses.replace(base, **changes)


def learner(*courses: CourseRecord) -> LearnerRecord:
    return LearnerRecord(
        prison_number=PRISON_NUMBER,
        given_name="Sam",
        family_name="Okafor",
        date_of_birth=dt.date(1990, 5, 17),
        issued_by_code="NGT",
        issued_by_name="HMP Northgate",
        issued_on=dt.date(2025, 3, 14),
        courses=courses,
    )


def two_courses() -> LearnerRecord:
    return learner(
        course(),
        course(
            course_id=2,
            title="Construction skills: health, safety and environment awareness",
            provider="CITB",
            level="L2",
            level_label="Level 2",
            subject="CONSTR",
            subject_label="Construction",
            mode_label="Blended",
            status="enrolled",
            status_label="Enrolled",
            starts_on=dt.date(2025, 2, 3),
            ends_on=dt.date(2025, 6, 27),
            enrolled_on=dt.date(2025, 2, 3),
            left_on=None,
            units=(unit(4), unit(5, "not_yet", "Not yet achieved")),
            sessions_present=12,
            sessions_absent=0,
            sessions_excluded=0,
            minutes_online=45,
        ),
    )


def pages_text(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return [str(document[i].get_textpage().get_text_range()) for i in range(len(document))]


def test_it_renders_a_record_an_employer_can_read(tmp_path: Path) -> None:
    pdf = render_pdf(two_courses())

    assert pdf.startswith(b"%PDF-")
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=1.5).to_pil()
    image.save(tmp_path / "learning-record.png")
    if LOOK_AT:
        Path(LOOK_AT).mkdir(parents=True, exist_ok=True)
        image.save(Path(LOOK_AT) / "learning-record.png")
    assert image.width > 800

    first = pages_text(pdf)[0]
    for expected in (
        "Learning record",
        "Sam Okafor",
        "17 May 1990",
        "Issued by",
        "HMP Northgate",
        "14 March 2025",
        "Functional Skills Maths",
        "Novus Learning",
        "Level 1",
        "Functional skills Maths",
        "Classroom",
        "2 September 2024 to 31 January 2025",
        "Completed (31 January 2025)",
        "Partially achieved",
        "Not yet achieved",
        "FSM-01",
        "Sessions",
        "38 present, 3 absent, 1 excluded",
        "10 hours 5 minutes",
        "Page 1 of",
        "wicketgate learning verify",
    ):
        assert expected in first, expected


def test_it_never_shows_the_prison_number() -> None:
    pdf = render_pdf(two_courses())

    assert all(PRISON_NUMBER not in text for text in pages_text(pdf))
    assert PRISON_NUMBER.encode() not in pdf  # nor in the metadata


def test_it_says_when_there_are_no_courses() -> None:
    text = pages_text(render_pdf(learner()))

    assert len(text) == 1
    assert "No courses recorded." in text[0]
    assert "Page 1 of 1" in text[0]


def test_it_says_when_a_course_has_no_units() -> None:
    text = pages_text(render_pdf(learner(course(units=()))))

    assert "No units recorded." in text[0]


def test_a_long_record_runs_onto_more_pages_each_with_its_footer() -> None:
    record = learner(course(units=tuple(unit(n) for n in range(1, 41))))

    text = pages_text(render_pdf(record))

    assert len(text) >= 2
    for number, page in enumerate(text, start=1):
        assert f"Page {number} of {len(text)}" in page
        assert "wicketgate learning verify" in page
    assert "FSM-01" in text[0]  # a long course starts where it is, not on a fresh page
    assert "FSM-40" in text[-1]
    # A later page still says whose record and which course it is.
    assert "Sam Okafor" in text[1]
    assert "Units of Functional Skills Maths" in text[1]


def test_markup_characters_print_as_written() -> None:
    record = learner(
        course(
            title="Maths <1> & more",
            provider="Smith & Sons <Training>",
            units=(dataclasses.replace(unit(1), title="Less <than> & greater"),),
        )
    )

    text = pages_text(render_pdf(record))[0]

    assert "Maths <1> & more" in text
    assert "Smith & Sons <Training>" in text
    assert "Less <than> & greater" in text
    assert "&amp;" not in text


def test_long_titles_wrap_inside_the_page() -> None:
    long_title = " ".join(["Introduction to site safety and environment awareness"] * 6)
    unbroken = "X" * 120  # no space to break at (a provider's name is at most 120)
    record = learner(
        course(
            title=long_title,
            provider=unbroken,
            units=(dataclasses.replace(unit(1), title=long_title, code=unbroken),),
        )
    )

    document = pypdfium2.PdfDocument(render_pdf(record))

    margin = 56  # points: the page's 20 mm margins
    for page in document:
        width = page.get_width()
        textpage = page.get_textpage()
        for index in range(textpage.count_chars()):
            left, _bottom, right, _top = textpage.get_charbox(index)
            if right > left:  # a real glyph, not a generated line break
                assert margin <= left and right <= width - margin, (index, left, right)


def test_the_same_record_gives_the_same_bytes() -> None:
    assert render_pdf(two_courses()) == render_pdf(two_courses())

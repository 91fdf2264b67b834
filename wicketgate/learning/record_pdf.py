"""The learner record as an A4 PDF a person leaving prison can show an employer.

It names the learner and the issuing establishment but never the prison number: a
person should not have to disclose a prison record at a glance. Every page carries its
number and how to check the signed digital copy (``credential``). The same record
always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from wicketgate.learning.record import CourseRecord, LearnerRecord

TITLE = "Learning record"
VERIFY_NOTE = "A signed digital copy of this record can be checked with \u201cwicketgate learning verify\u201d."

MARGIN = 20 * mm
BOTTOM_MARGIN = MARGIN + 6 * mm  # room for the footer
FRAME_PADDING = 6  # reportlab's default inside every frame
FRAME_HEIGHT = A4[1] - MARGIN - BOTTOM_MARGIN - 2 * FRAME_PADDING
LEFT = MARGIN + FRAME_PADDING
RIGHT = A4[0] - MARGIN - FRAME_PADDING
WIDTH = RIGHT - LEFT
FOOTER_Y = 12 * mm
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
RULE = colors.HexColor("#cbd2d9")
SHADE = colors.HexColor("#f0f4f8")

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def render_pdf(record: LearnerRecord) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=TITLE,
        author=record.issued_by_name,
        subject="",
        creator="Wicketgate",
        invariant=1,
    )
    document.build(_story(record), canvasmaker=_numbered_canvas(record.full_name))
    return buffer.getvalue()


# --- the content ---------------------------------------------------------------------


def _style(name: str, **overrides: Any) -> ParagraphStyle:
    base: dict[str, Any] = {
        "fontName": "Helvetica",
        "fontSize": 10,
        "leading": 13,
        "textColor": INK,
    }
    return ParagraphStyle(name, **(base | overrides))


BODY = _style("body")
SMALL = _style("small", fontSize=9, leading=11.5)
LABEL = _style("label", fontSize=9, leading=11.5, textColor=MUTED)
TITLE_STYLE = _style("title", fontName="Helvetica-Bold", fontSize=22, leading=27, spaceAfter=4 * mm)
HEADING = _style("heading", fontName="Helvetica-Bold", fontSize=13, leading=16, spaceBefore=2 * mm)
COURSE_TITLE = _style(
    "course", fontName="Helvetica-Bold", fontSize=12, leading=15, spaceBefore=5 * mm
)
TABLE_HEAD = _style("head", fontName="Helvetica-Bold", fontSize=9, leading=11.5)


def _story(record: LearnerRecord) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(TITLE, TITLE_STYLE),
        _facts(
            [
                [("Name", record.full_name)],
                [("Date of birth", _date(record.date_of_birth))],
                [("Issued by", record.issued_by_name)],
                [("Issued on", _date(record.issued_on))],
            ],
            widths=[32 * mm, WIDTH - 32 * mm],
            value_style=_style("person", fontSize=11, leading=14),
        ),
        Spacer(0, 6 * mm),
        Paragraph("Courses", HEADING),
    ]
    if not record.courses:
        story.append(Paragraph("No courses recorded.", BODY))
    for course in record.courses:
        story.extend(_course(course))
    return story


def _course(course: CourseRecord) -> list[Flowable]:
    head = [
        Paragraph(_text(course.title), COURSE_TITLE),
        _facts(
            [
                [("Provider", course.provider)],
                [("Level", course.level_label), ("Subject", course.subject_label)],
                [("Mode", course.mode_label), ("Status", _status(course))],
                [
                    ("Dates", f"{_date(course.starts_on)} to {_date(course.ends_on)}"),
                    ("Enrolled on", _date(course.enrolled_on)),
                ],
                [
                    (
                        "Sessions",
                        f"{course.sessions_present} present, {course.sessions_absent} absent, "
                        f"{course.sessions_excluded} excluded",
                    ),
                    ("Time online", _duration(course.minutes_online)),
                ],
            ],
            # The left values are the longer ones ("2 September 2024 to 31 January 2025").
            widths=[22 * mm, 68 * mm, 22 * mm, WIDTH - 112 * mm],
        ),
        Spacer(0, 2 * mm),
    ]
    units = _units(course) if course.units else Paragraph("No units recorded.", SMALL)
    # A course that fits on a page is kept whole; a longer one starts only where its title
    # and facts have the first units under them, never alone at the foot of a page.
    # (KeepTogether alone would start even a long one on a fresh page.)
    if _height([*head, units]) <= FRAME_HEIGHT:
        return [KeepTogether([*head, units])]
    return [CondPageBreak(_height(head) + 30 * mm), *head, units]


def _height(parts: list[Flowable]) -> float:
    return float(sum(part.wrap(WIDTH, A4[1])[1] + part.getSpaceBefore() for part in parts))


def _facts(
    rows: list[list[tuple[str, str]]],
    *,
    widths: list[float],
    value_style: ParagraphStyle = BODY,
) -> Table:
    """Label and value pairs, as many to a row as ``widths`` has room for (label width,
    value width, …); a row with fewer lets its last value run to the right edge."""
    columns = len(widths) // 2
    cells: list[list[Flowable | str]] = []
    spans = []
    for y, row in enumerate(rows):
        line: list[Flowable | str] = []
        for label, value in row:
            line += [Paragraph(_text(label), LABEL), Paragraph(_text(value), value_style)]
        if len(row) < columns:
            spans.append(("SPAN", (len(line) - 1, y), (-1, y)))
            line += [""] * (2 * columns - len(line))
        cells.append(line)
    table = Table(cells, colWidths=widths, hAlign="LEFT")
    table.setStyle(TableStyle(spans))
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _units(course: CourseRecord) -> Table:
    widths = [26 * mm, WIDTH - 26 * mm - 36 * mm - 32 * mm, 36 * mm, 32 * mm]
    # The caption repeats with the header on every page the table runs onto, so a unit
    # on a later page still says which course it belongs to.
    caption = Paragraph(f"Units of {_text(course.title)}", LABEL)
    rows: list[list[Flowable | str]] = [
        [caption, "", "", ""],
        [Paragraph(name, TABLE_HEAD) for name in ("Unit", "Title", "Outcome", "Recorded")],
    ]
    rows.extend(
        [
            Paragraph(_text(unit.code), SMALL),
            Paragraph(_text(unit.title), SMALL),
            Paragraph(_text(unit.outcome_label), SMALL),
            Paragraph(_date(unit.recorded_on), SMALL),
        ]
        for unit in course.units
    )
    table = Table(rows, colWidths=widths, repeatRows=2, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 1), (-1, 1), SHADE),
                ("LINEBELOW", (0, 1), (-1, 1), 0.75, MUTED),
                ("LINEBELOW", (0, 2), (-1, -1), 0.25, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


# --- every page ----------------------------------------------------------------------


def _numbered_canvas(learner: str) -> Callable[..., Canvas]:
    """A canvas that holds its pages until the end, so each footer can say "of M"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                _decorate(self, number, total, learner)
                super().showPage()
            super().save()

    return NumberedCanvas


def _decorate(canvas: Canvas, number: int, total: int, learner: str) -> None:
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT, FOOTER_Y + 4.5 * mm, RIGHT, FOOTER_Y + 4.5 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont("Helvetica", 8)
    page = f"Page {number} of {total}"
    canvas.drawRightString(RIGHT, FOOTER_Y, page)
    room = WIDTH - stringWidth(page, "Helvetica", 8) - 6 * mm
    canvas.drawString(LEFT, FOOTER_Y, _fit(VERIFY_NOTE, room, 8))
    if number > 1:
        # A loose later page still says whose record it is.
        canvas.drawString(LEFT, A4[1] - 12 * mm, _fit(f"{TITLE}: {learner}", WIDTH, 8))
    canvas.restoreState()


def _fit(text: str, width: float, size: float) -> str:
    """``text`` cut short with an ellipsis where it would run past ``width``."""
    if stringWidth(text, "Helvetica", size) <= width:
        return text
    while text and stringWidth(text + "…", "Helvetica", size) > width:
        text = text[:-1]
    return text + "…"


# --- words ---------------------------------------------------------------------------


def _text(value: str) -> str:
    """Plain text for Paragraph markup: "Maths <1> & more" prints as written."""
    return escape(value)


def _date(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _status(course: CourseRecord) -> str:
    if course.left_on is None:
        return course.status_label
    return f"{course.status_label} ({_date(course.left_on)})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _duration(minutes: int) -> str:
    hours, rest = divmod(max(minutes, 0), 60)
    if not hours:
        return _count(rest, "minute")
    if not rest:
        return _count(hours, "hour")
    return f"{_count(hours, 'hour')} {_count(rest, 'minute')}"

"""Reading a prisoners CSV file into checked rows (nothing is written here).

Columns, exactly these and no others, in any order::

    prison_number,given_name,family_name,date_of_birth,establishment,location,
    category,incentive_level,legal_status,alerts

Every row is checked before any is written; each problem is reported as
``FILE:ROW: column: problem`` where ROW is the line number in the file (the header is 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from wicketgate.estate.codes import INCENTIVE_ORDER
from wicketgate.lib.importing import ImportRejected, Problem
from wicketgate.people.codes import PRISON_NUMBER_PATTERN, LegalStatus, parse_category

COLUMNS = [
    "prison_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "establishment",
    "location",
    "category",
    "incentive_level",
    "legal_status",
    "alerts",
]

# The age of criminal responsibility in England and Wales.
MINIMUM_AGE = 10
MAXIMUM_AGE = 120


@dataclass(frozen=True)
class PrisonerRow:
    line: int
    prison_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    establishment: str
    location: str | None
    category: str
    incentive_level: str
    legal_status: str
    alerts: tuple[str, ...]


@dataclass(frozen=True)
class ReferenceData:
    """What rows are checked against: establishments, their locations, alert codes."""

    establishments: set[str]
    locations: dict[str, str]  # location code -> establishment code
    alert_codes: set[str]


def read_prisoners(
    path: Path, reference: ReferenceData, progress: Callable[[int], None] | None = None
) -> list[PrisonerRow]:
    """Parse and check every row of ``path``; raise :class:`ImportRejected` with all problems."""
    name = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ImportRejected(
            [Problem(name, "0", "(file)", f"cannot read it: {exc.strerror}")]
        ) from exc
    with handle:
        try:
            return _read(name, csv.reader(handle), reference, progress)
        except UnicodeDecodeError as exc:
            raise ImportRejected([Problem(name, "0", "(file)", "is not UTF-8 text")]) from exc
        except csv.Error as exc:
            raise ImportRejected(
                [Problem(name, "0", "(file)", f"is not valid CSV: {exc}")]
            ) from exc


def _read(
    name: str,
    reader: Iterator[list[str]],
    reference: ReferenceData,
    progress: Callable[[int], None] | None,
) -> list[PrisonerRow]:
    header = next(reader, None)
    if header is None:
        raise ImportRejected(
            [Problem(name, "1", "(header)", "the file is empty; expected a header row")]
        )
    header = [column.strip() for column in header]
    header_problems = _check_header(name, header)
    if header_problems:
        raise ImportRejected(header_problems)
    problems: list[Problem] = []
    rows: list[PrisonerRow] = []
    first_line: dict[str, int] = {}
    today = timezone.localdate()
    for index, values in enumerate(reader):
        line = index + 2
        if progress is not None:
            progress(1)
        if not any(value.strip() for value in values):
            continue  # a blank line is not a row
        if len(values) != len(header):
            problems.append(
                Problem(
                    name,
                    str(line),
                    "(row)",
                    f"has {len(values)} fields; the header has {len(header)}",
                )
            )
            continue
        record = {column: value.strip() for column, value in zip(header, values, strict=True)}
        row, row_problems = _check_row(name, line, record, reference, today)
        problems.extend(row_problems)
        if row is not None:
            if row.prison_number in first_line:
                problems.append(
                    Problem(
                        name,
                        str(line),
                        "prison_number",
                        f"{row.prison_number} already appears on line {first_line[row.prison_number]}",
                    )
                )
            else:
                first_line[row.prison_number] = line
                rows.append(row)
    if problems:
        raise ImportRejected(problems)
    return rows


def _check_header(name: str, header: list[str]) -> list[Problem]:
    problems = []
    for column in header:
        if column not in COLUMNS:
            problems.append(
                Problem(
                    name,
                    "1",
                    column or "(blank)",
                    "unknown column; expected only " + ",".join(COLUMNS),
                )
            )
    duplicates = {column for column in header if header.count(column) > 1}
    for column in sorted(duplicates):
        problems.append(Problem(name, "1", column, "appears more than once in the header"))
    for column in COLUMNS:
        if column not in header:
            problems.append(Problem(name, "1", column, "missing column"))
    return problems


_PRISON_NUMBER = re.compile(PRISON_NUMBER_PATTERN)


def _check_row(  # noqa: C901 - every column's check in the order of the file's columns, read as one table
    name: str, line: int, record: dict[str, str], reference: ReferenceData, today: dt.date
) -> tuple[PrisonerRow | None, list[Problem]]:
    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(name, str(line), column, message))

    prison_number = record["prison_number"].upper()
    if not _PRISON_NUMBER.match(prison_number):
        problem("prison_number", f"{record['prison_number']!r} is not a prison number like A1234BC")
    for column in ("given_name", "family_name"):
        if not record[column]:
            problem(column, "is empty")
        elif len(record[column]) > 100:
            problem(column, "is longer than 100 characters")
    date_of_birth = None
    try:
        date_of_birth = dt.date.fromisoformat(record["date_of_birth"])
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["date_of_birth"]):
            raise ValueError
    except ValueError:
        problem("date_of_birth", f"{record['date_of_birth']!r} is not a date as YYYY-MM-DD")
        date_of_birth = None
    if date_of_birth is not None:
        age = (
            today.year
            - date_of_birth.year
            - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))
        )
        if date_of_birth > today:
            problem("date_of_birth", f"{date_of_birth} is in the future")
        elif age < MINIMUM_AGE:
            problem(
                "date_of_birth",
                f"{date_of_birth} makes them {age}; nobody under {MINIMUM_AGE} is held",
            )
        elif age > MAXIMUM_AGE:
            problem("date_of_birth", f"{date_of_birth} makes them {age}, which cannot be right")
    establishment = record["establishment"].upper()
    if establishment not in reference.establishments:
        problem("establishment", f"no establishment {record['establishment']!r}")
    location = record["location"].upper() or None
    if location is not None:
        owner = reference.locations.get(location)
        if owner is None:
            problem("location", f"no location {record['location']!r}")
        elif establishment in reference.establishments and owner != establishment:
            problem("location", f"{location} is in {owner}, not {establishment}")
    category = ""
    try:
        category = parse_category(record["category"])
    except ValueError:
        problem(
            "category",
            f"{record['category']!r} is not a security category name (C, A_HIGH, …) or letter (I, …)",
        )
    incentive_level = record["incentive_level"].upper()
    if incentive_level not in INCENTIVE_ORDER:
        problem(
            "incentive_level",
            f"{record['incentive_level']!r} is not one of {'/'.join(INCENTIVE_ORDER)}",
        )
    legal_status = record["legal_status"].upper()
    if legal_status not in LegalStatus.values:
        problem(
            "legal_status",
            f"{record['legal_status']!r} is not one of {', '.join(LegalStatus.values)}",
        )
    alerts = tuple(
        sorted({code.strip().upper() for code in record["alerts"].split(";") if code.strip()})
    )
    unknown = [code for code in alerts if code not in reference.alert_codes]
    if unknown:
        problem("alerts", f"unknown alert code(s): {', '.join(unknown)}")
    if problems or date_of_birth is None:
        return None, problems
    return (
        PrisonerRow(
            line=line,
            prison_number=prison_number,
            given_name=record["given_name"],
            family_name=record["family_name"],
            date_of_birth=date_of_birth,
            establishment=establishment,
            location=location,
            category=category,
            incentive_level=incentive_level,
            legal_status=legal_status,
            alerts=alerts,
        ),
        problems,
    )


def reference_data() -> ReferenceData:
    """What the prisoners import checks rows against, as the database holds it now."""
    from wicketgate.estate.models import Establishment, Location
    from wicketgate.people.models import AlertCode

    return ReferenceData(
        establishments=set(Establishment.objects.values_list("code", flat=True)),
        locations=dict(Location.objects.values_list("code", "establishment__code")),
        alert_codes=set(AlertCode.objects.filter(active=True).values_list("code", flat=True)),
    )

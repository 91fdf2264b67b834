"""CSV the product writes cannot carry a formula into a spreadsheet (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from wicketgate.lib import csvsafe


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (
            '=HYPERLINK("http://evil.example","Click")',
            '\'=HYPERLINK("http://evil.example","Click")',
        ),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Alan Ashdown", "Alan Ashdown"),
        ("a=b", "a=b"),
        ("'=already", "''=already"),
        ("'quoted", "'quoted"),
        ("", ""),
    ],
)
def test_it_neutralises_text_that_starts_like_a_formula(cell: str, written: str) -> None:
    assert csvsafe.safe_cell(cell) == written
    assert csvsafe.original_cell(written) == cell


def test_it_leaves_numbers_and_none_as_they_are() -> None:
    assert [csvsafe.safe_cell(v) for v in (-5, 1.5, None)] == [-5, 1.5, None]


def test_its_writer_writes_every_row_through_it() -> None:
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(["name", "note"])
    writer.writerows([["=1+1", "-1"], ["ok", 7]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "note"],
        ["'=1+1", "'-1"],
        ["ok", "7"],
    ]


def test_no_code_writes_csv_without_it() -> None:
    """Every CSV writer in the product goes through wicketgate.lib.csvsafe."""
    root = Path(__file__).resolve().parents[1]
    raw = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts
        and path.name != "csvsafe.py"
        and raw.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []

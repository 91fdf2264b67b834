"""CSV that a spreadsheet will not run: every writer of CSV in the product goes through here.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is taken for a formula when the file is
opened — ``=HYPERLINK(...)`` in a name typed by a family member, say. Following OWASP's
advice on CSV injection, such a cell gets a leading ``'``, which spreadsheets read as
"this is text" (and show without it). Only text is changed: numbers are written as
numbers. To get the original text back, drop one ``'`` from a cell that starts with
``'``s and then one of those characters (:func:`original_cell`).

``defusedcsv`` does the same as a drop-in for the csv module, but is not among the
project's dependencies, and this is all of it we need.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with a ``'`` before it if it is text a spreadsheet would run."""
    # Quotes already in front count too, so that original_cell can always undo it.
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def original_cell(text: str) -> str:
    """The text :func:`safe_cell` was given, from what it wrote."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **options: Any) -> SafeWriter:
    """Use instead of ``csv.writer``."""
    return SafeWriter(out, **options)

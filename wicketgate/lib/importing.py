"""What every import shares: problems that name their place, and a count of what changed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, at a place a person can find."""

    file: str
    where: str  # a row number for CSV, an entry path for YAML
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.where}: {self.field}: {self.message}"


class ImportRejected(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was written")


@dataclass
class ImportSummary:
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def line(self, order: list[str]) -> str:
        return ", ".join(f"{self.counts.get(key, 0)} {key}" for key in order)


def pydantic_problems(file: str, where_prefix: str, error: ValidationError) -> list[Problem]:
    """Turn a pydantic error into problems naming the entry path and field."""
    problems = []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        field_name = location[-1] if location else "(entry)"
        steps = (f"[{part}]" if part.isdigit() else f".{part}" for part in location[:-1])
        path = (where_prefix + "".join(steps)).lstrip(".")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "is required"
        problems.append(Problem(file, path or "(top)", field_name, message))
    return problems

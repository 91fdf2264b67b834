"""What every import shares: problems that name their place, and a count of what changed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError


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


FileModel = TypeVar("FileModel", bound=BaseModel)


def read_yaml_file(path: Path, model: type[FileModel], *, expected: str) -> FileModel:
    """Load a YAML file and check its shape with ``model``; every problem names its place.

    ``expected`` says what the top of the file should be, for a file that is not a
    mapping at all. Cross-checks against the database are the caller's.
    """
    name = str(path)
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportRejected(
            [Problem(name, "(file)", "(file)", f"cannot read it: {exc.strerror}")]
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise ImportRejected([Problem(name, where, "(yaml)", f"not valid YAML: {exc}")]) from exc
    if not isinstance(raw, dict):
        raise ImportRejected([Problem(name, "(top)", "(file)", f"expected {expected}")])
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ImportRejected(pydantic_problems(name, "", exc)) from exc

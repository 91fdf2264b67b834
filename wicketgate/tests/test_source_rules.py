"""Rules for the source itself: every suppression of a lint or type check names what it
suppresses (``# noqa: S603``, ``# type: ignore[arg-type]``, never a bare one) and says why
(``# noqa: S603 - it runs the tools it names``).

The checker reads comments with ``tokenize``, so a string that merely contains such text is
not a suppression. The samples below spell their comments with ``HASH`` all the same, so
that a plain search of the source for suppressions does not find them either.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # wicketgate/tests/ -> the repository
SCANNED = ("wicketgate", "benchmarks", "scripts")

# A suppression inside a comment: Ruff's ``noqa`` (for a line, or with ``ruff:`` for the
# whole file) or mypy's ``type: ignore``, with the codes it names if it names any.
DIRECTIVE = re.compile(
    r"#\s*(?:(?:ruff|flake8)\s*:\s*)?(?P<noqa>(?i:noqa))"
    r"(?:\s*:\s*(?P<rules>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?"
    r"|#\s*(?P<ignore>type\s*:\s*ignore)(?:\[(?P<codes>[^\]]*)\])?"
)
WORD = re.compile(r"[A-Za-z]{3,}")  # a reason has at least one word


@dataclass(frozen=True)
class Suppression:
    line: int
    text: str  # the whole comment
    codes: tuple[str, ...]
    reason: str  # what follows the codes, up to the next suppression in the comment


def suppressions(source: str) -> Iterator[Suppression]:
    """Every noqa and type: ignore in the comments of ``source``."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        found = list(DIRECTIVE.finditer(token.string))
        for n, match in enumerate(found):
            named = match["rules"] if match["noqa"] else match["codes"]
            codes = tuple(code for code in re.split(r"[\s,]+", named or "") if code)
            end = found[n + 1].start() if n + 1 < len(found) else len(token.string)
            yield Suppression(token.start[0], token.string, codes, token.string[match.end() : end])


def without_codes(source: str) -> list[Suppression]:
    """A bare ``noqa`` silences every rule, a bare ``type: ignore`` every error."""
    return [found for found in suppressions(source) if not found.codes]


def without_reason(source: str) -> list[Suppression]:
    return [found for found in suppressions(source) if not WORD.search(found.reason)]


def scan(
    root: Path, folders: tuple[str, ...], rule: Callable[[str], list[Suppression]]
) -> tuple[int, list[str]]:
    """How many files were read, and ``path:line: comment`` for each breach of ``rule``."""
    files = sorted(path for folder in folders for path in (root / folder).rglob("*.py"))
    breaches = [
        f"{path.relative_to(root)}:{found.line}: {found.text}"
        for path in files
        for found in rule(path.read_text(encoding="utf-8"))
    ]
    return len(files), breaches


# --- the repository ----------------------------------------------------------------------


@pytest.mark.parametrize("rule", [without_codes, without_reason])
def test_every_suppression_in_the_source_names_its_codes_and_says_why(
    rule: Callable[[str], list[Suppression]],
) -> None:
    read, breaches = scan(ROOT, SCANNED, rule)
    assert read > 100, f"only {read} files under {ROOT}: is that the repository?"
    assert not breaches, "\n".join([f"{rule.__name__}:", *breaches])


def test_the_scan_sees_the_suppressions_there_are() -> None:
    # Guards against a checker that passes because it finds nothing at all.
    found = [
        s for path in (ROOT / "wicketgate").rglob("*.py") for s in suppressions(path.read_text())
    ]
    assert sum(1 for s in found if "noqa" in s.text) > 10
    assert any("type: ignore" in s.text for s in found)


# --- the checker -------------------------------------------------------------------------

HASH = "#"


def lines_of(found: list[Suppression]) -> list[int]:
    return [s.line for s in found]


@pytest.mark.parametrize(
    "comment",
    [
        f"{HASH} noqa: S603 - it runs the tools it names",
        f"{HASH} noqa: S603, S607 -- runs its own tools",
        f"{HASH} type: ignore[attr-defined]  {HASH} prefetched",
        f"{HASH} type: ignore[arg-type, misc]  {HASH} deliberately no socket",
        f"{HASH} ruff: noqa: S311 - benchmark data, not secrets",
    ],
)
def test_a_suppression_with_codes_and_a_reason_passes(comment: str) -> None:
    source = f"x = 1  {comment}\n"
    assert len(list(suppressions(source))) == 1
    assert without_codes(source) == [] and without_reason(source) == []


@pytest.mark.parametrize(
    "comment",
    [
        f"{HASH} noqa: E731",
        f"{HASH} noqa: E731 -",
        f"{HASH} noqa: S603, S607",
        f"{HASH} NOQA: E731  ok",  # two letters are no reason
        f"{HASH} type: ignore[attr-defined]",
        f"{HASH}type:ignore[index]  {HASH}",
        f"{HASH} ruff: noqa: S311",
    ],
)
def test_a_suppression_without_a_reason_is_found(comment: str) -> None:
    source = f"import os\n\nx = 1  {comment}\ny = 2\n"
    assert lines_of(without_reason(source)) == [3]
    assert without_codes(source) == []


@pytest.mark.parametrize(
    "comment",
    [
        f"{HASH} noqa",
        f"{HASH} noqa - the whole line, whatever it is",
        f"{HASH} noqa: - nothing named",
        f"{HASH} type: ignore",
        f"{HASH} type: ignore  {HASH} stubs are wrong",
        f"{HASH} type: ignore[]  {HASH} nothing named",
        f"{HASH} ruff: noqa",
    ],
)
def test_a_suppression_naming_no_codes_is_found(comment: str) -> None:
    source = f"def f() -> None:\n    pass  {comment}\n"
    assert lines_of(without_codes(source)) == [2]


def test_each_suppression_of_a_comment_needs_its_own_reason() -> None:
    source = f"x = y  {HASH} type: ignore[name-defined]  {HASH} noqa: F821 - undefined on purpose\n"
    [first, second] = suppressions(source)
    assert (first.codes, second.codes) == (("name-defined",), ("F821",))
    assert without_reason(source) == [first]


def test_text_in_a_string_is_not_a_suppression() -> None:
    source = f'x = "{HASH} noqa"\ny = """\n{HASH} type: ignore\n"""\n'
    assert list(suppressions(source)) == []


def test_the_scan_lists_every_breach_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "app" / "sub").mkdir(parents=True)
    (tmp_path / "app" / "good.py").write_text(f"x = 1  {HASH} noqa: E731 - a reason\n")
    (tmp_path / "app" / "sub" / "bad.py").write_text(
        f"a = 1\nb = 2  {HASH} noqa: E731\nc = 3  {HASH} type: ignore[misc]  {HASH} why not\n"
        f"d = 4  {HASH} type: ignore[misc]\n"
    )
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "bad.py").write_text(f"e = 5  {HASH} noqa\n")
    read, breaches = scan(tmp_path, ("app",), without_reason)
    assert read == 2
    assert breaches == [
        f"app/sub/bad.py:2: {HASH} noqa: E731",
        f"app/sub/bad.py:4: {HASH} type: ignore[misc]",
    ]
    assert scan(tmp_path, ("app", "other"), without_codes)[1] == [f"other/bad.py:1: {HASH} noqa"]

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wicketgate.audit.models import AuditEvent
from wicketgate.cli import main
from wicketgate.estate.models import Establishment, Location

GOOD = """
establishments:
  - code: NGT
    name: HMP Northgate
    kind: local
    youth: false
    kiosks: 4
    locations:
      - {code: NGT-A, kind: WING, name: A wing}
      - {code: NGT-A-1-01, kind: CELL, parent: NGT-A}
      - {code: NGT-EDU, kind: EDUCATION}
      - {code: NGT-VS, kind: VIDEO_SUITE}
  - code: WBK
    name: HMYOI Westbrook
    kind: yoi
    youth: true
    incentive_levels: [BAS, STD, ENH, EN2]
"""


def run(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "estate.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "establishments", str(path)])
    return result.exit_code, result.output.replace(str(path), "FILE")


def test_it_creates_establishments_and_their_location_tree(db: None, tmp_path: Path) -> None:
    code, output = run(tmp_path, GOOD)
    assert code == 0, output
    assert "2 establishments created" in output and "4 locations created" in output
    cell = Location.objects.get(code="NGT-A-1-01")
    assert cell.parent is not None
    assert (cell.parent.code, cell.establishment.code, cell.secure_area) == ("NGT-A", "NGT", False)
    assert (
        Location.objects.get(code="NGT-VS").secure_area is True
    )  # video suites are secure by default
    westbrook = Establishment.objects.get(code="WBK")
    assert (westbrook.youth, westbrook.offered_levels) == (True, ["BAS", "STD", "ENH", "EN2"])
    assert AuditEvent.objects.filter(action="estate.establishment.created").count() == 2


def test_an_establishment_in_wales_is_marked_with_its_welsh_name(db: None, tmp_path: Path) -> None:
    code, output = run(
        tmp_path,
        GOOD.replace(
            "youth: true", "youth: true\n    in_wales: true\n    welsh_name: SYT Coed y Gorllewin"
        ),
    )
    assert code == 0, output
    westbrook, northgate = (Establishment.objects.get(code=c) for c in ("WBK", "NGT"))
    assert (westbrook.in_wales, westbrook.welsh_name) == (True, "SYT Coed y Gorllewin")
    assert (northgate.in_wales, northgate.welsh_name) == (False, "")
    code, output = run(tmp_path, GOOD.replace("youth: true", "youth: true\n    in_wales: maybe"))
    assert code == 1 and "in_wales" in output


def test_it_is_idempotent_and_reports_updates(db: None, tmp_path: Path) -> None:
    run(tmp_path, GOOD)
    code, output = run(tmp_path, GOOD)
    assert (
        "0 establishments created, 0 establishments updated, 2 establishments unchanged" in output
    )
    code, output = run(tmp_path, GOOD.replace("kiosks: 4", "kiosks: 6"))
    assert code == 0 and "1 establishments updated" in output
    assert Establishment.objects.get(code="NGT").kiosks == 6


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("kind: local", "kind: castle"), "FILE:establishments[0]: kind: Input should be"),
        (
            ("code: NGT\n", "code: ngt\n"),
            "FILE:establishments[0]: code: String should match pattern",
        ),
        (
            ("youth: false", "youth: false\n    moat: true"),
            "FILE:establishments[0]: moat: unknown key",
        ),
        (("    name: HMP Northgate\n", ""), "FILE:establishments[0]: name: is required"),
        (
            ("kind: WING, name: A wing", "kind: TOWER"),
            "FILE:establishments[0].locations[0]: kind: Input should be",
        ),
        (
            ("parent: NGT-A}", "parent: NGT-Z}"),
            "FILE:establishments[0].locations[1]: parent: no location NGT-Z",
        ),
        (
            (
                "{code: NGT-EDU, kind: EDUCATION}",
                "{code: NGT-EDU, kind: EDUCATION, parent: NGT-A-1-01}",
            ),
            "FILE:establishments[0].locations[2]: parent: a EDUCATION cannot sit inside a CELL",
        ),
        (
            (
                "{code: NGT-A, kind: WING, name: A wing}",
                "{code: NGT-A, kind: WING, parent: NGT-EDU}",
            ),
            "FILE:establishments[0].locations[0]: parent: a WING cannot sit inside a EDUCATION",
        ),
        (
            ("{code: NGT-VS, kind: VIDEO_SUITE}", "{code: NGT-EDU, kind: VIDEO_SUITE}"),
            "FILE:establishments[0].locations[3]: code: NGT-EDU appears twice in this file",
        ),
        (
            ("[BAS, STD, ENH, EN2]", "[STD, ENH, EN2]"),
            "FILE:establishments[1]: incentive_levels: BAS, STD and ENH are always offered; add BAS",
        ),
        (
            ("kiosks: 4", "kiosks: -1"),
            "FILE:establishments[0]: kiosks: Input should be greater than or equal to 0",
        ),
        (
            ("kiosks: 4", "features: {teleport: true}"),
            "FILE:establishments[0]: features: unknown feature flag(s) teleport",
        ),
        (
            ("code: WBK", "code: NGT"),
            "FILE:establishments[1]: code: NGT appears twice in this file",
        ),
    ],
)
def test_it_names_the_entry_and_field_of_each_problem_and_writes_nothing(
    db: None, tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    events = AuditEvent.objects.count()
    code, output = run(tmp_path, GOOD.replace(*change))
    assert code == 1
    assert expected in output, output
    assert "nothing was written" in output
    assert not Establishment.objects.exists() and not Location.objects.exists()
    assert AuditEvent.objects.count() == events


def test_it_refuses_to_take_a_location_from_another_establishment(db: None, tmp_path: Path) -> None:
    run(tmp_path, GOOD)
    code, output = run(
        tmp_path,
        GOOD.replace("{code: NGT-EDU, kind: EDUCATION}", "{code: NGT-A, kind: WING}").replace(
            "code: NGT\n", "code: NGA\n"
        ),
    )
    assert code == 1
    assert "code: NGT-A already belongs to NGT" in output


def test_it_explains_broken_yaml(db: None, tmp_path: Path) -> None:
    code, output = run(tmp_path, "establishments: [\n  - code: NGT")
    assert code == 1 and "FILE:line" in output and "not valid YAML" in output


def test_it_explains_a_missing_file(db: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["import", "establishments", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "cannot read it" in result.output

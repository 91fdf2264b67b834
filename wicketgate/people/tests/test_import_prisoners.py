from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wicketgate.audit.models import AuditEvent
from wicketgate.cli import main
from wicketgate.estate.models import Establishment
from wicketgate.lib.importing import ImportRejected
from wicketgate.people.actions import do_import_prisoners
from wicketgate.people.imports import COLUMNS, read_prisoners, reference_data
from wicketgate.people.models import IncentiveReview, Movement, Prisoner
from wicketgate.testing.personas import SETUP, Estate

HEADER = ",".join(COLUMNS)
GOOD = "C3456DE,Carys,Jones,1992-03-04,NGT,NGT-A-1-01,C,STD,REMAND,"
GOOD_2 = "D4567EF,Dewi,Evans,1980-12-31,RVS,RVS-H-01,B,EN2,SENTENCED,CYBER;ESCAPE"


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "prisoners.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def problems_for(path: Path) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        read_prisoners(path, reference_data())
    return [str(problem) for problem in caught.value.problems]


def run_import(path: Path) -> dict[str, int]:
    rows = read_prisoners(path, reference_data())
    return dict(do_import_prisoners(rows, actor=SETUP, file_name=str(path)).counts)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("prison_number", "1234ABC", "is not a prison number like A1234BC"),
        ("prison_number", "A12345B", "is not a prison number like A1234BC"),
        ("given_name", "", "is empty"),
        ("family_name", "", "is empty"),
        ("family_name", "x" * 101, "longer than 100"),
        ("date_of_birth", "04/03/1992", "is not a date as YYYY-MM-DD"),
        ("date_of_birth", "1992-02-30", "is not a date as YYYY-MM-DD"),
        ("date_of_birth", "2999-01-01", "is in the future"),
        ("date_of_birth", "2024-01-01", "nobody under 10 is held"),
        ("establishment", "ZZZ", "no establishment 'ZZZ'"),
        ("location", "NGT-Z-9-99", "no location 'NGT-Z-9-99'"),
        ("location", "RVS-H-01", "RVS-H-01 is in RVS, not NGT"),
        ("category", "Z", "is not a security category"),
        ("incentive_level", "GOLD", "is not one of BAS/STD/ENH/EN2/EN3"),
        ("legal_status", "ON_HOLIDAY", "is not one of REMAND"),
        ("alerts", "CYBER;NOPE", "unknown alert code(s): NOPE"),
    ],
)
def test_it_names_the_file_row_and_column_of_each_bad_value(
    estate: Estate, tmp_path: Path, column: str, value: str, message: str
) -> None:
    values = GOOD.split(",")
    values[COLUMNS.index(column)] = value
    path = write(tmp_path, GOOD_2, ",".join(values))
    problems = problems_for(path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:3: {column}: ")
    assert message in problems[0]


def test_it_reports_every_bad_row_not_just_the_first(estate: Estate, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("C3456DE", "bad"), GOOD_2.replace("RVS,", "XX,", 1))
    problems = problems_for(path)
    assert [p.split(": ")[0] for p in problems] == [f"{path}:2", f"{path}:3"]


def test_it_rejects_an_extra_column(estate: Estate, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + ",x", header=HEADER + ",nickname")
    assert problems_for(path) == [
        f"{path}:1: nickname: unknown column; expected only {HEADER}",
    ]


def test_it_rejects_a_missing_column(estate: Estate, tmp_path: Path) -> None:
    header = HEADER.replace(",alerts", "")
    path = write(tmp_path, GOOD.rsplit(",", 1)[0], header=header)
    assert problems_for(path) == [f"{path}:1: alerts: missing column"]


def test_it_accepts_the_columns_in_any_order(estate: Estate, tmp_path: Path) -> None:
    columns = list(reversed(COLUMNS))
    values = list(reversed(GOOD.split(",")))
    path = write(tmp_path, ",".join(values), header=",".join(columns))
    assert run_import(path) == {"created": 1}


def test_it_rejects_a_row_with_the_wrong_number_of_fields(estate: Estate, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + ",extra")
    assert problems_for(path) == [f"{path}:2: (row): has 11 fields; the header has 10"]


def test_it_rejects_the_same_prison_number_twice(estate: Estate, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, GOOD.replace("Carys", "Ceri"))
    assert problems_for(path) == [f"{path}:3: prison_number: C3456DE already appears on line 2"]


def test_it_rejects_an_empty_file(estate: Estate, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert problems_for(path) == [f"{path}:1: (header): the file is empty; expected a header row"]


def test_it_rejects_a_file_that_is_not_utf8(estate: Estate, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\n" + GOOD.replace("Carys", "Siân")).encode("latin-1"))
    assert problems_for(path) == [f"{path}:0: (file): is not UTF-8 text"]


def test_it_writes_nothing_when_any_row_is_bad(estate: Estate, tmp_path: Path) -> None:
    before = (Prisoner.objects.count(), AuditEvent.objects.count(), Movement.objects.count())
    path = write(
        tmp_path, GOOD, GOOD_2, GOOD_2.replace("D4567EF", "E5678FG").replace("SENTENCED", "X")
    )
    result = CliRunner().invoke(main, ["import", "prisoners", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4: legal_status: 'X' is not one of" in result.output
    assert "nothing was written" in result.output
    assert (
        Prisoner.objects.count(),
        AuditEvent.objects.count(),
        Movement.objects.count(),
    ) == before


def test_it_refuses_a_level_the_establishment_does_not_offer(
    estate: Estate, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD.replace(",STD,", ",EN2,"))
    rows = read_prisoners(path, reference_data())
    with pytest.raises(ImportRejected) as caught:
        do_import_prisoners(rows, actor=SETUP, file_name=str(path))
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2: incentive_level: EN2 is not offered at NGT (BAS, STD, ENH)"
    ]
    assert not Prisoner.objects.filter(prison_number="C3456DE").exists()


def test_it_creates_prisoners_with_their_history_and_counts_them(
    estate: Estate, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD, GOOD_2)
    result = CliRunner().invoke(main, ["import", "prisoners", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 transferred, 0 unchanged" in result.output
    dewi = Prisoner.objects.get(prison_number="D4567EF")
    assert dewi.security_category == "B"
    assert sorted(a.code.code for a in dewi.active_alerts()) == ["CYBER", "ESCAPE"]
    assert dewi.movements.get().kind == Movement.Kind.ARRIVAL
    assert dewi.incentive_reviews.get().reason == IncentiveReview.Reason.ARRIVAL
    assert AuditEvent.objects.filter(
        action="people.prisoner.create", subject_id=str(dewi.pk)
    ).exists()


def test_it_accepts_one_letter_category_codes(estate: Estate, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace(",C,", ",H,"))
    run_import(path)
    assert Prisoner.objects.get(prison_number="C3456DE").security_category == "A_HIGH"


def test_it_is_idempotent(estate: Estate, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, GOOD_2)
    assert run_import(path) == {"created": 2}
    events = AuditEvent.objects.count()
    assert run_import(path) == {"unchanged": 2}
    # Only the import's own summary event is new.
    assert AuditEvent.objects.count() == events + 1


def test_it_updates_changed_details_moves_and_alerts(estate: Estate, tmp_path: Path) -> None:
    run_import(write(tmp_path, GOOD))
    changed = (
        GOOD.replace("Jones", "Jones-Price")
        .replace("NGT-A-1-01", "")
        .replace(",STD,REMAND,", ",ENH,REMAND,ACCT")
    )
    assert run_import(write(tmp_path, changed)) == {"updated": 1}
    carys = Prisoner.objects.get(prison_number="C3456DE")
    assert (carys.family_name, carys.location, carys.incentive_level) == (
        "Jones-Price",
        None,
        "ENH",
    )
    assert [a.code.code for a in carys.active_alerts()] == ["ACCT"]
    moved = carys.movements.first()
    assert moved is not None and moved.kind == Movement.Kind.MOVE
    assert run_import(write(tmp_path, changed.replace("ACCT", ""))) == {"updated": 1}
    assert not carys.active_alerts().exists()


def test_it_treats_a_new_establishment_as_a_transfer_and_keeps_the_level_on_offer(
    estate: Estate, tmp_path: Path
) -> None:
    # Alan is on ENH at NGT; RVS offers ENH, so he keeps it.
    row = "A1234BC,Alan,Ashdown,1990-05-17,RVS,RVS-H-01,B,ENH,SENTENCED,"
    assert run_import(write(tmp_path, row)) == {"transferred": 1}
    alan = Prisoner.objects.get(prison_number="A1234BC")
    assert alan.location is not None
    assert (alan.establishment.code, alan.location.code, alan.incentive_level) == (
        "RVS",
        "RVS-H-01",
        "ENH",
    )
    transfer = alan.movements.get(kind=Movement.Kind.TRANSFER)
    assert transfer.from_establishment is not None and transfer.to_establishment is not None
    assert (transfer.from_establishment.code, transfer.to_establishment.code) == ("NGT", "RVS")
    assert AuditEvent.objects.filter(
        action="people.prisoner.transfer", establishment=estate.a
    ).exists()
    assert AuditEvent.objects.filter(
        action="people.prisoner.transfer", establishment=estate.b
    ).exists()


def test_it_moves_a_transferred_prisoner_to_the_default_when_nothing_at_or_above_is_offered(
    estate: Estate, tmp_path: Path
) -> None:
    # Bilal arrives from RVS on EN2; NGT offers nothing at or above EN2, so its default.
    Prisoner.objects.filter(pk=estate.prisoner_b.pk).update(incentive_level="EN2")
    Establishment.objects.filter(pk=estate.a.pk).update(default_incentive_level="STD")
    row = "B2345CD,Bilal,Brookes,1985-01-02,NGT,,C,EN2,SENTENCED,"
    assert run_import(write(tmp_path, row)) == {"transferred": 1}
    bilal = Prisoner.objects.get(prison_number="B2345CD")
    assert bilal.incentive_level == "STD"
    review = bilal.incentive_reviews.first()
    assert review is not None
    assert (review.reason, review.previous_level, review.level) == ("transfer", "EN2", "STD")

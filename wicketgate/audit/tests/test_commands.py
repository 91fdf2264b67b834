"""`wicketgate audit …` and the periodic checkpoint, as operators and the worker use them."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection
from django.utils import timezone

from wicketgate.audit import guards
from wicketgate.audit.log import Actor, checkpoint_due, record_event, sign_checkpoint
from wicketgate.audit.models import AuditCheckpoint, AuditEvent
from wicketgate.audit.tasks import sign_checkpoint_when_due
from wicketgate.cli import main
from wicketgate.lib import csvsafe

ME = Actor.system("test")


def test_verify_exits_0_when_intact_and_1_naming_the_first_bad_event(db: Any) -> None:
    for n in range(5):
        record_event("test.event", actor=ME, details={"n": n})
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 0 and result.output.startswith("intact: 5 events"), result.output
    guards.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'test.other' WHERE seq = 4")
    guards.install(connection)
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "NOT intact: event 4: modified" in result.output


def test_verify_checks_checkpoints_against_a_given_public_key(db: Any, tmp_path: Path) -> None:
    record_event("test.event", actor=ME)
    sign_checkpoint()
    mine = tmp_path / "mine.pem"
    mine.write_text(CliRunner().invoke(main, ["audit", "public-key"]).output)
    assert CliRunner().invoke(main, ["audit", "verify", "--key", str(mine)]).exit_code == 0
    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    result = CliRunner().invoke(main, ["audit", "verify", "--key", str(other)])
    assert result.exit_code == 1 and "checkpoint" in result.output
    not_a_key = tmp_path / "junk.pem"
    not_a_key.write_text("junk")
    result = CliRunner().invoke(main, ["audit", "verify", "--key", str(not_a_key)])
    assert result.exit_code == 1 and "cannot read the public key" in result.output


def test_export_is_itself_recorded_and_carries_a_checkpoint(db: Any) -> None:
    record_event("people.thing", actor=ME, details={"n": 1})
    record_event("other.thing", actor=ME)
    result = CliRunner().invoke(
        main, ["audit", "export", "--action", "people.", "--by", "investigator"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    manifest, events = lines[0], lines[1:]
    assert manifest["exported_by"] == "investigator" and manifest["filters"] == {
        "action": "people."
    }
    assert [e["action"] for e in events] == ["people.thing"]
    checkpoint = AuditCheckpoint.objects.get(seq=manifest["checkpoint"]["seq"])
    assert checkpoint.head_hash == manifest["checkpoint"]["head_hash"]
    recorded = AuditEvent.objects.get(action="audit.export")
    assert recorded.actor_label == "investigator" and recorded.seq == checkpoint.seq


def test_export_csv_writes_the_checkpoint_beside_the_file(db: Any, tmp_path: Path) -> None:
    record_event("people.thing", actor=ME, details={"n": 1})
    out = tmp_path / "export.csv"
    assert (
        CliRunner().invoke(main, ["audit", "export", "--format", "csv", "-o", str(out)]).exit_code
        == 0
    )
    header, *rows = out.read_text().splitlines()
    assert header.startswith("seq,occurred_at,")
    assert len(rows) == 1  # the event; not the export's own, which came after
    assert (
        json.loads((tmp_path / "export.csv.checkpoint.json").read_text())["checkpoint"]["seq"] == 2
    )


def test_export_csv_neutralises_cells_a_spreadsheet_would_run(db: Any, tmp_path: Path) -> None:
    record_event(
        "people.thing",
        actor=Actor("family", "7", '=HYPERLINK("http://evil.example","Click")'),
        details={"note": "-2+3"},
    )
    out = tmp_path / "export.csv"
    CliRunner().invoke(main, ["audit", "export", "--format", "csv", "-o", str(out)])
    with out.open(newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["actor_label"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row["details"] == '{"note":"-2+3"}'  # JSON starts with {: left alone
    event = AuditEvent.objects.get(action="people.thing")
    assert csvsafe.original_cell(row["actor_label"]) == event.actor_label
    assert row["hash"] == event.hash


def test_the_worker_signs_a_checkpoint_only_when_one_is_due(db: Any, settings: Any) -> None:
    settings.WICKETGATE_AUDIT_CHECKPOINT_SECONDS = 300
    assert not checkpoint_due()  # an empty log needs no checkpoint
    record_event("test.event", actor=ME)
    assert checkpoint_due()  # never signed yet
    sign_checkpoint_when_due.call_local()
    assert AuditCheckpoint.objects.count() == 1
    record_event("test.event", actor=ME)
    now = timezone.now()
    assert not checkpoint_due(now + dt.timedelta(seconds=299))
    assert checkpoint_due(now + dt.timedelta(seconds=301))
    sign_checkpoint_when_due.call_local()
    assert AuditCheckpoint.objects.count() == 1  # not yet 300 s since the last one


def test_a_large_batch_chains_exactly_like_single_events(db: Any) -> None:
    from wicketgate.audit.log import COPY_FROM, PendingEvent, append_events
    from wicketgate.audit.signing import private_key
    from wicketgate.audit.verify import verify

    record_event("test.single", actor=ME)
    batch = [
        PendingEvent(
            action="test.batched", actor=ME, occurred_at=timezone.now(), details={"n": n, "ü": "✓"}
        )
        for n in range(COPY_FROM * 2)
    ]
    append_events(batch)
    record_event("test.single", actor=ME)
    report = verify(private_key().public_key())
    assert report.intact, report.problem
    assert report.events == COPY_FROM * 2 + 2
    assert AuditEvent.objects.get(seq=50).details == {"n": 48, "ü": "✓"}

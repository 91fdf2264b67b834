"""Tampering with the log behind the application's back is caught, at the right event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import DatabaseError, connection, transaction

from wicketgate.audit import guards
from wicketgate.audit.chain import chain_hash
from wicketgate.audit.log import Actor, record_event, sign_checkpoint
from wicketgate.audit.models import AuditCheckpoint, AuditEvent
from wicketgate.audit.signing import private_key
from wicketgate.audit.verify import Break, Report, verify

ME = Actor.system("test")


@pytest.fixture
def log(db: Any) -> list[AuditEvent]:
    events = [
        record_event("test.event", actor=ME, details={"n": n, "text": "é ✓"}) for n in range(1, 21)
    ]
    assert [e.seq for e in events] == list(range(1, 21))
    return events


def check() -> Report:
    return verify(private_key().public_key())


def broken() -> Break:
    """The break verification finds; failing the test if it finds none."""
    problem = check().problem
    assert problem is not None, "the log verified intact"
    return problem


def sql(statement: str, params: list[Any] | None = None) -> None:
    """Run raw SQL with the append-only guards lifted, as a database administrator could."""
    guards.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params or [])
    finally:
        guards.install(connection)


def row(seq: int) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent WHERE seq = %s", [seq])
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def head_fields(event: AuditEvent, seq: int) -> list[Any]:
    from wicketgate.audit.chain import canonical_time

    return [
        seq,
        canonical_time(event.occurred_at),
        event.actor_kind,
        event.actor_id,
        event.actor_label,
        event.action,
        event.subject_kind,
        event.subject_id,
        event.subject_label,
        event.establishment_id,
        event.outcome,
    ]


def test_it_verifies_an_untouched_log(log: list[AuditEvent]) -> None:
    sign_checkpoint()
    report = check()
    assert report.intact, report.problem
    assert (report.events, report.head_seq, report.head_hash, report.checkpoints) == (
        20,
        20,
        log[-1].hash,
        1,
    )


def test_it_links_each_event_to_the_one_before(log: list[AuditEvent]) -> None:
    assert log[0].prev_hash == "0" * 64
    assert all(
        later.prev_hash == earlier.hash for earlier, later in zip(log, log[1:], strict=False)
    )


def test_it_catches_an_edited_event(log: list[AuditEvent]) -> None:
    sql("UPDATE audit_auditevent SET details_json = %s WHERE seq = 7", ['{"n":700,"text":"é ✓"}'])
    assert (broken().seq, broken().kind) == (7, "modified")


def test_it_catches_an_edited_actor(log: list[AuditEvent]) -> None:
    sql("UPDATE audit_auditevent SET actor_label = 'someone-else' WHERE seq = 12")
    assert (broken().seq, broken().kind) == (12, "modified")


def test_it_catches_an_edit_whose_hash_was_recomputed(log: list[AuditEvent]) -> None:
    event = log[6]
    forged = chain_hash(event.prev_hash, head_fields(event, 7), '{"n":700}')
    sql(
        "UPDATE audit_auditevent SET details_json = %s, hash = %s WHERE seq = 7",
        ['{"n":700}', forged],
    )
    problem = broken()
    assert (problem.seq, problem.kind) == (7, "modified")
    assert "recomputed" in problem.explanation


def test_it_catches_a_deleted_event(log: list[AuditEvent]) -> None:
    sql("DELETE FROM audit_auditevent WHERE seq = 7")
    assert (broken().seq, broken().kind) == (7, "missing")


def test_it_catches_an_inserted_event(log: list[AuditEvent]) -> None:
    # Make room at 7 by renumbering, then insert a forged event that links to event 6.
    sql("UPDATE audit_auditevent SET seq = seq + 1000 WHERE seq >= 7")
    sql("UPDATE audit_auditevent SET seq = seq - 999 WHERE seq >= 1000")
    template = log[6]
    forged = chain_hash(log[5].hash, head_fields(template, 7), '{"n":"forged"}')
    values = row(8)
    values.update(seq=7, prev_hash=log[5].hash, hash=forged, details_json='{"n":"forged"}')
    columns = ", ".join(values)
    sql(
        f"INSERT INTO audit_auditevent ({columns}) VALUES ({', '.join(['%s'] * len(values))})",
        list(values.values()),
    )
    assert (broken().seq, broken().kind) == (7, "inserted")


def test_it_catches_reordered_events(log: list[AuditEvent]) -> None:
    sql("UPDATE audit_auditevent SET seq = 1007 WHERE seq = 7")
    sql("UPDATE audit_auditevent SET seq = 7 WHERE seq = 8")
    sql("UPDATE audit_auditevent SET seq = 8 WHERE seq = 1007")
    assert (broken().seq, broken().kind) == (7, "reordered")


def test_it_catches_truncation_after_a_checkpoint(log: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(seq__gt=15)  # the checkpoint below vouches for 1..20
    sign_checkpoint()
    sql("DELETE FROM audit_auditevent WHERE seq > 12")
    problem = broken()
    assert (problem.seq, problem.kind) == (13, "truncated")
    assert "checkpoint at event 20" in problem.explanation


def test_it_does_not_notice_truncation_that_no_checkpoint_covers(log: list[AuditEvent]) -> None:
    # Why checkpoints exist: without one, removing the newest events leaves a valid chain.
    sql("DELETE FROM audit_auditevent WHERE seq > 12")
    assert check().intact


def test_it_catches_a_checkpoint_for_a_different_head(log: list[AuditEvent]) -> None:
    checkpoint = sign_checkpoint()
    assert checkpoint is not None
    event = log[-1]
    forged = chain_hash(event.prev_hash, head_fields(event, 20), '{"n":"forged"}')
    sql(
        "UPDATE audit_auditevent SET details_json = %s, hash = %s WHERE seq = 20",
        ['{"n":"forged"}', forged],
    )
    assert (broken().seq, broken().kind) == (20, "modified")


def test_it_catches_an_altered_checkpoint(log: list[AuditEvent]) -> None:
    sign_checkpoint()
    sql("UPDATE audit_auditcheckpoint SET head_hash = %s", [log[10].hash])
    assert broken().kind == "checkpoint"


def test_it_refuses_checkpoints_under_another_key(log: list[AuditEvent]) -> None:
    sign_checkpoint()
    report = verify(Ed25519PrivateKey.generate().public_key())
    assert report.problem is not None and report.problem.kind == "checkpoint"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = 3",
        "DELETE FROM audit_auditevent WHERE seq = 3",
        "UPDATE audit_auditcheckpoint SET head_hash = 'x'",
        "DELETE FROM audit_auditcheckpoint",
    ],
)
def test_the_database_refuses_changes(log: list[AuditEvent], statement: str) -> None:
    sign_checkpoint()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert check().intact


def test_the_orm_cannot_change_an_event_either(log: list[AuditEvent]) -> None:
    event = log[2]
    event.action = "rewritten"
    attempts: list[Callable[[], Any]] = [event.save, event.delete, AuditEvent.objects.all().delete]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert check().intact


def test_it_rolls_back_the_event_with_the_change_it_records(log: list[AuditEvent]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event("test.doomed", actor=ME)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.filter(action="test.doomed").exists()
    assert record_event("test.after", actor=ME).seq == 21
    assert check().intact


def test_it_signs_a_checkpoint_every_n_events(db: Any, settings: Any) -> None:
    settings.WICKETGATE_AUDIT_CHECKPOINT_EVERY = 5
    for _ in range(12):
        record_event("test.event", actor=ME)
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5, 10]
    assert check().intact

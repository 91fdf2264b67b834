"""Squid's access log into the audit log: every line once, attributed, nothing half-read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.accesslog import BadLogLine, finish_rotated, parse_line, rotate, tail
from wicketgate.gateway.actions import do_open_device_session, do_register_device
from wicketgate.gateway.gatekeeper import Answer, log_note
from wicketgate.gateway.models import DeviceSession
from wicketgate.testing.personas import SETUP, Estate

DENY = log_note(
    Answer(False, ("catalogue:not-listed",), ("example.com is not in the catalogue.",), version=9)
)
ALLOW = log_note(Answer(True, ("rule:estate:health",), (), version=9))


@pytest.fixture
def session(estate: Estate) -> DeviceSession:
    device = do_register_device(
        device_id="NGT-LT-1",
        establishment=estate.a,
        location=estate.a_cell,
        kind="laptop",
        actor=SETUP,
    )[0]
    return do_open_device_session(
        prisoner=estate.prisoner_a, device=device, actor=SETUP, address="127.0.0.1"
    )[0]


def line(user: str, method: str, url: str, status: int, note: str, sni: str = "-") -> str:
    return f"1795714737.299 12 10.0.0.7 {user} {method} {url} {status} 224 11227 TCP_MISS {sni} {note}\n"


def test_it_reads_every_field_of_a_line() -> None:
    parsed = parse_line(line("wgabc", "GET", "http://www.nhs.uk/a?b=c", 200, ALLOW))
    assert (parsed.user, parsed.method, parsed.url, parsed.status) == (
        "wgabc",
        "GET",
        "http://www.nhs.uk/a?b=c",
        200,
    )
    assert (parsed.bytes_in, parsed.bytes_out, parsed.duration_ms) == (224, 11227, 12)
    assert (parsed.decision, parsed.rules, parsed.version) == ("allow", ("rule:estate:health",), 9)
    assert parsed.at.timestamp() == pytest.approx(1795714737.299)
    with pytest.raises(BadLogLine):
        parse_line("not a squid line\n")


def test_it_records_each_request_against_its_prisoner_with_bytes_and_duration(
    tmp_path: Path, estate: Estate, session: DeviceSession
) -> None:
    log = tmp_path / "access.log"
    log.write_text(
        line(session.username, "GET", "http://www.nhs.uk/a", 200, ALLOW)
        + line(session.username, "GET", "http://example.com/", 302, DENY)
        + line(session.username, "CONNECT", "www.bbc.co.uk:443", 200, DENY, sni="www.bbc.co.uk")
        + line("-", "GET", "http://www.nhs.uk/", 407, "-")
    )
    assert tail(log) == 4
    events = list(AuditEvent.objects.filter(action="gateway.request").order_by("seq"))
    allowed, denied, tunnel, anonymous = events
    assert (allowed.outcome, allowed.subject_id, allowed.establishment_id) == (
        "success",
        str(estate.prisoner_a.pk),
        estate.a.pk,
    )
    details = json.loads(allowed.details_json)
    assert (details["path"], details["bytes_out"], details["duration_ms"], details["device"]) == (
        "/a",
        11227,
        12,
        "NGT-LT-1",
    )
    assert json.loads(denied.details_json)["reasons"] == ["example.com is not in the catalogue."]
    tunnel_details = json.loads(tunnel.details_json)
    assert (tunnel.outcome, tunnel_details["host"], tunnel_details["sni"]) == (
        "denied",
        "www.bbc.co.uk",
        "www.bbc.co.uk",
    )
    assert "path" not in tunnel_details and "url" not in tunnel_details
    assert (anonymous.outcome, anonymous.subject_id) == ("denied", "")
    assert json.loads(anonymous.details_json)["rules"] == ["gateway:no-session"]


def test_it_never_records_a_line_twice_nor_a_line_half_written(
    tmp_path: Path, session: DeviceSession
) -> None:
    log = tmp_path / "access.log"
    whole = line(session.username, "GET", "http://www.nhs.uk/1", 200, ALLOW)
    half = line(session.username, "GET", "http://www.nhs.uk/2", 200, ALLOW)
    log.write_text(whole + half[:20])
    assert tail(log) == 1
    assert tail(log) == 0
    with log.open("a") as handle:
        handle.write(half[20:])
    assert tail(log) == 1
    paths = [
        json.loads(e.details_json)["path"]
        for e in AuditEvent.objects.filter(action="gateway.request").order_by("seq")
    ]
    assert paths == ["/1", "/2"]


def test_a_log_replaced_by_a_shorter_one_is_read_from_its_start(
    tmp_path: Path, session: DeviceSession
) -> None:
    log = tmp_path / "access.log"
    log.write_text(line(session.username, "GET", "http://www.nhs.uk/1", 200, ALLOW) * 3)
    assert tail(log) == 3
    log.write_text(line(session.username, "GET", "http://www.nhs.uk/new", 200, ALLOW))
    assert tail(log) == 1


def test_rotation_records_everything_including_lines_written_while_it_happens(
    tmp_path: Path, session: DeviceSession
) -> None:
    log = tmp_path / "access.log"
    log.write_text(line(session.username, "GET", "http://www.nhs.uk/before", 200, ALLOW) * 2)
    assert tail(log) == 2

    def reopen() -> None:  # as Squid does: a last line into the old file, then a new file
        with (tmp_path / "access.log.rotated").open("a") as old:
            old.write(line(session.username, "GET", "http://www.nhs.uk/during", 200, ALLOW))
        log.write_text("")

    assert rotate(log, reopen) == 1
    assert not (tmp_path / "access.log.rotated").exists()
    log.write_text(line(session.username, "GET", "http://www.nhs.uk/after", 200, ALLOW))
    assert tail(log) == 1
    paths = [
        json.loads(e.details_json)["path"]
        for e in AuditEvent.objects.filter(action="gateway.request").order_by("seq")
    ]
    assert paths == ["/before", "/before", "/during", "/after"]


def test_a_rotation_cut_short_by_a_crash_is_finished_without_duplicates(
    tmp_path: Path, session: DeviceSession
) -> None:
    log = tmp_path / "access.log"
    log.write_text(line(session.username, "GET", "http://www.nhs.uk/1", 200, ALLOW) * 2)
    assert tail(log) == 2
    # The process died just after renaming the file, before its cursor moved.
    log.rename(tmp_path / "access.log.rotated")
    with (tmp_path / "access.log.rotated").open("a") as old:
        old.write(line(session.username, "GET", "http://www.nhs.uk/2", 200, ALLOW))
    assert finish_rotated(log) == 1
    assert AuditEvent.objects.filter(action="gateway.request").count() == 3


def test_a_failed_login_counts_against_where_it_came_from_not_whose_name_was_typed(
    tmp_path: Path, estate: Estate, session: DeviceSession
) -> None:
    """Someone types Alan's session name with a wrong password from another laptop: the
    refusal is that laptop's, not Alan's (he did nothing)."""
    other = do_register_device(
        device_id="NGT-LT-2",
        establishment=estate.a,
        location=estate.a_cell,
        kind="laptop",
        actor=SETUP,
        address="10.0.0.99",
    )[0]
    log = tmp_path / "access.log"
    failed = line(session.username, "GET", "http://www.nhs.uk/", 407, "-")
    log.write_text(failed.replace(" 10.0.0.7 ", " 10.0.0.99 "))
    tail(log)
    event = AuditEvent.objects.get(action="gateway.request")
    details = json.loads(event.details_json)
    assert (event.outcome, event.actor_kind, event.subject_label) == ("denied", "system", "")
    assert event.establishment_id == estate.a.pk
    assert (details["device"], details["client"], details["session"]) == (
        other.device_id,
        "10.0.0.99",
        None,
    )
    assert details["name_typed"] == session.username and details["rules"] == ["gateway:no-session"]
    assert not AuditEvent.objects.filter(
        action="gateway.request", subject_label=estate.prisoner_a.prison_number
    ).exists()


def test_a_line_that_is_not_ours_is_recorded_as_it_is_in_its_place(
    tmp_path: Path, session: DeviceSession
) -> None:
    log = tmp_path / "access.log"
    forged = line(session.username, "GET", "http://www.nhs.uk/x", 200, ALLOW).rstrip("\n")
    log.write_text(
        line(session.username, "GET", "http://www.nhs.uk/1", 200, ALLOW)
        + forged
        + " extra field\n"  # 13 fields: Squid escapes every space a field could hold
        + line(session.username, "GET", "http://www.nhs.uk/2", 200, ALLOW)
    )
    assert tail(log) == 3
    events = list(AuditEvent.objects.filter(action__startswith="gateway.").order_by("seq"))
    kinds = [e.action for e in events if e.action.startswith(("gateway.request", "gateway.log"))]
    assert kinds == ["gateway.request", "gateway.log.unreadable", "gateway.request"]
    [unreadable] = [e for e in events if e.action == "gateway.log.unreadable"]
    assert unreadable.outcome == AuditEvent.Outcome.FAILED
    assert json.loads(unreadable.details_json)["line"] == forged + " extra field"

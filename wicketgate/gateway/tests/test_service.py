"""The gateway service fails closed, and says so, when it cannot keep its data fresh."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.service import GatewayService
from wicketgate.testing.gateway import wait_for as _wait_for


def _ask(path: Path, kind: bytes, line: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(path))
        sock.sendall(kind + b"\n" + line + b"\n")
        return sock.makefile("rb").readline().rstrip(b"\n")


@pytest.mark.django_db(transaction=True)
def test_it_refuses_and_raises_an_alert_when_it_cannot_refresh_then_recovers(
    transactional_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = Path(tempfile.mkdtemp()) / "decide.sock"
    service = GatewayService(path, poll_seconds=0.05, grace_seconds=0.3)
    service.start()
    try:
        assert b" ERR " in _ask(path, b"acl", b"1 wgnobody 10.0.0.1 GET http://www.nhs.uk/ -")

        def database_gone() -> None:
            raise ConnectionError("database unreachable")

        monkeypatch.setattr(service.engine, "refresh", database_gone)
        _wait_for(lambda: service.alerting)
        assert not service.gatekeeper.fresh
        assert b"gateway:unavailable" in _ask(
            path, b"acl", b"2 wgnobody 10.0.0.1 GET http://www.nhs.uk/ -"
        )
        assert _ask(path, b"auth", b"3 wgnobody secret") == b"3 ERR"
        _wait_for(lambda: AuditEvent.objects.filter(action="gateway.fail_closed").exists())
        alert = AuditEvent.objects.get(action="gateway.fail_closed")
        assert (
            alert.outcome == AuditEvent.Outcome.FAILED
            and "database unreachable" in alert.details_json
        )
        monkeypatch.undo()
        _wait_for(lambda: AuditEvent.objects.filter(action="gateway.recovered").exists())
        assert AuditEvent.objects.filter(action="gateway.recovered").count() == 1
        assert b"gateway:no-session" in _ask(
            path, b"acl", b"4 wgnobody 10.0.0.1 GET http://www.nhs.uk/ -"
        )
    finally:
        service.stop()
    assert not path.exists()


@pytest.mark.django_db(transaction=True)
def test_a_connection_that_does_not_say_what_it_is_gets_no_answers(transactional_db: Any) -> None:
    path = Path(tempfile.mkdtemp()) / "decide.sock"
    service = GatewayService(path, poll_seconds=0.05)
    service.start()
    try:
        assert _ask(path, b"hello", b"1 x y") == b""
    finally:
        service.stop()


@pytest.mark.django_db(transaction=True)
def test_a_gateway_for_one_establishment_knows_only_its_sessions(
    transactional_db: Any, settings: Any
) -> None:
    from wicketgate.gateway.actions import do_open_device_session, do_register_device
    from wicketgate.testing.personas import SETUP, build_estate

    estate = build_estate()
    for prisoner, cell in ((estate.prisoner_a, estate.a_cell), (estate.prisoner_b, estate.b_cell)):
        device = do_register_device(
            device_id=f"{cell.code}-LT",
            establishment=cell.establishment,
            location=cell,
            kind="laptop",
            actor=SETUP,
        )[0]
        do_open_device_session(prisoner=prisoner, device=device, actor=SETUP, address="127.0.0.1")
    settings.WICKETGATE_GATEWAY_ESTABLISHMENTS = ["rvs"]
    service = GatewayService(Path(tempfile.mkdtemp()) / "decide.sock")
    service.poll_once()
    assert {s.prison_number for s in service.sessions._sessions.values()} == {"B2345CD"}
    settings.WICKETGATE_GATEWAY_ESTABLISHMENTS = ["XYZ"]
    with pytest.raises(ValueError, match="no establishment XYZ"):
        GatewayService(Path(tempfile.mkdtemp()) / "decide.sock")

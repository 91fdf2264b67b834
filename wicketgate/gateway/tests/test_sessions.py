"""The gateway's table of live sessions follows opens and closes, whatever their timing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection

from wicketgate.gateway.actions import (
    do_close_device_session,
    do_open_device_session,
    do_register_device,
)
from wicketgate.gateway.models import CloseReason
from wicketgate.gateway.sessions import SessionTable
from wicketgate.testing.personas import SETUP, Estate


def test_a_session_opened_during_a_reload_is_dropped_once_it_closes(estate: Estate) -> None:
    """A session that opens while the table reloads, and closes afterwards, must not stay
    accepted: the table's record of what it loaded must not be newer than what it loaded."""
    device, _key = do_register_device(
        device_id="NGT-LT-9",
        establishment=estate.a,
        location=estate.a_cell,
        kind="laptop",
        actor=SETUP,
    )
    table = SessionTable()
    opened: list[Any] = []

    def open_after_first_query(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        result = execute(sql, *args)
        if not opened:
            opened.append(None)  # before the ORM below runs through this wrapper again
            opened[0] = do_open_device_session(
                prisoner=estate.prisoner_a, device=device, actor=SETUP
            )[0]
        return result

    with connection.execute_wrapper(open_after_first_query):
        table.refresh()
    session = opened[0]
    assert table.get(session.username) is not None  # loaded with the rows
    do_close_device_session(session, reason=CloseReason.ENDED_BY_STAFF, actor=SETUP)
    assert table.refresh()
    assert table.get(session.username) is None


def test_it_reloads_only_when_a_session_opens_or_closes(estate: Estate) -> None:
    device, _key = do_register_device(
        device_id="NGT-LT-9",
        establishment=estate.a,
        location=estate.a_cell,
        kind="laptop",
        actor=SETUP,
    )
    table = SessionTable()
    table.refresh()
    assert not table.refresh()
    session, _password = do_open_device_session(
        prisoner=estate.prisoner_a, device=device, actor=SETUP
    )
    assert table.refresh() and table.get(session.username) is not None
    assert not table.refresh()
    do_close_device_session(session, reason=CloseReason.ENDED_BY_STAFF, actor=SETUP)
    assert table.refresh() and table.get(session.username) is None

"""The gateway's table of live sessions follows opens and closes, whatever their timing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import connection

from wicketgate.gateway.actions import (
    do_close_device_session,
    do_open_device_session,
    do_register_device,
)
from wicketgate.gateway.models import CloseReason, DeviceSession
from wicketgate.gateway.sessions import SessionTable
from wicketgate.people.models import Prisoner
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
                prisoner=estate.prisoner_a, device=device, actor=SETUP, address="127.0.0.1"
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
        prisoner=estate.prisoner_a, device=device, actor=SETUP, address="127.0.0.1"
    )
    assert table.refresh() and table.get(session.username) is not None
    assert not table.refresh()
    do_close_device_session(session, reason=CloseReason.ENDED_BY_STAFF, actor=SETUP)
    assert table.refresh() and table.get(session.username) is None


def test_a_close_with_an_open_of_a_lower_id_is_seen(estate: Estate) -> None:
    """On PostgreSQL ids are handed out at insert, not at commit: a session can open with a
    lower id than one already seen, in the same transaction as the close of an earlier
    session (a new session on a device closes the old one). The open count and the highest
    id are then unchanged; the closed session must still be dropped."""
    laptop, _ = do_register_device(
        device_id="NGT-LT-1", establishment=estate.a, location=estate.a_cell, kind="laptop",
        actor=SETUP,
    )  # fmt: skip
    kiosk, _ = do_register_device(
        device_id="NGT-KIOSK-1", establishment=estate.a, location=estate.a_cell, kind="kiosk",
        actor=SETUP,
    )  # fmt: skip
    neighbour = Prisoner.objects.create(
        prison_number="A7777AA", given_name="Neil", family_name="Nash",
        date_of_birth=dt.date(1988, 8, 8), establishment=estate.a, location=estate.a_cell,
        security_category="B", incentive_level="STD", legal_status="SENTENCED",
    )  # fmt: skip
    first, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    other, _ = do_open_device_session(
        prisoner=neighbour, device=kiosk, actor=SETUP, address="127.0.0.1"
    )
    highest = other.pk + 1000
    DeviceSession.objects.filter(pk=other.pk).update(id=highest)  # committed earlier, higher id
    table = SessionTable()
    table.refresh()
    assert table.get(first.username) is not None
    # Later the prisoner signs in again on the laptop (the first session closes), and the
    # new session's id falls below the highest seen: the open count and highest id stay.
    again, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    DeviceSession.objects.filter(pk=again.pk).update(id=highest - 1)
    assert DeviceSession.objects.get(pk=first.pk).closed_at is not None
    assert table.refresh()
    assert table.get(first.username) is None
    assert table.get(again.username) is not None

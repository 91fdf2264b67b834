"""Devices, sessions and lockdowns: what may be opened, what ends them, what is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from wicketgate.audit.models import AuditEvent
from wicketgate.estate.models import Location
from wicketgate.gateway.actions import (
    GatewayError,
    do_close_device_session,
    do_close_expired_sessions,
    do_end_lockdown,
    do_open_device_session,
    do_register_device,
    do_retire_device,
    do_start_lockdown,
)
from wicketgate.gateway.models import CloseReason, Device, DeviceSession, hash_secret
from wicketgate.testing.personas import SETUP, Estate


@pytest.fixture
def laptop(estate: Estate) -> Device:
    return do_register_device(
        device_id="ngt-lt-1",
        establishment=estate.a,
        location=estate.a_cell,
        kind="laptop",
        actor=SETUP,
    )[0]


def test_it_registers_a_device_with_a_key_it_only_stores_hashed(estate: Estate) -> None:
    device, key = do_register_device(
        device_id="NGT-K-1",
        establishment=estate.a,
        location=estate.a_cell,
        kind="kiosk",
        actor=SETUP,
    )
    assert device.key_hash == hash_secret(key) and key not in device.key_hash
    event = AuditEvent.objects.get(action="gateway.device.register")
    assert key not in event.details_json


@pytest.mark.parametrize(
    ("device_id", "kind", "where", "message"),
    [
        ("bad id!", "laptop", "a_cell", "device id"),
        ("NGT-X", "tablet", "a_cell", "kind 'tablet'"),
        ("NGT-X", "laptop", "b_cell", "is not at NGT"),
        ("NGT-X", "laptop", "a_wing", "is a wing"),
    ],
)
def test_it_refuses_a_bad_registration_and_writes_nothing(
    estate: Estate, device_id: str, kind: str, where: str, message: str
) -> None:
    with pytest.raises(GatewayError, match=message):
        do_register_device(
            device_id=device_id,
            establishment=estate.a,
            location=getattr(estate, where),
            kind=kind,
            actor=SETUP,
        )
    assert not Device.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="gateway.").exists()


def test_it_refuses_a_second_device_with_the_same_id(estate: Estate, laptop: Device) -> None:
    with pytest.raises(GatewayError, match="already registered"):
        do_register_device(
            device_id="NGT-LT-1",
            establishment=estate.a,
            location=estate.a_cell,
            kind="pc",
            actor=SETUP,
        )


def test_a_session_is_bound_to_the_prisoner_device_and_location(
    estate: Estate, laptop: Device
) -> None:
    session, password = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    assert (session.prisoner, session.device, session.location) == (
        estate.prisoner_a,
        laptop,
        estate.a_cell,
    )
    assert session.password_hash == hash_secret(password)
    assert session.is_live()
    assert session.ends_by - session.opened_at == dt.timedelta(minutes=240)
    assert session.idle_until - session.opened_at == dt.timedelta(minutes=15)
    assert AuditEvent.objects.filter(
        action="gateway.session.open", subject_id=str(estate.prisoner_a.pk)
    ).exists()


def test_a_new_session_on_the_device_or_for_the_prisoner_replaces_the_old_one(
    estate: Estate, laptop: Device
) -> None:
    first, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    kiosk = do_register_device(
        device_id="NGT-K-2",
        establishment=estate.a,
        location=estate.a_cell,
        kind="kiosk",
        actor=SETUP,
    )[0]
    second, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=kiosk, actor=SETUP, address="127.0.0.1"
    )
    first.refresh_from_db()
    assert (first.close_reason, first.is_live(), second.is_live()) == (
        CloseReason.REPLACED,
        False,
        True,
    )
    assert DeviceSession.objects.filter(closed_at__isnull=True).count() == 1


def test_it_refuses_a_prisoner_held_at_another_establishment(
    estate: Estate, laptop: Device
) -> None:
    with pytest.raises(GatewayError, match="not held at NGT"):
        do_open_device_session(
            prisoner=estate.prisoner_b, device=laptop, actor=SETUP, address="127.0.0.1"
        )


def test_a_retired_device_ends_its_session_and_opens_no_more(
    estate: Estate, laptop: Device
) -> None:
    session, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    do_retire_device(laptop, actor=SETUP)
    session.refresh_from_db()
    assert session.close_reason == CloseReason.DEVICE_RETIRED
    with pytest.raises(GatewayError, match="retired"):
        do_open_device_session(
            prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
        )


def test_closing_twice_closes_once(estate: Estate, laptop: Device) -> None:
    session, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    assert do_close_device_session(session, reason=CloseReason.ENDED_BY_STAFF, actor=SETUP) is True
    assert do_close_device_session(session, reason=CloseReason.ENDED_BY_STAFF, actor=SETUP) is False
    assert AuditEvent.objects.filter(action="gateway.session.close").count() == 1


def test_a_wing_lockdown_ends_that_wings_sessions_only_and_refuses_new_ones(
    estate: Estate, laptop: Device
) -> None:
    other_wing = Location.objects.create(establishment=estate.a, code="NGT-B", kind="WING")
    other_cell = Location.objects.create(
        establishment=estate.a, code="NGT-B-01", kind="CELL", parent=other_wing
    )
    other = do_register_device(
        device_id="NGT-B-LT",
        establishment=estate.a,
        location=other_cell,
        kind="laptop",
        actor=SETUP,
    )[0]
    from wicketgate.people.models import Prisoner

    neighbour = Prisoner.objects.create(
        prison_number="C3456DE",
        given_name="Carl",
        family_name="Cole",
        date_of_birth=dt.date(1980, 3, 4),
        establishment=estate.a,
        location=other_cell,
        security_category="B",
        incentive_level="STD",
        legal_status="SENTENCED",
    )
    on_a, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    on_b, _ = do_open_device_session(
        prisoner=neighbour, device=other, actor=SETUP, address="127.0.0.1"
    )
    lockdown, ended = do_start_lockdown(
        establishment=estate.a, wing=estate.a_wing, reason="Search", actor=SETUP
    )
    on_a.refresh_from_db()
    on_b.refresh_from_db()
    assert (ended, on_a.close_reason, on_b.is_live()) == (1, CloseReason.LOCKDOWN, True)
    with pytest.raises(GatewayError, match="Lockdown of NGT-A"):
        do_open_device_session(
            prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
        )
    do_end_lockdown(lockdown, actor=SETUP)
    assert do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )[0].is_live()


def test_an_establishment_lockdown_covers_every_wing_and_cannot_be_doubled(
    estate: Estate, laptop: Device
) -> None:
    do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    _lockdown, ended = do_start_lockdown(establishment=estate.a, reason="Incident", actor=SETUP)
    assert ended == 1
    with pytest.raises(GatewayError, match="already covers"):
        do_start_lockdown(establishment=estate.a, wing=estate.a_wing, reason="Again", actor=SETUP)
    with pytest.raises(GatewayError, match="give a reason"):
        do_start_lockdown(establishment=estate.b, reason="  ", actor=SETUP)
    with pytest.raises(GatewayError, match="not a wing of RVS"):
        do_start_lockdown(establishment=estate.b, wing=estate.a_wing, reason="x", actor=SETUP)


def test_expired_sessions_are_closed_with_the_reason(estate: Estate, laptop: Device) -> None:
    session, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, address="127.0.0.1"
    )
    assert do_close_expired_sessions(at=session.idle_until - dt.timedelta(seconds=1)) == 0
    assert do_close_expired_sessions(at=session.idle_until) == 1
    session.refresh_from_db()
    assert session.close_reason == CloseReason.IDLE
    long_ago = timezone.now() - dt.timedelta(hours=5)
    old, _ = do_open_device_session(
        prisoner=estate.prisoner_a, device=laptop, actor=SETUP, at=long_ago, address="127.0.0.1"
    )
    DeviceSession.objects.filter(pk=old.pk).update(
        idle_until=timezone.now() + dt.timedelta(minutes=5)
    )
    assert do_close_expired_sessions() == 1
    old.refresh_from_db()
    assert old.close_reason == CloseReason.MAX_LENGTH

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from wicketgate.calls.booking import do_book_video_call
from wicketgate.calls.models import Booking, SessionTemplate
from wicketgate.contacts.tests.conftest import STAFF, approved_contact
from wicketgate.gateway.actions import do_open_device_session, do_register_device
from wicketgate.gateway.models import Device
from wicketgate.people.models import Prisoner
from wicketgate.policy.codes import DEFAULT_CATEGORIES
from wicketgate.policy.engine import Engine
from wicketgate.policy.models import Category
from wicketgate.testing.personas import Estate, build_estate


def suite_terminal(estate: Estate, number: int = 1) -> Device:
    """A terminal prisoners join calls from, in establishment A's video suite."""
    device_id = f"NGT-VS1-T{number}"
    found = Device.objects.filter(device_id=device_id).first()
    if found is not None:
        return found
    device, _key = do_register_device(
        device_id=device_id,
        establishment=estate.a,
        location=estate.a_video_suite,
        kind="suite",
        actor=STAFF,
    )
    return device


def at_the_suite(estate: Estate, prisoner: Prisoner | None = None, number: int = 1) -> None:
    """The prisoner signed in on a terminal in the suite (a device session opened with the
    device and their PIN), as they must be to join a call."""
    do_open_device_session(
        prisoner=prisoner or estate.prisoner_a,
        device=suite_terminal(estate, number),
        actor=STAFF,
        address="127.0.0.1",
    )


def booked(estate: Estate, *, legal: bool = False, live: bool = False, weeks: int = 0) -> Booking:
    """A call for the prisoner at A with their mother (and their solicitor if ``legal``),
    booked through the rules for a Tuesday 14:00 session; ``live`` moves it to now, as the
    clock cannot be moved for a browser or for Janus."""
    session, _ = SessionTemplate.objects.get_or_create(
        suite=estate.a_video_suite, weekday=1, starts=dt.time(14, 0), minutes=30, capacity=4
    )
    day = timezone.localdate() + dt.timedelta(days=3)
    day += dt.timedelta(days=(1 - day.weekday()) % 7, weeks=weeks)
    link = estate.prisoner_a.contact_links.filter(relationship="MOTHER").first()
    mother = (link or approved_contact(estate.prisoner_a, "MOTHER")).contact
    others = [approved_contact(estate.prisoner_a, "SOLICITOR").contact] if legal else []
    booking = do_book_video_call(
        prisoner=estate.prisoner_a,
        session=session,
        day=day,
        main_caller=mother,
        others=others,
        actor=STAFF,
        decisions=Engine(refresh_every=0),
    )
    if live:
        now = timezone.now()
        Booking.objects.filter(pk=booking.pk).update(
            starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(minutes=29)
        )
        booking.refresh_from_db()
    return booking


@pytest.fixture
def call(estate: Estate) -> Booking:
    return booked(estate)


@pytest.fixture
def world(transactional_db: Any) -> Estate:
    """The personas' estate for a test whose Janus, browsers or threads see its commits (a
    transactional test empties the database after itself, the data migrations' categories
    too)."""
    for code, name in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(code=code, defaults={"name": name})
    return build_estate()

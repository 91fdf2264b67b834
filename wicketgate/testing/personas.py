"""The people every test suite is written around (see shared STYLE.md).

Two establishments, A and B; a clerk at each; an estate administrator; a prisoner at A
with a device account; a family member. A test of a view or endpoint uses the clerk at
B as the outsider, who must get a 404 for anything at A.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from wicketgate.accounts.actions import (
    do_create_family_account,
    do_create_staff_user,
    do_set_prisoner_pin,
)
from wicketgate.accounts.models import User
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.log import Actor
from wicketgate.estate.models import Establishment, Location
from wicketgate.people.models import Prisoner

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test personas only
PRISONER_PIN = "4826"
SETUP = Actor.system("test-setup")


@dataclass
class Estate:
    a: Establishment
    b: Establishment
    a_wing: Location
    a_cell: Location
    a_video_suite: Location
    b_wing: Location
    b_cell: Location
    prisoner_a: Prisoner
    prisoner_b: Prisoner
    clerk_a: User
    clerk_b: User
    estate_admin: User
    prisoner_user: User
    family_user: User


def build_estate() -> Estate:
    a = Establishment.objects.create(code="NGT", name="HMP Northgate", kind="local", kiosks=4)
    b = Establishment.objects.create(
        code="RVS",
        name="HMP Riverside",
        kind="training",
        in_cell_laptops=True,
        incentive_levels=["BAS", "STD", "ENH", "EN2"],
    )
    a_wing = Location.objects.create(establishment=a, code="NGT-A", kind="WING", name="A wing")
    a_landing = Location.objects.create(
        establishment=a, code="NGT-A-1", kind="LANDING", parent=a_wing
    )
    a_cell = Location.objects.create(
        establishment=a, code="NGT-A-1-01", kind="CELL", parent=a_landing
    )
    a_video = Location.objects.create(
        establishment=a, code="NGT-VS", kind="VIDEO_SUITE", name="Video suite", secure_area=True
    )
    b_wing = Location.objects.create(establishment=b, code="RVS-H", kind="WING", name="H wing")
    b_cell = Location.objects.create(establishment=b, code="RVS-H-01", kind="CELL", parent=b_wing)
    prisoner_a = Prisoner.objects.create(
        prison_number="A1234BC",
        given_name="Alan",
        family_name="Ashdown",
        date_of_birth=dt.date(1990, 5, 17),
        establishment=a,
        location=a_cell,
        security_category="B",
        incentive_level="STD",
        legal_status="SENTENCED",
    )
    prisoner_b = Prisoner.objects.create(
        prison_number="B2345CD",
        given_name="Bilal",
        family_name="Brookes",
        date_of_birth=dt.date(1985, 1, 2),
        establishment=b,
        location=b_cell,
        security_category="C",
        incentive_level="ENH",
        legal_status="SENTENCED",
    )
    clerk_a = do_create_staff_user(
        "clerk.a",
        password=PASSWORD,
        roles=[(a, StaffRole.WING_OFFICER)],
        actor=SETUP,
        check_password=False,
    )
    clerk_b = do_create_staff_user(
        "clerk.b",
        password=PASSWORD,
        roles=[(b, StaffRole.WING_OFFICER)],
        actor=SETUP,
        check_password=False,
    )
    admin = do_create_staff_user(
        "estate.admin", password=PASSWORD, estate_admin=True, actor=SETUP, check_password=False
    )
    prisoner_user = do_set_prisoner_pin(prisoner_a, PRISONER_PIN, actor=SETUP).user
    family = do_create_family_account(
        "family@example.org", password=PASSWORD, first_name="Fay", last_name="Ashdown", actor=SETUP
    )
    return Estate(
        a=a,
        b=b,
        a_wing=a_wing,
        a_cell=a_cell,
        a_video_suite=a_video,
        b_wing=b_wing,
        b_cell=b_cell,
        prisoner_a=prisoner_a,
        prisoner_b=prisoner_b,
        clerk_a=clerk_a,
        clerk_b=clerk_b,
        estate_admin=admin,
        prisoner_user=prisoner_user,
        family_user=family,
    )


def sign_in_staff(client: Client, user: User) -> Client:
    """Sign ``user`` in with their second factor already passed."""
    client.force_login(user, backend="wicketgate.accounts.backends.PasswordBackend")
    device = TOTPDevice.objects.get(user=user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def staff_client(estate: Estate, username: str, role: str, where: str = "a") -> Client:
    """A new member of staff with ``role`` at establishment ``where`` ("a" or "b"), signed in."""
    user = do_create_staff_user(
        username,
        password=PASSWORD,
        roles=[(getattr(estate, where), role)],
        actor=SETUP,
        check_password=False,
    )
    return sign_in_staff(Client(), user)

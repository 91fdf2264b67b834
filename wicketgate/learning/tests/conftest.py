from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from wicketgate.accounts.actions import do_create_staff_user
from wicketgate.accounts.models import User
from wicketgate.accounts.roles import StaffRole
from wicketgate.estate.models import Location
from wicketgate.learning.actions import UnitSpec, do_add_class, do_create_course
from wicketgate.learning.models import Course, CourseClass
from wicketgate.policy.engine import Engine
from wicketgate.policy.models import Site
from wicketgate.testing.personas import PASSWORD, SETUP, Estate

# Thursday 26 November 2026, 10:00 in London (GMT): the learning tests' "now".
NOW = "2026-11-26T10:00:00+00:00"
FROZEN = pytest.mark.time_machine(NOW, tick=False)

SITES = """
sites:
  - {name: Maths Online, hosts: [maths.example.org], category: EDUCATION}
  - {name: Reading Room, hosts: [reading.example.org], category: EDUCATION}
  - {name: Find a job, hosts: [findajob.dwp.gov.uk], category: EMPLOYMENT}
  - {name: NHS, hosts: [www.nhs.uk], category: HEALTH}
"""


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@dataclass
class School:
    estate: Estate
    tutor: User
    classroom: Location
    maths: Course  # blended: Maths Online, Mon and Thu 09:00-12:00 class, and study hours
    monday: CourseClass
    engine: Engine

    def site(self, name: str) -> Site:
        return Site.objects.get(name=name)


@pytest.fixture
def school(estate: Estate, load_policy: Callable[..., Any]) -> School:
    load_policy(SITES)
    estate.a.study_hours = "Mon-Fri 18:00-20:00"
    estate.a.save()
    tutor = do_create_staff_user(
        "tutor.a",
        password=PASSWORD,
        roles=[(estate.a, StaffRole.EDUCATION)],
        actor=SETUP,
        check_password=False,
    )
    classroom = Location.objects.create(
        establishment=estate.a, code="NGT-EDU-1", kind="EDUCATION", name="Classroom 1"
    )
    maths = do_create_course(
        estate.a,
        title="Functional Maths",
        provider="Novus",
        level="L1",
        subject="FS_MATHS",
        mode="blended",
        starts_on=dt.date(2026, 11, 23),
        ends_on=dt.date(2026, 12, 18),
        capacity=2,
        sites=[Site.objects.get(name="Maths Online")],
        units=[UnitSpec("FM1", "Fractions"), UnitSpec("FM2", "Decimals")],
        actor=SETUP,
    )
    monday = do_add_class(
        maths,
        name="Morning group",
        tutor=tutor,
        location=classroom,
        timetable="Mon 09:00-12:00; Thu 09:00-12:00",
        actor=SETUP,
    )
    return School(estate, tutor, classroom, maths, monday, Engine(refresh_every=0))

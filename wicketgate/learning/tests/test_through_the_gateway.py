"""Enrolment through the real engines: a course's book in the offline library (a real
kiwix-serve) and a course's site on the web (the gateway's stand-in upstream), reached by
Alan through the real Squid only while he is enrolled and the course is in its hours;
closed again by the hours, by withdrawal, and not by a web sanction (issue 16)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from wicketgate.conduct.actions import do_add_sanction
from wicketgate.gateway.tests.adversarial.conftest import open_session
from wicketgate.learning.actions import do_create_course, do_enrol_learner, do_withdraw_learner
from wicketgate.learning.library import book_paths, install_book
from wicketgate.learning.zim import html_page, make_zim
from wicketgate.policy.hours import DAYS
from wicketgate.policy.models import Site
from wicketgate.testing.gateway import (
    RunningGateway,
    block_reasons,
    curl,
    gateway_world,
    running_gateway,
)
from wicketgate.testing.kiwix import RunningKiwix, get, running_kiwix
from wicketgate.testing.personas import SETUP, Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIBRARY = "library.prison.test"
BOOK_TEXT = "Three quarters of a twenty-hour week is fifteen hours"
POLICY = """
categories:
  - {code: COURSE_BOOKS, name: Course books}
sites:
  - {name: NHS, hosts: [www.nhs.uk], category: HEALTH}
  - {name: OpenLearn, hosts: [www.open.edu], category: EDUCATION, paths: [/openlearn/]}
  - {name: Maths book, hosts: [HOST], category: COURSE_BOOKS, internal: true, ports: [PORT],
     paths: PATHS}
rules:
  - {id: health, allow: [HEALTH]}
"""


@pytest.fixture(scope="module")
def kiwix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningKiwix]:
    made = tmp_path_factory.mktemp("books")
    with running_kiwix() as running:
        source = make_zim(
            made / "maths.zim",
            title="Functional maths",
            pages={"index": html_page("Fractions", f"<p>{BOOK_TEXT}.</p>")},
        )
        install_book(running.setup, source, "maths")
        for _ in range(100):
            if get(f"{running.base_url}/maths/A/index")[0] == 200:
                break
            time.sleep(0.05)
        yield running


@pytest.fixture
def gateway(
    transactional_db: Any,
    load_policy: Callable[..., Any],
    settings: Any,
    kiwix: RunningKiwix,
) -> Iterator[tuple[RunningGateway, Estate, str]]:
    policy = (
        POLICY.replace("HOST", LIBRARY)
        .replace("PORT", str(kiwix.port))
        .replace("PATHS", str(book_paths("maths")))
    )
    estate = gateway_world(load_policy, policy)
    estate.a.study_hours = "Mon-Sun 00:00-24:00"
    estate.a.save()
    settings.WICKETGATE_LIBRARY_HOST = LIBRARY
    settings.WICKETGATE_LIBRARY_LISTEN = f"127.0.0.1:{kiwix.port}"
    with running_gateway(settings) as running:
        yield running, estate, open_session(running, estate, "alan")


def _book(kiwix: RunningKiwix) -> str:
    return f"http://{LIBRARY}:{kiwix.port}/maths/A/index"


def _until(check: Callable[[], bool], seconds: float = 5) -> None:
    """Policy changes reach the gateway within a second or so: ask until they have."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the gateway did not follow the change"
        time.sleep(0.1)


def _course(estate: Estate) -> Any:
    today = timezone.localdate()
    return do_create_course(
        estate.a,
        title="Functional Maths",
        provider="Novus",
        level="L1",
        subject="FS_MATHS",
        mode="in_cell",
        starts_on=today - dt.timedelta(days=1),
        ends_on=today + dt.timedelta(days=30),
        capacity=5,
        sites=[Site.objects.get(name="Maths book"), Site.objects.get(name="OpenLearn")],
        actor=SETUP,
    )


def test_enrolment_opens_exactly_the_course_book_and_site_and_withdrawal_closes_them(
    gateway: tuple[RunningGateway, Estate, str], kiwix: RunningKiwix
) -> None:
    running, estate, alan = gateway
    book, site = _book(kiwix), "https://www.open.edu/openlearn/maths"
    status, redirect, body = curl(running, book, alan)
    assert status == 302 and BOOK_TEXT not in body
    assert block_reasons(redirect)["i"] == ["default:deny"]
    course = _course(estate)
    enrolment = do_enrol_learner(course, estate.prisoner_a, actor=SETUP)
    _until(lambda: curl(running, book, alan)[0] == 200)
    assert BOOK_TEXT in curl(running, book, alan)[2]
    assert curl(running, site, alan)[0] == 200
    # Nothing else opened: another book's path on the library, a path of the site's host
    # outside the course's site.
    assert curl(running, f"http://{LIBRARY}:{kiwix.port}/history/A/index", alan)[0] == 302
    assert curl(running, "https://www.open.edu/courses", alan)[0] == 302
    do_withdraw_learner(enrolment, reason="Moved to the kitchens", actor=SETUP)
    _until(lambda: curl(running, book, alan)[0] == 302)
    assert curl(running, site, alan)[0] == 302


def test_out_of_the_course_hours_the_book_is_closed_and_says_why(
    gateway: tuple[RunningGateway, Estate, str], kiwix: RunningKiwix
) -> None:
    running, estate, alan = gateway
    do_enrol_learner(_course(estate), estate.prisoner_a, actor=SETUP)
    book = _book(kiwix)
    _until(lambda: curl(running, book, alan)[0] == 200)
    # Study hours on another day of the week only: closed now.
    other_day = DAYS[(timezone.localtime().weekday() + 3) % 7]
    estate.a.study_hours = f"{other_day} 00:00-24:00"
    estate.a.save()
    _until(lambda: curl(running, book, alan)[0] == 302)
    status, redirect, body = curl(running, book, alan)
    assert BOOK_TEXT not in body
    reasons = block_reasons(redirect)
    assert reasons["i"] == ["default:deny"]
    assert reasons["r"] == [
        f"Your course Functional Maths opens Maths book {other_day} 00:00–24:00."
    ]


def test_a_web_sanction_leaves_the_course_book_open(
    gateway: tuple[RunningGateway, Estate, str], kiwix: RunningKiwix
) -> None:
    running, estate, alan = gateway
    do_enrol_learner(_course(estate), estate.prisoner_a, actor=SETUP)
    book = _book(kiwix)
    _until(lambda: curl(running, book, alan)[0] == 200)
    do_add_sanction(prisoner=estate.prisoner_a, service="web", days=7, reason="Misuse", actor=SETUP)
    # The sanction stops the rest of the web (NHS, allowed by a rule) at once …
    _until(lambda: curl(running, "https://www.nhs.uk/", alan)[0] == 302)
    # … and leaves the course's book open.
    status, _redirect, body = curl(running, book, alan)
    assert status == 200 and BOOK_TEXT in body

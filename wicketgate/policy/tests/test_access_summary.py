"""``what_i_can_use``: the portal's summary must never contradict ``decide``."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest

from wicketgate.estate.codes import LocationKind
from wicketgate.people.actions import do_add_alert, do_review_incentive_level
from wicketgate.policy.access import CategoryAccess, Grant, SiteAccess, Status, what_i_can_use
from wicketgate.policy.engine import Engine, UnknownPrisoner
from wicketgate.testing.personas import SETUP, Estate
from wicketgate.testing.policy import IN_THE_POLICY_WEEK, THURSDAY_10, THURSDAY_22

pytestmark = IN_THE_POLICY_WEEK

ALAN = "A1234BC"  # STD at NGT, category B
BILAL = "B2345CD"  # ENH at RVS, category C
LEARNING_HOURS = "Mon–Fri 08:00–20:00; Sat–Sun 10:00–16:00"
# Thursday 26 November 2026 (GMT, so local time is UTC) and the weekend after it.
EDGES = [
    "2026-11-26T07:59:00+00:00",
    "2026-11-26T08:00:00+00:00",
    "2026-11-26T19:59:00+00:00",
    "2026-11-26T20:00:00+00:00",
    "2026-11-28T09:59:00+00:00",
    "2026-11-28T10:00:00+00:00",
    "2026-11-28T16:00:00+00:00",
    "2026-11-29T23:59:00+00:00",
    "2026-07-02T06:59:00+00:00",  # 07:59 British Summer Time
    "2026-07-02T07:00:00+00:00",  # 08:00 BST
]
LOCATIONS: list[str | None] = [None, *LocationKind.values]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def some_times(count: int = 12) -> list[dt.datetime]:
    """Moments spread over a week, from a fixed seed, besides the hours' edges."""
    rng = random.Random(20261126)  # noqa: S311 - test data, not secrets
    start = at("2026-11-23T00:00:00+00:00")
    return [start + dt.timedelta(minutes=rng.randrange(7 * 24 * 60)) for _ in range(count)]


def summary(engine: Engine, number: str, when: str | dt.datetime) -> dict[str, CategoryAccess]:
    moment = at(when) if isinstance(when, str) else when
    return {c.code: c for c in what_i_can_use(engine.snapshot(), number, moment)}


def site(categories: dict[str, CategoryAccess], name: str) -> SiteAccess:
    return next(s for c in categories.values() for s in c.sites if s.name == name)


def url_of(site: SiteAccess) -> str:
    address = site.addresses[0].replace("*.", "x.")
    return f"https://{address}" if "/" in address else f"https://{address}/"


def assert_agrees_with_decide(engine: Engine, number: str, moments: list[dt.datetime]) -> None:
    for moment in moments:
        for category in what_i_can_use(engine.snapshot(), number, moment):
            for each in category.sites:
                for location in LOCATIONS:
                    decision = engine.decide(number, url_of(each), at=moment, location=location)
                    assert decision.site == each.name
                    assert decision.allowed == each.allows_from(location), (
                        moment,
                        each.name,
                        location,
                        decision,
                    )
                    if location is None:
                        assert decision.rules == each.decision.rules
                        assert decision.reasons == each.decision.reasons


@pytest.mark.parametrize("number", [ALAN, BILAL])
def test_it_agrees_with_decide_for_every_site_at_every_time_and_place(
    policy: Estate, fresh_engine: Engine, number: str
) -> None:
    assert_agrees_with_decide(fresh_engine, number, [at(t) for t in EDGES] + some_times())


def test_it_agrees_with_decide_under_forbids_exceptions_and_located_rules(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    load_policy(
        "rules:\n"
        "  - {id: no-late-news, forbid: [NEWS], hours: 'Mon-Sun 21:00-24:00'}\n"
        "  - {id: no-workshop-jobs, forbid: [EMPLOYMENT], locations: [WORKSHOP]}\n"
        "exceptions:\n"
        "  - {prisoner: A1234BC, forbid: {site: OpenLearn}, until: 2026-11-27, reason: Misuse}\n"
    )
    do_add_alert(policy.prisoner_b, "CYBER", actor=SETUP, starts_on=dt.date(2026, 11, 27))
    moments = [at(t) for t in EDGES] + some_times()
    assert_agrees_with_decide(fresh_engine, ALAN, moments)
    assert_agrees_with_decide(fresh_engine, BILAL, moments)


def test_it_says_when_and_where_a_category_is_open(policy: Estate, fresh_engine: Engine) -> None:
    categories = summary(fresh_engine, ALAN, THURSDAY_10)
    education = categories["EDUCATION"]
    assert education.grants == (
        Grant("rule:estate:std-learning", LEARNING_HOURS, ("CELL", "EDUCATION"), ""),
    )
    assert education.status == Status.OPEN
    openlearn = site(categories, "OpenLearn")
    assert openlearn.only_from == ("CELL", "EDUCATION")
    assert not openlearn.decision.allowed  # from nowhere in particular: no
    assert openlearn.allows_from("CELL") and not openlearn.allows_from("WORKSHOP")
    assert openlearn.addresses == ("www.open.edu/openlearn/", "*.open.edu/openlearn/")
    news = categories["NEWS"]
    assert news.grants == (Grant("rule:estate:news", "", (), ""),)
    assert site(categories, "BBC News").status == Status.OPEN
    assert site(categories, "BBC News").only_from == ()
    assert [c.name for c in categories.values()] == [
        "Education",
        "Employment and job search",
        "News",
    ]


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        ("2026-11-26T07:59:00+00:00", "2026-11-26T08:00:00+00:00"),  # a minute to go
        ("2026-11-26T20:00:00+00:00", "2026-11-27T08:00:00+00:00"),  # just closed
        ("2026-11-27T22:00:00+00:00", "2026-11-28T10:00:00+00:00"),  # Friday night: weekend hours
        ("2026-11-29T16:00:00+00:00", "2026-11-30T08:00:00+00:00"),  # Sunday closing time
        ("2026-07-02T06:59:00+00:00", "2026-07-02T07:00:00+00:00"),  # 08:00 in summer time
    ],
)
def test_it_says_when_a_closed_site_next_opens(
    policy: Estate, fresh_engine: Engine, now: str, opens: str
) -> None:
    categories = summary(fresh_engine, ALAN, now)
    openlearn = site(categories, "OpenLearn")
    assert openlearn.status == Status.LATER
    assert openlearn.opens_at == at(opens)
    assert openlearn.opens_from == ("CELL", "EDUCATION")
    assert categories["EDUCATION"].status == Status.LATER
    assert categories["EDUCATION"].opens_at == at(opens)
    url = url_of(openlearn)
    assert fresh_engine.decide(ALAN, url, at=at(opens), location="CELL").allowed
    just_before = at(opens) - dt.timedelta(minutes=1)
    assert not fresh_engine.decide(ALAN, url, at=just_before, location="CELL").allowed


def test_a_site_is_open_at_the_first_minute_of_its_hours_and_not_at_the_last(
    policy: Estate, fresh_engine: Engine
) -> None:
    assert site(summary(fresh_engine, ALAN, "2026-11-26T08:00:00+00:00"), "OpenLearn").status == (
        Status.OPEN
    )
    assert site(summary(fresh_engine, ALAN, "2026-11-26T19:59:59+00:00"), "OpenLearn").status == (
        Status.OPEN
    )
    assert site(summary(fresh_engine, ALAN, "2026-11-26T20:00:00+00:00"), "OpenLearn").status == (
        Status.LATER
    )


def test_a_forbid_rule_closes_a_category_and_says_why(policy: Estate, fresh_engine: Engine) -> None:
    do_add_alert(policy.prisoner_a, "CYBER", actor=SETUP, starts_on=dt.date(2026, 11, 1))
    categories = summary(fresh_engine, ALAN, THURSDAY_10)
    news = categories["NEWS"]
    assert news.status == Status.CLOSED
    assert news.reasons == ("People with an IT misuse alert cannot read news sites.",)
    assert site(categories, "BBC News").opens_at is None
    assert categories["EDUCATION"].status == Status.OPEN  # the forbid is for news only


def test_a_forbid_with_hours_opens_again_when_its_hours_end(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    load_policy(
        "rules:\n  - {id: no-late-news, forbid: [NEWS], hours: 'Mon-Sun 21:00-24:00', "
        "description: News sites close at 9pm.}\n"
    )
    bbc = site(summary(fresh_engine, ALAN, THURSDAY_22), "BBC News")
    assert (bbc.status, bbc.opens_at) == (Status.LATER, at("2026-11-27T00:00:00+00:00"))
    assert bbc.reasons == ("News sites close at 9pm.",)


def test_a_forbid_from_one_place_is_shown_as_not_from_there(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    load_policy("rules:\n  - {id: no-workshop-news, forbid: [NEWS], locations: [WORKSHOP]}\n")
    bbc = site(summary(fresh_engine, ALAN, THURSDAY_10), "BBC News")
    assert bbc.status == Status.OPEN
    assert bbc.not_from == ("WORKSHOP",)
    assert not bbc.allows_from("WORKSHOP") and bbc.allows_from("CELL") and bbc.allows_from(None)


def test_an_exception_opens_a_category_outside_its_hours_and_says_until_when(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    load_policy(
        "exceptions:\n  - {prisoner: A1234BC, allow: {category: EDUCATION}, until: 2027-01-31, "
        "reason: Access course}\n"
    )
    categories = summary(fresh_engine, ALAN, THURSDAY_22)
    openlearn = site(categories, "OpenLearn")
    assert openlearn.status == Status.OPEN and openlearn.only_from == ()
    assert openlearn.given_to_you == (
        "You have been given access to Education sites until 31 January 2027 (Access course).",
    )
    after = summary(fresh_engine, ALAN, "2027-02-01T22:00:00+00:00")
    assert site(after, "OpenLearn").status == Status.LATER  # back to the rule's hours


def test_an_exception_against_one_site_closes_only_that_site(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    load_policy(
        "exceptions:\n  - {prisoner: A1234BC, forbid: {site: OpenLearn}, until: 2027-01-31, "
        "reason: Misuse}\n"
    )
    categories = summary(fresh_engine, ALAN, THURSDAY_10)
    openlearn = site(categories, "OpenLearn")
    assert openlearn.status == Status.CLOSED
    assert openlearn.reasons == (
        "Staff have stopped your access to OpenLearn until 31 January 2027 (Misuse).",
    )
    assert site(categories, "Open University").status == Status.OPEN
    assert categories["EDUCATION"].status == Status.OPEN
    assert categories["EDUCATION"].closed_sites == (openlearn,)


def test_a_site_needing_more_clearance_is_closed_beside_open_ones(
    policy: Estate, fresh_engine: Engine
) -> None:
    employment = summary(fresh_engine, ALAN, THURSDAY_10)["EMPLOYMENT"]
    assert [s.name for s in employment.open_sites] == ["Find a job"]
    assert [s.name for s in employment.closed_sites] == ["Open prison jobs"]
    assert employment.reasons == ("Open prison jobs is only for people held in open conditions.",)


def test_a_category_nothing_grants_is_closed(policy: Estate, fresh_engine: Engine) -> None:
    do_review_incentive_level(policy.prisoner_a, "BAS", actor=SETUP, comment="Misuse")
    education = summary(fresh_engine, ALAN, THURSDAY_10)["EDUCATION"]
    assert education.grants == ()
    assert education.status == Status.CLOSED
    assert education.reasons == ("Nothing allows you to use Education sites.",)


def test_it_refuses_a_prisoner_not_in_the_snapshot(policy: Estate, fresh_engine: Engine) -> None:
    with pytest.raises(UnknownPrisoner):
        what_i_can_use(fresh_engine.snapshot(), "Z9999ZZ", at(THURSDAY_10))

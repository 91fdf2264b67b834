"""Properties of decide that must hold whatever the catalogue, rules and prisoners are."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import Estate
from wicketgate.testing.policy import IN_THE_POLICY_WEEK, THURSDAY_10

pytestmark = IN_THE_POLICY_WEEK

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
HOSTS = st.builds(lambda a, b: f"{a}.{b}.test", LABEL, LABEL)
MOMENTS = st.datetimes(
    # hypothesis wants naive bounds and adds the zone itself
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis draws naive times; the zone is added after
    max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001 - hypothesis draws naive times; the zone is added after
    timezones=st.just(dt.UTC),
)
LOCATIONS = st.sampled_from([None, "CELL", "EDUCATION", "LIBRARY", "KIOSK_AREA", "WORKSHOP"])


@SETTINGS
@given(host=HOSTS, moment=MOMENTS, location=LOCATIONS)
def test_a_host_not_in_the_catalogue_is_never_allowed(
    policy: Estate, fresh_engine: Engine, host: str, moment: dt.datetime, location: str | None
) -> None:
    for url in (f"https://{host}/", host):
        decision = fresh_engine.decide("A1234BC", url, at=moment, location=location)
        assert not decision.allowed
        assert decision.rules == ("catalogue:not-listed",)


@SETTINGS
@given(
    moment=MOMENTS,
    location=LOCATIONS,
    url=st.sampled_from(
        [
            "https://www.bbc.co.uk/",
            "https://findajob.dwp.gov.uk/",
            "https://www.open.edu/openlearn/",
        ]
    ),
)
def test_a_matching_forbid_always_wins(
    forbid_all_for_cyber: Estate,
    fresh_engine: Engine,
    moment: dt.datetime,
    location: str | None,
    url: str,
) -> None:
    decision = fresh_engine.decide("A1234BC", url, at=moment, location=location)
    assert not decision.allowed
    assert "rule:estate:nothing-for-cyber" in decision.rules


@SETTINGS
@given(
    moment=MOMENTS,
    location=LOCATIONS,
    url=st.sampled_from(
        [
            "https://www.bbc.co.uk/",
            "https://findajob.dwp.gov.uk/",
            "https://www.open.edu/openlearn/",
        ]
    ),
)
def test_changing_one_prisoner_never_changes_anothers_decision(
    policy: Estate, fresh_engine: Engine, moment: dt.datetime, location: str | None, url: str
) -> None:
    before = fresh_engine.decide("B2345CD", url, at=moment, location=location)
    prisoner = policy.prisoner_a
    prisoner.incentive_level = "BAS" if prisoner.incentive_level != "BAS" else "ENH"
    prisoner.security_category = "D" if prisoner.security_category != "D" else "B"
    prisoner.save()
    after = fresh_engine.decide("B2345CD", url, at=moment, location=location)
    assert (after.allowed, after.rules, after.reasons) == (
        before.allowed,
        before.rules,
        before.reasons,
    )


@SETTINGS
@given(minutes=st.integers(min_value=-600, max_value=600))
def test_an_exception_holds_to_the_end_of_its_day_and_not_a_minute_more(
    policy: Estate, fresh_engine: Engine, load_policy: Any, minutes: int
) -> None:
    load_policy(
        "exceptions:\n  - {prisoner: A1234BC, allow: {site: Find a job}, until: 2027-06-30, reason: Release plan}\n"
    )
    # Midnight at the end of 30 June 2027 in London (BST) is 23:00 UTC.
    moment = dt.datetime(2027, 6, 30, 23, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    decision = fresh_engine.decide(
        "A1234BC", "https://findajob.dwp.gov.uk/", at=moment, location="WORKSHOP"
    )
    assert decision.allowed is (minutes < 0)


def test_hours_are_checked_at_their_edges_in_local_time(
    policy: Estate, fresh_engine: Engine
) -> None:
    url = "https://www.open.edu/openlearn/"
    # Friday 27 March 2026 is GMT; Monday 30 March is BST: 08:00 local is 08:00 and 07:00 UTC.
    for moment, allowed in [
        ("2026-03-27T07:59:00+00:00", False),
        ("2026-03-27T08:00:00+00:00", True),
        ("2026-03-30T06:59:00+00:00", False),
        ("2026-03-30T07:00:00+00:00", True),
        ("2026-03-30T18:59:00+00:00", True),
        ("2026-03-30T19:00:00+00:00", False),
        (THURSDAY_10, True),
    ]:
        decision = fresh_engine.decide(
            "A1234BC", url, at=dt.datetime.fromisoformat(moment), location="CELL"
        )
        assert decision.allowed is allowed, moment

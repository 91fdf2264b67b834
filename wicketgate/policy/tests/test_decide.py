from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import cedarpy
import pytest
from click.testing import CliRunner

from wicketgate.cli import main
from wicketgate.people.actions import do_add_alert, do_review_incentive_level
from wicketgate.policy import compiler
from wicketgate.policy.engine import Engine, UnknownPrisoner
from wicketgate.policy.hosts import BadResource
from wicketgate.policy.models import Site
from wicketgate.testing.personas import SETUP, Estate
from wicketgate.testing.policy import IN_THE_POLICY_WEEK, THURSDAY_10, THURSDAY_22

pytestmark = IN_THE_POLICY_WEEK

ALAN = "A1234BC"  # STD at NGT, category B


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_it_allows_what_a_rule_grants_in_hours_from_the_right_place(
    policy: Estate, fresh_engine: Engine
) -> None:
    decision = fresh_engine.decide(
        ALAN, "https://www.open.edu/openlearn/course", at=at(THURSDAY_10), location="CELL"
    )
    assert decision.allowed
    assert decision.rules == ("rule:estate:std-learning",)
    assert decision.site == "OpenLearn"
    assert "Mon–Fri 08:00–20:00" in decision.reasons[0]


def test_it_denies_out_of_hours_and_says_when_it_opens(
    policy: Estate, fresh_engine: Engine
) -> None:
    decision = fresh_engine.decide(
        ALAN, "https://www.open.edu/openlearn/course", at=at(THURSDAY_22), location="CELL"
    )
    assert not decision.allowed
    assert decision.rules == ("default:deny",)
    assert decision.reasons == (
        "Education sites are open Mon–Fri 08:00–20:00; Sat–Sun 10:00–16:00.",
    )


def test_it_denies_from_a_place_the_rule_does_not_name(
    policy: Estate, fresh_engine: Engine
) -> None:
    decision = fresh_engine.decide(
        ALAN, "https://www.open.edu/openlearn/", at=at(THURSDAY_10), location="WORKSHOP"
    )
    assert not decision.allowed
    assert "can be used from: cell, education" in " ".join(decision.reasons)


def test_the_longest_path_prefix_picks_the_site(policy: Estate, fresh_engine: Engine) -> None:
    assert (
        fresh_engine.decide(
            ALAN, "https://www.open.edu/openlearn/x", at=at(THURSDAY_10), location="CELL"
        ).site
        == "OpenLearn"
    )
    assert (
        fresh_engine.decide(
            ALAN, "https://www.open.edu/courses", at=at(THURSDAY_10), location="CELL"
        ).site
        == "Open University"
    )
    # A subdomain matches only the wildcard site, which needs /openlearn/.
    assert fresh_engine.decide(ALAN, "https://learn.open.edu/other", at=at(THURSDAY_10)).rules == (
        "catalogue:not-listed",
    )


def test_it_denies_a_host_not_in_the_catalogue(policy: Estate, fresh_engine: Engine) -> None:
    decision = fresh_engine.decide(ALAN, "https://example.com/", at=at(THURSDAY_10))
    assert (decision.allowed, decision.rules) == (False, ("catalogue:not-listed",))
    assert "not in the catalogue" in decision.reasons[0]


def test_it_denies_a_path_rule_when_only_the_host_is_visible(
    policy: Estate, fresh_engine: Engine
) -> None:
    # learn.open.edu matches only the wildcard site, which is limited to /openlearn/.
    decision = fresh_engine.decide(ALAN, "learn.open.edu", at=at(THURSDAY_10), location="CELL")
    assert (decision.allowed, decision.rules) == (False, ("catalogue:needs-path",))


def test_a_matching_forbid_beats_a_grant(policy: Estate, fresh_engine: Engine) -> None:
    assert fresh_engine.decide(ALAN, "https://www.bbc.co.uk/news", at=at(THURSDAY_10)).allowed
    do_add_alert(policy.prisoner_a, "CYBER", actor=SETUP, starts_on=dt.date(2026, 11, 1))
    decision = fresh_engine.decide(ALAN, "https://www.bbc.co.uk/news", at=at(THURSDAY_10))
    assert not decision.allowed
    assert decision.rules == ("rule:estate:cyber-no-news",)
    assert decision.reasons == ("People with an IT misuse alert cannot read news sites.",)


def test_an_exception_cannot_beat_a_forbid(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    do_add_alert(policy.prisoner_a, "CYBER", actor=SETUP, starts_on=dt.date(2026, 11, 1))
    load_policy(
        "exceptions:\n  - {prisoner: A1234BC, allow: {site: BBC News}, until: 2027-01-31, reason: Course}\n"
    )
    decision = fresh_engine.decide(ALAN, "https://www.bbc.co.uk/", at=at(THURSDAY_10))
    assert not decision.allowed and "rule:estate:cyber-no-news" in decision.rules


def test_an_exception_allows_until_the_end_of_its_day(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    load_policy(
        "exceptions:\n  - {prisoner: A1234BC, allow: {category: EDUCATION}, until: 2027-01-31, reason: Access course}\n"
    )
    url = "https://www.open.edu/openlearn/"
    last_minute = fresh_engine.decide(
        ALAN, url, at=at("2027-01-31T23:59:00+00:00"), location="WORKSHOP"
    )
    assert last_minute.allowed and last_minute.rules == ("exception:allow-category",)
    assert "until 31 January 2027 (Access course)" in last_minute.reasons[0]
    assert not fresh_engine.decide(
        ALAN, url, at=at("2027-02-01T00:00:00+00:00"), location="WORKSHOP"
    ).allowed


def test_a_site_needs_the_clearance_it_asks_for(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    decision = fresh_engine.decide(
        ALAN, "https://jobs.example.org/", at=at(THURSDAY_10), location="CELL"
    )
    assert (decision.allowed, decision.rules) == (False, ("catalogue:clearance",))
    assert decision.reasons == ("Open prison jobs is only for people held in open conditions.",)


def test_a_site_past_its_review_date_stops_being_allowed(
    policy: Estate, fresh_engine: Engine
) -> None:
    Site.objects.filter(name="BBC News").update(review_by=dt.date(2026, 11, 25))
    Site.objects.get(name="BBC News").save()  # a change the engine hears of
    decision = fresh_engine.decide(ALAN, "https://www.bbc.co.uk/", at=at(THURSDAY_10))
    assert (decision.allowed, decision.rules) == (False, ("catalogue:review-overdue",))
    assert fresh_engine.decide(
        ALAN, "https://www.bbc.co.uk/", at=at("2026-11-25T12:00:00+00:00")
    ).allowed


def test_a_rule_for_one_establishment_applies_only_there(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[..., Any]
) -> None:
    load_policy("rules:\n  - {id: rvs-jobs, allow: [EMPLOYMENT]}\n", establishment=policy.b)
    assert fresh_engine.decide(
        "B2345CD", "https://findajob.dwp.gov.uk/", at=at(THURSDAY_22)
    ).rules == ("rule:RVS:rvs-jobs",)
    assert not fresh_engine.decide(
        ALAN, "https://findajob.dwp.gov.uk/", at=at(THURSDAY_22), location="CELL"
    ).allowed


def test_a_change_to_one_prisoner_is_seen_at_once(policy: Estate, fresh_engine: Engine) -> None:
    url = "https://www.open.edu/openlearn/"
    assert fresh_engine.decide(ALAN, url, at=at(THURSDAY_10), location="CELL").allowed
    version = fresh_engine.snapshot().version
    do_review_incentive_level(policy.prisoner_a, "BAS", actor=SETUP, comment="Repeated misuse")
    decision = fresh_engine.decide(ALAN, url, at=at(THURSDAY_10), location="CELL")
    assert not decision.allowed and decision.version > version


def test_any_evaluation_error_is_a_deny(
    policy: Estate, fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A forbid whose condition errs is skipped by Cedar; a prisoner missing an attribute
    # must therefore never come out allowed.
    real = compiler.principal_at

    def missing_alerts(slice_: Any, at: dt.datetime, *args: Any) -> dict[str, Any]:
        entity = real(slice_, at, *args)
        del entity["attrs"]["alerts"]
        return entity

    monkeypatch.setattr("wicketgate.policy.engine.principal_at", missing_alerts)
    decision = fresh_engine.decide(ALAN, "https://www.bbc.co.uk/", at=at(THURSDAY_10))
    assert (decision.allowed, decision.rules) == (False, ("engine:evaluation-error",))


def test_the_snapshot_refuses_an_entity_that_breaks_the_schema(
    policy: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = compiler.prisoner_entity
    monkeypatch.setattr(
        compiler, "prisoner_entity", lambda s, d, a=None: {**real(s, d, a), "attrs": {}}
    )
    with pytest.raises(ValueError):
        compiler.build_snapshot()


def test_it_refuses_an_unknown_prisoner_or_a_bad_url(policy: Estate, fresh_engine: Engine) -> None:
    with pytest.raises(UnknownPrisoner):
        fresh_engine.decide("Z9999ZZ", "https://www.bbc.co.uk/")
    with pytest.raises(BadResource):
        fresh_engine.decide(ALAN, "ftp://www.bbc.co.uk/")


def test_a_cached_answer_lasts_only_until_the_next_hours_edge(
    policy: Estate, fresh_engine: Engine
) -> None:
    url = "https://www.open.edu/openlearn/"
    first = fresh_engine.decide(ALAN, url, at=at("2026-11-26T19:59:00+00:00"), location="CELL")
    assert first.allowed and first.valid_until == at("2026-11-26T20:00:00+00:00")
    assert not fresh_engine.decide(
        ALAN, url, at=at("2026-11-26T20:00:00+00:00"), location="CELL"
    ).allowed


def test_the_command_exits_0_allowed_1_denied_2_bad_input(policy: Estate) -> None:
    import json

    from wicketgate.policy import engine as engine_module

    engine_module._engine = None
    run = CliRunner().invoke
    ok = run(main, ["decide", "--prisoner", ALAN, "--url", "https://www.bbc.co.uk/", "--json"])
    assert ok.exit_code == 0, ok.output
    body = json.loads(ok.output)
    assert body["decision"] == "allow" and body["rules"] == ["rule:estate:news"] and body["reasons"]
    denied = run(main, ["decide", "--prisoner", ALAN, "--url", "https://example.com/"])
    assert denied.exit_code == 1 and denied.output.startswith("DENY")
    assert (
        run(main, ["decide", "--prisoner", "Z9999ZZ", "--url", "https://example.com/"]).exit_code
        == 2
    )
    assert run(main, ["decide", "--prisoner", ALAN, "--url", "ftp://x.example/"]).exit_code == 2
    assert (
        run(
            main,
            ["decide", "--prisoner", ALAN, "--url", "https://example.com/", "--at", "yesterday"],
        ).exit_code
        == 2
    )
    assert (
        run(
            main,
            ["decide", "--prisoner", ALAN, "--url", "https://example.com/", "--location", "ROOF"],
        ).exit_code
        == 2
    )


def test_a_rule_change_recompiles_the_rules_but_keeps_every_prisoners_slice(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    before = fresh_engine.snapshot()
    assert not fresh_engine.decide(
        ALAN, "https://findajob.dwp.gov.uk/", at=at(THURSDAY_22), location="CELL"
    ).allowed
    load_policy("rules:\n  - {id: late-jobs, allow: [EMPLOYMENT]}\n")
    decision = fresh_engine.decide(
        ALAN, "https://findajob.dwp.gov.uk/", at=at(THURSDAY_22), location="CELL"
    )
    assert decision.allowed and decision.rules == ("rule:estate:late-jobs",)
    assert fresh_engine.snapshot().prisoners is before.prisoners  # not rebuilt


def test_a_change_that_commits_out_of_order_is_not_missed(
    policy: Estate, fresh_engine: Engine
) -> None:
    from wicketgate.people.models import Prisoner
    from wicketgate.policy.models import PolicyChange

    url = "https://www.open.edu/openlearn/"
    assert fresh_engine.decide(ALAN, url, at=at(THURSDAY_10), location="CELL").allowed
    version = fresh_engine.snapshot().version
    # Another transaction took id `version + 1` but commits after a later one (id + 2).
    PolicyChange.objects.create(id=version + 2, kind="policy")  # the later one, seen first
    assert fresh_engine.decide(ALAN, url, at=at(THURSDAY_10), location="CELL").allowed
    assert fresh_engine.snapshot().version == version + 2
    Prisoner.objects.filter(prison_number=ALAN).update(incentive_level="BAS")  # no signal
    PolicyChange.objects.create(id=version + 1, kind="prisoner", key=str(policy.prisoner_a.pk))
    assert not fresh_engine.decide(ALAN, url, at=at(THURSDAY_10), location="CELL").allowed


def test_one_prisoners_change_drops_only_their_cached_answers(
    policy: Estate, fresh_engine: Engine
) -> None:
    url = "https://www.bbc.co.uk/"
    alan = fresh_engine.decide(ALAN, url, at=at(THURSDAY_10))
    bilal = fresh_engine.decide("B2345CD", url, at=at(THURSDAY_10))
    assert fresh_engine.decide("B2345CD", url, at=at(THURSDAY_10)) is bilal  # from the cache
    do_add_alert(policy.prisoner_a, "CYBER", actor=SETUP, starts_on=dt.date(2026, 11, 1))
    assert fresh_engine.decide("B2345CD", url, at=at(THURSDAY_10)) is bilal  # still cached
    changed = fresh_engine.decide(ALAN, url, at=at(THURSDAY_10))
    assert changed is not alan and alan.allowed and not changed.allowed


def _twin(policy: Estate, number: str) -> Any:
    from wicketgate.people.models import Prisoner

    source = policy.prisoner_a
    return Prisoner.objects.create(
        prison_number=number,
        given_name="Twin",
        family_name="Ashdown",
        date_of_birth=source.date_of_birth,
        establishment=source.establishment,
        location=source.location,
        security_category=source.security_category,
        incentive_level=source.incentive_level,
        legal_status=source.legal_status,
    )


def test_people_with_the_same_profile_share_one_evaluation(
    policy: Estate, fresh_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _twin(policy, "T1111AA")
    calls = []
    real = cedarpy.is_authorized

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0]["principal"]["id"])
        return real(*args, **kwargs)

    monkeypatch.setattr("wicketgate.policy.engine.cedarpy.is_authorized", counted)
    url = "https://www.bbc.co.uk/"
    first = fresh_engine.decide(ALAN, url, at=at(THURSDAY_10))
    twin = fresh_engine.decide("T1111AA", url, at=at(THURSDAY_10))
    assert twin is first and calls == [ALAN]
    # Someone with another profile is evaluated for themselves.
    fresh_engine.decide("B2345CD", url, at=at(THURSDAY_10))
    assert calls == [ALAN, "B2345CD"]
    # A change of attribute is a change of profile: the twin's alert stops the sharing.
    from wicketgate.people.models import Prisoner

    do_add_alert(
        Prisoner.objects.get(prison_number="T1111AA"),
        "CYBER",
        actor=SETUP,
        starts_on=dt.date(2026, 11, 1),
    )
    assert not fresh_engine.decide("T1111AA", url, at=at(THURSDAY_10)).allowed
    assert fresh_engine.decide(ALAN, url, at=at(THURSDAY_10)).allowed


def test_a_prisoner_with_exceptions_of_their_own_shares_with_nobody(
    policy: Estate, fresh_engine: Engine, load_policy: Callable[[str], Any]
) -> None:
    from wicketgate.testing.policy import POLICY

    _twin(policy, "T1111AA")
    load_policy(
        POLICY
        + """
exceptions:
  - prisoner: T1111AA
    allow: {site: Find a job}
    until: 2026-12-31
    reason: Release planning
"""
    )
    url = "https://findajob.dwp.gov.uk/"
    late = at(THURSDAY_22)  # out of the learning rule's hours: only the exception allows
    assert not fresh_engine.decide(ALAN, url, at=late).allowed  # asked first: nothing to reuse
    assert fresh_engine.decide("T1111AA", url, at=late).allowed
    assert "Release planning" in fresh_engine.decide("T1111AA", url, at=late).reasons[0]

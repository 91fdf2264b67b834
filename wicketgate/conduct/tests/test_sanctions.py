"""Sanctions: the legal limits, suspension and activation, and their effect on decisions —
from the clock, to the exact boundary, lifted at once when quashed, never reaching legal
contact."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import TypedDict, Unpack

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.actions import (
    ConductError,
    do_activate_sanction,
    do_add_sanction,
    do_move_incident,
    do_quash_sanction,
)
from wicketgate.conduct.codes import Status
from wicketgate.conduct.models import Incident, Sanction
from wicketgate.conduct.tests.conftest import incident_in
from wicketgate.contacts.tests.conftest import approved_contact
from wicketgate.gateway.actions import GatewayError, do_open_device_session, do_register_device
from wicketgate.people.models import Prisoner
from wicketgate.policy.engine import LEGAL_EXEMPT, Engine
from wicketgate.policy.models import Category, PolicyChange, PrisonerException
from wicketgate.testing.personas import SETUP, Estate
from wicketgate.testing.policy import THURSDAY_10

pytestmark = pytest.mark.django_db

GOVERNOR = Actor("staff", "7", "governor.grey")
NEWS = "https://www.bbc.co.uk/news"
ALAN = "A1234BC"


def young(estate: Estate, *, age: int = 17, category: str = "YOI_CLOSED") -> Prisoner:
    today = timezone.localdate()
    return Prisoner.objects.create(
        prison_number="Y1234YY",
        given_name="Yan",
        family_name="Young",
        date_of_birth=today - relativedelta(years=age, days=30),
        establishment=estate.a,
        security_category=category,
        incentive_level="STD",
        legal_status="SENTENCED",
    )


class SanctionOptions(TypedDict, total=False):
    """The arguments of do_add_sanction a test may add to ``sanction``'s."""

    incident: Incident | None
    categories: Iterable[str]
    privilege: str
    starts_at: dt.datetime | None
    suspend_months: int | None


def sanction(
    prisoner: Prisoner, service: str = "web", days: int = 7, **kw: Unpack[SanctionOptions]
) -> Sanction:
    return do_add_sanction(
        prisoner=prisoner, service=service, days=days, reason="Proved charge", actor=GOVERNOR, **kw
    )


# --- limits ------------------------------------------------------------------------------


def test_an_adult_may_lose_a_privilege_for_42_days_and_not_a_day_more(world: Estate) -> None:
    assert sanction(world.prisoner_a, days=42).days == 42
    events = AuditEvent.objects.count()
    with pytest.raises(ConductError, match=r"^days 43: the most for A1234BC is 42 days \(adult"):
        sanction(world.prisoner_a, days=43)
    assert Sanction.objects.count() == 1 and AuditEvent.objects.count() == events


@pytest.mark.parametrize(("age", "category"), [(17, "C"), (17, "YOI_CLOSED"), (19, "YOI_OPEN")])
def test_under_18s_and_anyone_in_a_yoi_have_the_21_day_limit(
    world: Estate, age: int, category: str
) -> None:
    person = young(world, age=age, category=category)
    assert sanction(person, days=21).days == 21
    with pytest.raises(ConductError, match=r"^days 22: the most for Y1234YY is 21 days \(YOI"):
        sanction(person, days=22)


def test_days_must_be_a_positive_whole_number(world: Estate) -> None:
    for bad in (0, -3):
        with pytest.raises(ConductError, match=f"days {bad}"):
            sanction(world.prisoner_a, days=bad)


def test_suspension_is_limited_to_six_months_adult_and_four_months_yoi(world: Estate) -> None:
    adult = sanction(world.prisoner_a, suspend_months=6)
    assert adult.state() == "suspended" and adult.starts_at is None
    assert adult.suspended_until is not None
    assert 181 <= (adult.suspended_until - adult.created_at).days <= 184
    with pytest.raises(ConductError, match="suspend_months 7: between 1 and 6"):
        sanction(world.prisoner_a, suspend_months=7)
    person = young(world)
    assert sanction(person, suspend_months=4).state() == "suspended"
    with pytest.raises(ConductError, match=r"suspend_months 5: between 1 and 4 .*\(YOI"):
        sanction(person, suspend_months=5)


def test_bad_services_categories_and_incidents_are_refused(world: Estate) -> None:
    with pytest.raises(ConductError, match="service 'tv'"):
        sanction(world.prisoner_a, service="tv")
    with pytest.raises(ConductError, match="categories: no category GAMBLING"):
        sanction(world.prisoner_a, categories=["NEWS", "GAMBLING"])
    with pytest.raises(ConductError, match="only a web sanction"):
        sanction(world.prisoner_a, service="phone", categories=["NEWS"])
    with pytest.raises(ConductError, match="privilege: say which"):
        sanction(world.prisoner_a, service="privileges")
    with pytest.raises(ConductError, match="sanctions are given only for a proved charge"):
        sanction(world.prisoner_a, incident=incident_in(world.prisoner_a, Status.REPORTED))
    with pytest.raises(ConductError, match="about another prisoner"):
        sanction(world.prisoner_a, incident=incident_in(world.prisoner_b))
    with pytest.raises(ConductError, match="starts_at"):
        sanction(world.prisoner_a, starts_at=timezone.now() - dt.timedelta(days=1))
    assert not Sanction.objects.exists()


# --- effect on decisions -------------------------------------------------------------------


def test_a_web_sanction_denies_at_once_and_says_until_when(world: Estate, engine: Engine) -> None:
    assert engine.decide(ALAN, NEWS).allowed
    given = sanction(world.prisoner_a, days=3)
    decision = engine.decide(ALAN, NEWS)
    assert not decision.allowed and decision.rules == ("sanction:web",)
    ends = timezone.localtime(given.ends_at)
    assert decision.reasons == (
        f"A sanction has stopped your web access until {ends:%-d %B %Y at %H:%M} (Proved charge).",
    )
    assert PolicyChange.objects.filter(kind="prisoner", key=str(world.prisoner_a.pk)).exists()
    assert engine.decide("B2345CD", NEWS).allowed  # nobody else


@pytest.mark.time_machine(THURSDAY_10, tick=False)  # in the learning rule's hours
def test_a_category_sanction_stops_only_those_categories(world: Estate, engine: Engine) -> None:
    sanction(world.prisoner_a, categories=["NEWS"])
    news = engine.decide(ALAN, NEWS)
    assert not news.allowed and news.rules == ("sanction:web-category",)
    assert "your access to News sites" in news.reasons[0]
    assert engine.decide(ALAN, "https://www.open.edu/", location="CELL").allowed


def test_it_ends_by_itself_at_the_exact_moment_with_no_job(world: Estate, engine: Engine) -> None:
    start = timezone.now() + dt.timedelta(hours=1)
    given = sanction(world.prisoner_a, days=2, starts_at=start)
    assert given.ends_at == start + dt.timedelta(days=2)
    tick = dt.timedelta(microseconds=1)
    # The same engine answers each moment: the cached answer must not outlive its edge.
    assert engine.decide(ALAN, NEWS, at=start - tick).allowed
    assert not engine.decide(ALAN, NEWS, at=start).allowed
    assert not engine.decide(ALAN, NEWS, at=given.ends_at - tick).allowed
    assert engine.decide(ALAN, NEWS, at=given.ends_at).allowed
    assert engine.decide(ALAN, NEWS, at=given.ends_at + dt.timedelta(days=1)).allowed
    assert given.state(start - tick) == "pending"
    assert given.state(given.ends_at - tick) == "in_force"
    assert given.state(given.ends_at) == "served"


def test_quashing_lifts_it_at_once(world: Estate, engine: Engine) -> None:
    given = sanction(world.prisoner_a)
    assert not engine.decide(ALAN, NEWS).allowed
    do_quash_sanction(given, reason="Quashed on review", actor=GOVERNOR)
    assert engine.decide(ALAN, NEWS).allowed
    assert given.state() == "quashed"
    with pytest.raises(ConductError, match="already quashed"):
        do_quash_sanction(given, reason="again", actor=GOVERNOR)
    with pytest.raises(ConductError, match="reason"):
        do_quash_sanction(sanction(world.prisoner_a), reason=" ", actor=GOVERNOR)
    event = AuditEvent.objects.filter(action="conduct.sanction.quash").get()
    assert json.loads(event.details_json)["reason"] == "Quashed on review"


def test_a_device_sanction_stops_browsing_and_new_sessions(world: Estate, engine: Engine) -> None:
    device, _key = do_register_device(
        device_id="NGT-LT-1",
        establishment=world.a,
        location=world.a_cell,
        kind="laptop",
        actor=SETUP,
    )
    given = sanction(world.prisoner_a, service="device", days=5)
    decision = engine.decide(ALAN, NEWS)
    assert decision.rules == ("sanction:device",)
    assert "your use of devices until" in decision.reasons[0]
    with pytest.raises(GatewayError, match=f"lost the use of devices until .*{given.reference}"):
        do_open_device_session(
            prisoner=world.prisoner_a, device=device, actor=SETUP, address="127.0.0.1"
        )
    do_quash_sanction(given, reason="x", actor=GOVERNOR)
    do_open_device_session(
        prisoner=world.prisoner_a, device=device, actor=SETUP, address="127.0.0.1"
    )


def test_other_privileges_are_recorded_but_not_the_engines_to_enforce(
    world: Estate, engine: Engine
) -> None:
    tv = sanction(world.prisoner_a, service="privileges", privilege="In-cell TV")
    assert tv.restricts == "In-cell TV" and tv.state() == "in_force"
    assert engine.decide(ALAN, NEWS).allowed


# --- legal contact -----------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["video", "phone", "messages"])
def test_a_contact_sanction_never_reaches_legal_contact_and_the_decision_says_so(
    world: Estate, engine: Engine, channel: str
) -> None:
    solicitor = str(approved_contact(world.prisoner_a, "SOLICITOR").contact_id)
    mother = str(approved_contact(world.prisoner_a, "MOTHER").contact_id)
    before = engine.decide_contact(ALAN, channel, solicitor)
    assert before.allowed and LEGAL_EXEMPT not in before.rules
    assert before.obligations["privileged"] is True
    assert engine.decide_contact(ALAN, channel, mother).allowed
    sanction(world.prisoner_a, service=channel, days=10)
    family = engine.decide_contact(ALAN, channel, mother)
    assert not family.allowed and family.rules == (f"sanction:{channel}",)
    legal = engine.decide_contact(ALAN, channel, solicitor)
    assert legal.allowed and LEGAL_EXEMPT in legal.rules
    assert "does not apply to your legal adviser" in legal.reasons[-1]
    # A web sanction says nothing of calls, and a call sanction nothing of the web.
    assert engine.decide(ALAN, NEWS).allowed
    other = next(c for c in ("video", "phone", "messages") if c != channel)
    assert engine.decide_contact(ALAN, other, mother).allowed


def test_an_unknown_contact_is_refused_and_a_bad_channel_is_an_error(
    world: Estate, engine: Engine
) -> None:
    refused = engine.decide_contact(ALAN, "video", "999999")
    assert not refused.allowed and refused.rules == ("contact:not-approved",)
    with pytest.raises(ValueError, match="channel 'fax'"):
        engine.decide_contact(ALAN, "fax", "1")


# --- suspended sanctions -------------------------------------------------------------------


def test_a_suspended_sanction_applies_only_when_another_proved_charge_activates_it(
    world: Estate, engine: Engine
) -> None:
    first = incident_in(world.prisoner_a)
    suspended = sanction(world.prisoner_a, days=14, incident=first, suspend_months=6)
    assert engine.decide(ALAN, NEWS).allowed
    with pytest.raises(ConductError, match="the charge the sanction was given for"):
        do_activate_sanction(suspended, incident=first, actor=GOVERNOR)
    with pytest.raises(ConductError, match="only another proved charge"):
        do_activate_sanction(
            suspended, incident=incident_in(world.prisoner_a, Status.REPORTED), actor=GOVERNOR
        )
    second = incident_in(world.prisoner_a)
    with pytest.raises(ConductError, match="days 15: between 1 and the 14 suspended"):
        do_activate_sanction(suspended, incident=second, days=15, actor=GOVERNOR)
    active = do_activate_sanction(suspended, incident=second, days=5, actor=GOVERNOR)
    assert active.starts_at is not None
    assert active.state() == "in_force"
    assert active.ends_at == active.starts_at + dt.timedelta(days=5)
    assert not engine.decide(ALAN, NEWS).allowed
    with pytest.raises(ConductError, match="is in force, not suspended"):
        do_activate_sanction(active, incident=second, actor=GOVERNOR)
    # The activating charge quashed on appeal: suspended again, and allowed at once.
    do_move_incident(second, Status.APPEALED, actor=GOVERNOR, notes="grounds")
    do_move_incident(second, Status.QUASHED, actor=GOVERNOR)
    active.refresh_from_db()
    assert active.state() == "suspended" and active.quashed_at is None
    assert engine.decide(ALAN, NEWS).allowed
    assert AuditEvent.objects.filter(action="conduct.sanction.deactivate").count() == 1


def test_a_lapsed_suspension_cannot_be_activated(world: Estate) -> None:
    suspended = sanction(world.prisoner_a, suspend_months=1)
    Sanction.objects.filter(pk=suspended.pk).update(
        suspended_until=timezone.now() - dt.timedelta(seconds=1)
    )
    suspended.refresh_from_db()
    assert suspended.state() == "lapsed"
    with pytest.raises(ConductError, match="is lapsed, not suspended"):
        do_activate_sanction(suspended, incident=incident_in(world.prisoner_a), actor=GOVERNOR)


# --- the engine's shared answers -----------------------------------------------------------


def test_a_second_exception_or_sanction_is_never_answered_from_the_first(
    world: Estate, engine: Engine
) -> None:
    # People with exceptions have a profile of their own; a changed exception list must
    # be a new profile, or an answer from before the change would be reused.
    until = timezone.localdate() + dt.timedelta(days=30)
    news = Category.objects.get(code="NEWS")
    employment = Category.objects.get(code="EMPLOYMENT")
    PrisonerException.objects.create(
        prisoner=world.prisoner_a,
        effect="forbid",
        category=employment,
        until=until,
        reason="first",
        approved_by="x",
    )
    assert engine.decide(ALAN, NEWS).allowed
    PrisonerException.objects.create(
        prisoner=world.prisoner_a,
        effect="forbid",
        category=news,
        until=until,
        reason="second",
        approved_by="x",
    )
    assert not engine.decide(ALAN, NEWS).allowed

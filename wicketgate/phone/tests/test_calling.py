"""A call's life in the records: placed with its credit held, one at a time, answered,
ended and charged by the started minute (never past its limit, never below zero), and
settled at its limit when its end is never reported. The clock is frozen."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.actions import do_add_sanction
from wicketgate.gateway.actions import do_retire_device
from wicketgate.gateway.models import Device
from wicketgate.phone.actions import PhoneError, balance_pence, do_remove_phone_number
from wicketgate.phone.calling import (
    do_answer_phone_call,
    do_end_live_phone_call,
    do_end_phone_call,
    held_pence,
    place_call,
    settle_stale_calls,
)
from wicketgate.phone.codes import CallState, EndedBy
from wicketgate.phone.models import CreditEntry, PhoneCall, PhoneNumber
from wicketgate.phone.tests.test_decide import ADDRESS, HANDSET, THURSDAY_10, phone
from wicketgate.phone.watcher import PhoneWatcher
from wicketgate.policy.engine import Engine
from wicketgate.testing.personas import SETUP, Estate

pytestmark = pytest.mark.django_db
__all__ = ["phone"]  # the fixture, shared with test_decide


def place(at: dt.datetime = THURSDAY_10, number: str = "020 7946 0101") -> PhoneCall:
    decision, call = place_call(
        "A1234BC", number, handset=HANDSET, address=ADDRESS, sip_call_id="c1@h", at=at
    )
    assert decision.allowed and call is not None, decision
    return call


def test_a_placed_call_holds_the_credit_its_limit_could_cost_and_the_attempt_is_audited(
    phone: Estate,
) -> None:
    call = place()
    # £1.00 at 6p a started minute: 16 minutes allowed, 96p held.
    assert (call.state, call.limit_seconds, call.held_pence) == (CallState.CONNECTING, 960, 96)
    assert held_pence(phone.prisoner_a) == 96
    assert balance_pence(phone.prisoner_a) == 100  # held, not yet spent
    started = AuditEvent.objects.get(action="phone.call.start")
    assert started.details["number"] == "+442079460101" and started.details["recorded"] is True


def test_a_second_call_while_one_is_live_is_refused_busy_and_audited(phone: Estate) -> None:
    place()
    decision, second = place_call(
        "A1234BC",
        "020 7946 0101",
        handset=HANDSET,
        address=ADDRESS,
        sip_call_id="c2@h",
        at=THURSDAY_10 + dt.timedelta(seconds=20),
    )
    assert second is None and (decision.status, decision.rule) == (486, "call:busy")
    refused = AuditEvent.objects.get(action="phone.call.refused")
    assert refused.outcome == AuditEvent.Outcome.DENIED and refused.details["rule"] == "call:busy"


def test_a_refused_attempt_is_audited_with_its_rule(phone: Estate) -> None:
    decision, call = place_call(
        "A1234BC",
        "020 7946 0199",
        handset=HANDSET,
        address=ADDRESS,
        sip_call_id="c@h",
        at=THURSDAY_10,
    )
    assert call is None and not PhoneCall.objects.exists()
    refused = AuditEvent.objects.get(action="phone.call.refused")
    assert refused.details["rule"] == decision.rule == "number:not_on_list"
    assert refused.details["status"] == 404


@pytest.mark.parametrize(
    ("seconds", "pence"), [(0, 6), (1, 6), (60, 6), (61, 12), (960, 96), (5000, 96)]
)
def test_an_answered_call_is_charged_by_the_started_minute_never_past_its_limit(
    phone: Estate, seconds: int, pence: int
) -> None:
    call = place()
    assert do_answer_phone_call(call, dialog="1:2", at=THURSDAY_10)
    ended = do_end_phone_call(
        call, ended_by=EndedBy.CALLER, actor=SETUP, duration_seconds=seconds, at=THURSDAY_10
    )
    assert (ended.state, ended.charge_pence) == (CallState.ENDED, pence)
    assert balance_pence(phone.prisoner_a) == 100 - pence
    assert held_pence(phone.prisoner_a) == 0
    charges = CreditEntry.objects.filter(kind="charge")
    assert [(e.pence, e.balance_after) for e in charges] == (
        [(-pence, 100 - pence)] if pence else []
    )


def test_without_kamailios_count_the_duration_runs_from_the_answer(phone: Estate) -> None:
    call = place()
    do_answer_phone_call(call, dialog="1:2", at=THURSDAY_10)
    ended = do_end_phone_call(
        call,
        ended_by=EndedBy.CALLED,
        actor=SETUP,
        at=THURSDAY_10 + dt.timedelta(seconds=125),
    )
    assert (ended.duration_seconds, ended.charge_pence) == (125, 18)


def test_an_unanswered_call_costs_nothing_and_ending_twice_changes_nothing(
    phone: Estate,
) -> None:
    call = place()
    ended = do_end_phone_call(call, ended_by=EndedBy.FAILED, actor=SETUP, at=THURSDAY_10)
    assert (ended.state, ended.charge_pence) == (CallState.UNANSWERED, 0)
    again = do_end_phone_call(
        call, ended_by=EndedBy.CALLER, actor=SETUP, duration_seconds=300, at=THURSDAY_10
    )
    assert (again.state, again.ended_by, again.charge_pence) == (
        CallState.UNANSWERED,
        EndedBy.FAILED,
        0,
    )
    assert balance_pence(phone.prisoner_a) == 100
    # An answer that comes after the call was ended is refused: Kamailio hangs up.
    assert do_answer_phone_call(call, dialog="1:2") is False


def test_a_call_whose_end_is_never_reported_is_settled_at_its_limit_once_that_has_passed(
    phone: Estate,
) -> None:
    call = place()
    do_answer_phone_call(call, dialog="1:2", at=THURSDAY_10)
    during = THURSDAY_10 + dt.timedelta(seconds=960)
    assert settle_stale_calls(during) == []  # could still be going on
    after = THURSDAY_10 + dt.timedelta(seconds=960 + 31)
    [settled] = settle_stale_calls(after)
    assert (settled.ended_by, settled.duration_seconds, settled.charge_pence) == (
        EndedBy.UNREPORTED,
        960,
        96,
    )
    assert balance_pence(phone.prisoner_a) == 4
    assert PhoneCall.objects.live().count() == 0


def test_a_call_that_never_rang_through_is_settled_as_unanswered_after_ninety_seconds(
    phone: Estate,
) -> None:
    place()
    assert settle_stale_calls(THURSDAY_10 + dt.timedelta(seconds=89)) == []
    [settled] = settle_stale_calls(THURSDAY_10 + dt.timedelta(seconds=91))
    assert (settled.state, settled.charge_pence) == (CallState.UNANSWERED, 0)


def test_a_stale_call_does_not_block_the_next_call(phone: Estate) -> None:
    place()
    later = THURSDAY_10 + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        call = place(at=later)
    assert call.state == CallState.CONNECTING
    assert PhoneCall.objects.filter(state=CallState.UNANSWERED).count() == 1


def test_staff_end_a_live_call_with_a_reason_and_only_a_live_one(phone: Estate) -> None:
    call = place()
    do_answer_phone_call(call, dialog="7:8", at=THURSDAY_10)
    hung_up: list[int] = []
    with time_machine.travel(THURSDAY_10 + dt.timedelta(seconds=90), tick=False):
        ended = do_end_live_phone_call(
            call, reason="Threats heard", actor=SETUP, hang_up=hung_up.append
        )
    assert hung_up == [call.pk]
    assert (ended.ended_by, ended.end_reason, ended.charge_pence) == (
        EndedBy.STAFF,
        "Threats heard",
        12,
    )
    with pytest.raises(PhoneError, match="not live"):
        do_end_live_phone_call(ended, reason="Again", actor=SETUP, hang_up=hung_up.append)
    assert hung_up == [call.pk]


def test_a_ringing_call_ended_by_staff_is_not_hung_up_in_kamailio_until_it_answers(
    phone: Estate,
) -> None:
    call = place()
    hung_up: list[int] = []
    with time_machine.travel(THURSDAY_10, tick=False):
        do_end_live_phone_call(call, reason="Stop", actor=SETUP, hang_up=hung_up.append)
    assert hung_up == []  # no dialog yet: the answer is refused instead
    assert do_answer_phone_call(call, dialog="1:1") is False


@pytest.mark.parametrize("change", ["sanction", "number removed", "handset retired"])
def test_the_watcher_ends_a_live_call_the_records_no_longer_allow(
    phone: Estate, change: str
) -> None:
    call = place()
    do_answer_phone_call(call, dialog="3:4", at=THURSDAY_10)
    hung_up: list[int] = []
    watcher = PhoneWatcher(Engine(refresh_every=0), hang_up=hung_up.append)
    moment = THURSDAY_10 + dt.timedelta(seconds=30)
    with time_machine.travel(moment, tick=False):
        assert watcher.step(moment) == []  # still allowed: left alone
        if change == "sanction":
            do_add_sanction(
                prisoner=phone.prisoner_a, service="phone", days=3, reason="Abuse", actor=SETUP
            )
        elif change == "number removed":
            do_remove_phone_number(
                PhoneNumber.objects.get(), reason="Asked to be removed", actor=SETUP
            )
        else:
            do_retire_device(Device.objects.get(device_id=HANDSET), actor=SETUP)
        [ended] = watcher.step(moment)
    assert hung_up == [call.pk]
    assert ended.ended_by == EndedBy.POLICY and "No longer allowed" in ended.end_reason
    assert ended.charge_pence == 6

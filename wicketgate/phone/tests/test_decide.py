"""The question Kamailio asks for every call: allowed, refused with which SIP status and
rule, and for how long an allowed call may last."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from wicketgate.conduct.actions import do_add_sanction
from wicketgate.contacts.actions import do_add_official, do_add_restriction
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.tests import data as contact_data
from wicketgate.gateway.actions import do_register_device, do_retire_device
from wicketgate.people.actions import do_add_alert
from wicketgate.phone.actions import (
    do_add_phone_credit,
    do_add_phone_number,
    do_request_phone_number,
)
from wicketgate.phone.decide import CallDecision, decide_call
from wicketgate.phone.models import BarredNumber, PhoneCredit, PhoneNumber, PhoneSettings
from wicketgate.testing.personas import SETUP, Estate

pytestmark = pytest.mark.django_db

# Thursday 26 November 2026, 10:00 in London (GMT): inside the default 08:00–21:00.
THURSDAY_10 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
HANDSET, ADDRESS = "NGT-PH-1", "10.20.0.5"
MUM = "+442079460101"


@pytest.fixture
def phone(estate: Estate) -> Estate:
    """A wing phone at A, Mum's number on the prisoner at A's list, and £1.00 of credit."""
    do_register_device(
        device_id=HANDSET,
        establishment=estate.a,
        location=estate.a_wing,
        kind="phone",
        address=ADDRESS,
        actor=SETUP,
    )
    do_add_phone_number(estate.prisoner_a, MUM, name="Mum", kind="social", actor=SETUP)
    do_add_phone_credit(estate.prisoner_a, 100, reason="Private cash", actor=SETUP)
    return estate


def solicitors_number(estate: Estate) -> None:
    """The prisoner at A's solicitor, with her number (020 7946 0102) on the list as legal."""
    solicitor = do_add_official(
        estate.prisoner_a,
        given_name="Sol",
        family_name="Icitor",
        relationship="SOLICITOR",
        actor=SETUP,
    )
    do_add_phone_number(
        estate.prisoner_a,
        "020 7946 0102",
        name="Sol",
        kind="legal",
        contact_link=solicitor,
        actor=SETUP,
    )


def call(dialled: str = "020 7946 0101", **changes: str) -> CallDecision:
    asked = {"prison_number": "A1234BC", "handset": HANDSET, "address": ADDRESS, **changes}
    return decide_call(
        asked["prison_number"], dialled, handset=asked["handset"], address=asked["address"]
    )


@time_machine.travel(THURSDAY_10, tick=False)
def test_an_approved_number_is_allowed_for_as_long_as_the_credit_lasts(phone: Estate) -> None:
    decision = call()
    assert decision.allowed and decision.rule == "ok"
    # £1.00 at 6p a started minute pays for 16 whole minutes: less than the longest call.
    assert (decision.limit_seconds, decision.record, decision.number) == (960, True, MUM)


@time_machine.travel(THURSDAY_10, tick=False)
def test_the_longest_call_and_the_end_of_phone_hours_limit_it_too(phone: Estate) -> None:
    do_add_phone_credit(phone.prisoner_a, 3000, reason="Wages", actor=SETUP)
    assert decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS).limit_seconds == 30 * 60
    with time_machine.travel(dt.datetime(2026, 11, 26, 20, 50, tzinfo=dt.UTC), tick=False):
        assert decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS).limit_seconds == 600
    # Windows that meet run on: 08:00–12:00 then 12:00–21:00 closes at 21:00.
    PhoneSettings.objects.create(
        establishment=phone.a,
        hours="Mon-Sun 08:00-12:00; Mon-Sun 12:00-21:00",
        max_call_minutes=720,
    )
    with time_machine.travel(dt.datetime(2026, 11, 26, 11, 0, tzinfo=dt.UTC), tick=False):
        decision = decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS)
        assert decision.limit_seconds == min(10 * 3600, (100 + 3000) // 6 * 60)


@time_machine.travel(THURSDAY_10, tick=False)
def test_a_legal_call_is_never_recorded_and_a_free_number_needs_no_credit(phone: Estate) -> None:
    solicitors_number(phone)
    legal = decide_call("A1234BC", "020 7946 0102", handset=HANDSET, address=ADDRESS)
    assert legal.allowed and legal.record is False
    do_add_phone_number(
        phone.prisoner_a, "0808 808 4994", name="Helpline", kind="official", actor=SETUP
    )
    PhoneSettings.objects.create(establishment=phone.a)
    PhoneCredit.objects.filter(prisoner=phone.prisoner_a).update(balance_pence=0)
    free = decide_call("A1234BC", "0808 808 4994", handset=HANDSET, address=ADDRESS)
    assert (free.allowed, free.pence_a_minute, free.limit_seconds) == (True, 0, 30 * 60)
    broke = decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS)
    assert (broke.allowed, broke.status, broke.rule) == (False, 402, "credit:none")


@time_machine.travel(THURSDAY_10, tick=False)
@pytest.mark.parametrize(
    ("changes", "status", "rule"),
    [
        ({"handset": "NGT-PH-9"}, 403, "handset:unknown"),
        ({"handset": "NGT-A-LAPTOP-01"}, 403, "handset:unknown"),
        ({"address": "10.20.0.6"}, 403, "handset:address"),
        ({"prison_number": "B2345CD"}, 403, "prisoner:elsewhere"),  # held at B
        ({"prison_number": "Z9999ZZ"}, 403, "prisoner:elsewhere"),
        ({"dialled": "020 7946 0199"}, 404, "number:not_on_list"),
        ({"dialled": "999"}, 404, "number:not_on_list"),
        ({"dialled": "not a number"}, 404, "number:not_on_list"),
    ],
)
def test_it_refuses_with_the_sip_status_and_rule(
    phone: Estate, changes: dict[str, str], status: int, rule: str
) -> None:
    dialled = changes.pop("dialled", "020 7946 0101")
    decision = call(dialled, **changes)
    assert (decision.allowed, decision.status, decision.rule) == (False, status, rule)


@time_machine.travel(THURSDAY_10, tick=False)
def test_it_refuses_a_retired_handset_a_waiting_or_barred_number_and_outside_hours(
    phone: Estate,
) -> None:
    do_request_phone_number(
        phone.prisoner_a, "020 7946 0103", name="Dan", kind="social", actor=SETUP
    )
    waiting = decide_call("A1234BC", "020 7946 0103", handset=HANDSET, address=ADDRESS)
    assert (waiting.status, waiting.rule) == (404, "number:waiting")
    # A bar that lands while the number is still on the list (it comes off every list).
    BarredNumber.objects.create(number=MUM, reason="x", barred_by="x", barred_at=THURSDAY_10)
    assert decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS).rule == "number:barred"
    BarredNumber.objects.all().delete()
    with time_machine.travel(dt.datetime(2026, 11, 26, 21, 0, tzinfo=dt.UTC), tick=False):
        late = decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS)
        assert (late.status, late.rule) == (480, "hours:closed")
    PhoneSettings.objects.create(establishment=phone.a, hours="Mon-Sun 25:00-26:00")
    assert decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS).rule == "hours:unreadable"
    PhoneSettings.objects.all().delete()
    phone.a.features = {**phone.a.features, "phone_calls": False}
    phone.a.save()
    assert decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS).rule == "feature:off"
    phone.a.features = {**phone.a.features, "phone_calls": True}
    phone.a.save()
    from wicketgate.gateway.models import Device

    do_retire_device(Device.objects.get(device_id=HANDSET), actor=SETUP)
    assert decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS).rule == "handset:unknown"


@time_machine.travel(THURSDAY_10, tick=False)
def test_a_phone_sanction_stops_social_calls_but_never_a_legal_adviser(phone: Estate) -> None:
    solicitors_number(phone)
    do_add_sanction(
        prisoner=phone.prisoner_a, service="phone", days=7, reason="Abuse of the phone", actor=SETUP
    )
    social = decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS)
    assert (social.allowed, social.rule) == (False, "sanction:phone")
    legal = decide_call("A1234BC", "020 7946 0102", handset=HANDSET, address=ADDRESS)
    assert (legal.allowed, legal.record) == (True, False)
    # A number labelled legal that has lost its legal adviser is nobody's: not privileged,
    # and the sanction stops it.
    PhoneNumber.objects.filter(kind="legal").update(contact_link=None)
    orphan = decide_call("A1234BC", "020 7946 0102", handset=HANDSET, address=ADDRESS)
    assert (orphan.allowed, orphan.rule) == (False, "sanction:phone")


@time_machine.travel(THURSDAY_10, tick=False)
def test_a_ban_on_the_contact_a_number_belongs_to_stops_the_call(phone: Estate) -> None:
    rita = contact_data.link(phone, LinkStatus.APPROVED)
    do_add_phone_number(
        phone.prisoner_a, "07911 123456", name="Rita", kind="social", contact_link=rita, actor=SETUP
    )
    assert decide_call("A1234BC", "07911 123456", handset=HANDSET, address=ADDRESS).allowed
    do_add_restriction(rita, code="BAN", reason="Passed items", actor=SETUP)
    banned = decide_call("A1234BC", "07911 123456", handset=HANDSET, address=ADDRESS)
    assert banned.allowed is False and banned.rule.startswith("contact:")
    assert banned.status == 403


@time_machine.travel(THURSDAY_10, tick=False)
def test_a_number_that_is_nobodys_contact_is_not_called_while_a_protective_alert_is_on(
    phone: Estate,
) -> None:
    """Security review: an unlinked social number (say, a victim's, asked for under another
    name) would skip the contact policy; with a victim or child-contact alert it is refused."""
    assert decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS).allowed
    do_add_alert(phone.prisoner_a, "VICTIM", actor=SETUP)
    refused = decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS)
    assert (refused.allowed, refused.rule) == (False, "contact:unverified")
    # A number that belongs to an approved contact is for the contact policy to decide.
    rita = contact_data.link(phone, LinkStatus.APPROVED)
    do_add_phone_number(
        phone.prisoner_a, "07911 123456", name="Rita", kind="social", contact_link=rita, actor=SETUP
    )
    assert decide_call("A1234BC", "07911 123456", handset=HANDSET, address=ADDRESS).allowed


@time_machine.travel(dt.datetime(2026, 11, 26, 20, 59, 30, tzinfo=dt.UTC), tick=False)
def test_a_call_is_not_connected_for_less_than_a_minute(phone: Estate) -> None:
    """Security review: a limit of 0 reads, to Kamailio's dialog module, as no limit."""
    closing = decide_call("A1234BC", MUM, handset=HANDSET, address=ADDRESS)
    assert (closing.allowed, closing.status, closing.rule) == (False, 480, "hours:closing")

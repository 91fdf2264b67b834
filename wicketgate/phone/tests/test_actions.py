"""Numbers on a prisoner's list, bars, phone PINs and credit: each change audited, and a
refused one writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.actions import do_add_official
from wicketgate.contacts.codes import LinkStatus
from wicketgate.contacts.tests import data as contact_data
from wicketgate.phone.actions import (
    PhoneError,
    balance_pence,
    digest_ha1,
    do_add_phone_credit,
    do_add_phone_number,
    do_bar_number,
    do_change_phone_pin,
    do_decide_phone_number,
    do_lift_number_bar,
    do_remove_phone_number,
    do_request_phone_number,
    do_set_phone_pin,
)
from wicketgate.phone.codes import NumberStatus
from wicketgate.phone.models import (
    BarredNumber,
    CreditEntry,
    PhoneAccount,
    PhoneCredit,
    PhoneNumber,
)
from wicketgate.testing.personas import SETUP, Estate

pytestmark = pytest.mark.django_db

MUM = "020 7946 0000"
PRISONER = Actor("prisoner", "1", "A1234BC")


def events(action: str) -> list[dict[str, object]]:
    return [
        json.loads(e.details_json) for e in AuditEvent.objects.filter(action=action).order_by("seq")
    ]


def test_staff_add_a_number_approved_in_e164(estate: Estate) -> None:
    entry = do_add_phone_number(estate.prisoner_a, MUM, name="Mum", kind="social", actor=SETUP)
    assert (entry.number, entry.status, entry.destination) == (
        "+442079460000",
        NumberStatus.APPROVED,
        "uk_landline",
    )
    assert events("phone.number.add") == [
        {"number": "+442079460000", "name": "Mum", "kind": "social", "entry": entry.pk}
    ]


def test_a_prisoner_asks_and_staff_decide(estate: Estate) -> None:
    asked = do_request_phone_number(
        estate.prisoner_a, "07911 123456", name="Sister", kind="social", actor=PRISONER
    )
    assert asked.status == NumberStatus.REQUESTED
    with pytest.raises(PhoneError, match="reason: say why"):
        do_decide_phone_number(asked, approve=False, actor=SETUP)
    refused = do_decide_phone_number(asked, approve=False, reason="Not her number", actor=SETUP)
    assert refused.status == NumberStatus.REFUSED
    with pytest.raises(PhoneError, match="not waiting for staff"):
        do_decide_phone_number(refused, approve=True, actor=SETUP)
    again = do_request_phone_number(
        estate.prisoner_a, "07911 123456", name="Sister", kind="social", actor=PRISONER
    )
    assert do_decide_phone_number(again, approve=True, actor=SETUP).status == "approved"
    assert [e["kind"] for e in events("phone.number.approve")] == ["social"]


def test_a_number_is_on_a_list_once(estate: Estate) -> None:
    do_add_phone_number(estate.prisoner_a, MUM, name="Mum", kind="social", actor=SETUP)
    with pytest.raises(PhoneError, match="number: \\+442079460000 is on A1234BC's list already"):
        do_request_phone_number(
            estate.prisoner_a, "+442079460000", name="M", kind="social", actor=PRISONER
        )
    # Another prisoner may have the same number.
    do_add_phone_number(estate.prisoner_b, MUM, name="Aunt", kind="social", actor=SETUP)
    # And the database holds the line even if two adds race past the check.
    with pytest.raises(IntegrityError), transaction.atomic():
        PhoneNumber.objects.create(
            prisoner=estate.prisoner_a,
            number="+442079460000",
            destination="uk_landline",
            name="Race",
            kind="social",
            status="requested",
            requested_by="x",
            requested_at=PhoneNumber.objects.first().requested_at,  # type: ignore[union-attr]  # one was added just above
        )


def test_social_numbers_stop_at_the_incentive_levels_cap(estate: Estate, settings: Any) -> None:
    settings.WICKETGATE_PHONE_SOCIAL_NUMBERS = {
        **settings.WICKETGATE_PHONE_SOCIAL_NUMBERS,
        "STD": 2,
    }
    do_add_phone_number(estate.prisoner_a, "07911 100001", name="A", kind="social", actor=SETUP)
    do_request_phone_number(
        estate.prisoner_a, "07911 100002", name="B", kind="social", actor=PRISONER
    )
    with pytest.raises(PhoneError, match="may have 2 social numbers at Standard, and has 2"):
        do_request_phone_number(
            estate.prisoner_a, "07911 100003", name="C", kind="social", actor=PRISONER
        )
    # Official and legal numbers are not counted.
    do_add_phone_number(
        estate.prisoner_a, "020 7946 0001", name="Probation", kind="official", actor=SETUP
    )
    assert PhoneNumber.objects.filter(prisoner=estate.prisoner_a).count() == 3


def test_a_legal_number_linked_to_a_contact_must_be_a_legal_advisers(estate: Estate) -> None:
    probation = do_add_official(
        estate.prisoner_a,
        given_name="Pat",
        family_name="Officer",
        relationship="PROBATION",
        actor=SETUP,
    )
    solicitor = do_add_official(
        estate.prisoner_a,
        given_name="Sol",
        family_name="Icitor",
        relationship="SOLICITOR",
        actor=SETUP,
    )
    with pytest.raises(PhoneError, match="contact_link: a legal number belongs to a legal adviser"):
        do_add_phone_number(
            estate.prisoner_a, MUM, name="Pat", kind="legal", contact_link=probation, actor=SETUP
        )
    entry = do_add_phone_number(
        estate.prisoner_a, MUM, name="Sol", kind="legal", contact_link=solicitor, actor=SETUP
    )
    assert entry.contact_link == solicitor
    # A contact on another prisoner's list, or not approved, is refused.
    waiting = contact_data.link(estate, LinkStatus.CONFIRMED)
    with pytest.raises(PhoneError, match="not an approved contact of A1234BC"):
        do_add_phone_number(
            estate.prisoner_a,
            "07911 123456",
            name="Rita",
            kind="social",
            contact_link=waiting,
            actor=SETUP,
        )


def test_a_barred_number_comes_off_every_list_and_cannot_come_back(estate: Estate) -> None:
    on_a = do_add_phone_number(estate.prisoner_a, MUM, name="Mum", kind="social", actor=SETUP)
    on_b = do_request_phone_number(
        estate.prisoner_b, MUM, name="Her", kind="social", actor=PRISONER
    )
    bar = do_bar_number("+44 20 7946 0000", reason="Owner asked", actor=SETUP)
    for entry in (on_a, on_b):
        entry.refresh_from_db()
        assert entry.status == NumberStatus.REMOVED
        # Prisoners read that it is barred, not the staff's reason.
        assert entry.decision_reason == "Barred for everyone at the request of the number's owner"
    with pytest.raises(PhoneError, match="barred for everyone"):
        do_add_phone_number(estate.prisoner_a, MUM, name="Mum", kind="social", actor=SETUP)
    # A prisoner asking is not told that it is barred, nor why.
    with pytest.raises(PhoneError) as asked:
        do_request_phone_number(estate.prisoner_a, MUM, name="Mum", kind="social", actor=PRISONER)
    assert (
        str(asked.value)
        == "number: +442079460000 cannot be added: ask staff if you think it should be"
    )
    with pytest.raises(PhoneError, match="barred already"):
        do_bar_number(MUM, reason="Again", actor=SETUP)
    assert len(events("phone.number.remove")) == 2
    do_lift_number_bar(bar, reason="Owner changed their mind", actor=SETUP)
    assert not BarredNumber.objects.exists()
    do_add_phone_number(estate.prisoner_a, MUM, name="Mum", kind="social", actor=SETUP)


def test_removing_a_number_says_why(estate: Estate) -> None:
    entry = do_add_phone_number(estate.prisoner_a, MUM, name="Mum", kind="social", actor=SETUP)
    with pytest.raises(PhoneError, match="reason"):
        do_remove_phone_number(entry, reason=" ", actor=SETUP)
    do_remove_phone_number(entry, reason="Asked by the prisoner", actor=SETUP)
    with pytest.raises(PhoneError, match="not on the list"):
        do_remove_phone_number(entry, reason="Again", actor=SETUP)


def test_the_phone_pin_is_kept_as_the_sip_digest_only(estate: Estate, settings: Any) -> None:
    settings.WICKETGATE_PHONE_REALM = "ngt.example"
    assert do_set_phone_pin(estate.prisoner_a, "2468", actor=SETUP) == "2468"
    account = PhoneAccount.objects.get(prisoner=estate.prisoner_a)
    assert account.realm == "ngt.example"
    # RFC 2617's HA1, as a SIP server computes it: MD5("user:realm:password").
    assert account.ha1 == digest_ha1("A1234BC", "ngt.example", "2468")
    assert digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life") == (
        "939e7578ed9e3c518a452acee763bce9"  # RFC 2617 section 3.5's example
    )
    assert "2468" not in json.dumps(events("phone.pin.set"))
    generated = do_set_phone_pin(estate.prisoner_a, actor=SETUP)
    assert len(generated) == 6 and generated.isdigit()
    account.refresh_from_db()
    assert account.ha1 == digest_ha1("A1234BC", "ngt.example", generated)


@pytest.mark.parametrize(
    ("pin", "problem"),
    [
        ("123", "4 to 8 digits"),
        ("123456789", "4 to 8 digits"),
        ("12a4", "4 to 8 digits"),
        ("１２３４", "4 to 8 digits"),
        ("0000", "too easy"),
        ("1234", "too easy"),
        ("9876", "too easy"),
    ],
)
def test_a_phone_pin_is_4_to_8_digits_and_not_obvious(
    estate: Estate, pin: str, problem: str
) -> None:
    with pytest.raises(PhoneError, match=problem):
        do_set_phone_pin(estate.prisoner_a, pin, actor=SETUP)
    assert not PhoneAccount.objects.exists()


def test_credit_is_added_up_to_the_levels_limit(estate: Estate, settings: Any) -> None:
    settings.WICKETGATE_PHONE_CREDIT_LIMIT_PENCE = {
        **settings.WICKETGATE_PHONE_CREDIT_LIMIT_PENCE,
        "STD": 1000,
    }
    first = do_add_phone_credit(estate.prisoner_a, 600, reason="Private cash", actor=SETUP)
    assert (first.pence, first.balance_after) == (600, 600)
    with pytest.raises(PhoneError, match="at most £10.00 .* they have £6.00, so at most £4.00"):
        do_add_phone_credit(estate.prisoner_a, 401, reason="Private cash", actor=SETUP)
    do_add_phone_credit(estate.prisoner_a, 400, reason="Private cash", actor=SETUP)
    assert balance_pence(estate.prisoner_a) == 1000
    assert list(CreditEntry.objects.values_list("balance_after", flat=True)) == [1000, 600]
    assert [e["balance"] for e in events("phone.credit.add")] == [600, 1000]
    for pence in (0, -5):
        with pytest.raises(PhoneError, match="pence"):
            do_add_phone_credit(estate.prisoner_a, pence, reason="x", actor=SETUP)
    # The balance can never go below zero, whatever writes it.
    with pytest.raises(IntegrityError), transaction.atomic():
        PhoneCredit.objects.filter(prisoner=estate.prisoner_a).update(balance_pence=-1)


def test_the_prisoner_changes_their_phone_pin_giving_the_one_they_have(estate: Estate) -> None:
    with pytest.raises(PhoneError, match="current: you have no phone PIN yet"):
        do_change_phone_pin(estate.prisoner_a, "2468", "3579", actor=PRISONER)
    do_set_phone_pin(estate.prisoner_a, "2468", actor=SETUP)
    with pytest.raises(PhoneError, match="new: too easy to guess"):
        do_change_phone_pin(estate.prisoner_a, "2468", "1111", actor=PRISONER)
    with pytest.raises(PhoneError, match="new: choose a PIN you do not have now"):
        do_change_phone_pin(estate.prisoner_a, "2468", "2468", actor=PRISONER)
    do_change_phone_pin(estate.prisoner_a, "2468", "3579", actor=PRISONER)
    account = PhoneAccount.objects.get(prisoner=estate.prisoner_a)
    assert account.ha1 == digest_ha1("A1234BC", account.realm, "3579")
    assert account.pin_set_by == "A1234BC"
    assert len(events("phone.pin.change")) == 1


def test_wrong_phone_pins_slow_down_further_tries_until_staff_set_one(
    estate: Estate, settings: Any
) -> None:
    settings.WICKETGATE_PIN_FAILURE_LIMIT = 3
    settings.WICKETGATE_PIN_BACKOFF_SECONDS = 30
    do_set_phone_pin(estate.prisoner_a, "2468", actor=SETUP)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            with pytest.raises(PhoneError, match="current: that is not your phone PIN"):
                do_change_phone_pin(estate.prisoner_a, "1357", "3579", actor=PRISONER)
        # The third wrong one starts a wait: now even the right PIN is refused unchecked.
        with pytest.raises(PhoneError, match="too many wrong phone PINs: try again after"):
            do_change_phone_pin(estate.prisoner_a, "2468", "3579", actor=PRISONER)
        assert [e["failures"] for e in events("phone.pin.wrong")] == [1, 2, 3]
        assert events("phone.pin.wrong")[-1]["blocked_seconds"] == 30
        clock.shift(31)
        # After the wait, one more wrong PIN doubles it.
        with pytest.raises(PhoneError, match="that is not your phone PIN"):
            do_change_phone_pin(estate.prisoner_a, "1357", "3579", actor=PRISONER)
        assert events("phone.pin.wrong")[-1]["blocked_seconds"] == 60
        # Staff giving a PIN clears the count.
        do_set_phone_pin(estate.prisoner_a, "8642", actor=SETUP)
        do_change_phone_pin(estate.prisoner_a, "8642", "3579", actor=PRISONER)
    account = PhoneAccount.objects.get(prisoner=estate.prisoner_a)
    assert (account.failures, account.blocked_until) == (0, None)


def test_a_legal_number_a_prisoner_asks_for_needs_a_verified_legal_adviser(
    estate: Estate,
) -> None:
    """Legal calls are never recorded: a friend's number called "my solicitor" must not
    slip through as one."""
    asked = do_request_phone_number(
        estate.prisoner_a, MUM, name="My solicitor", kind="legal", actor=PRISONER
    )
    with pytest.raises(PhoneError, match="contact_link: a legal number is approved only as"):
        do_decide_phone_number(asked, approve=True, actor=SETUP)
    probation = do_add_official(
        estate.prisoner_a,
        given_name="Pat",
        family_name="Officer",
        relationship="PROBATION",
        actor=SETUP,
    )
    with pytest.raises(PhoneError, match="a legal number belongs to a legal adviser"):
        do_decide_phone_number(asked, approve=True, contact_link=probation, actor=SETUP)
    solicitor = do_add_official(
        estate.prisoner_a,
        given_name="Sol",
        family_name="Icitor",
        relationship="SOLICITOR",
        actor=SETUP,
    )
    approved = do_decide_phone_number(asked, approve=True, contact_link=solicitor, actor=SETUP)
    assert (approved.status, approved.contact_link) == ("approved", solicitor)


def test_a_legal_advisers_number_is_a_legal_number_and_names_are_one_line(estate: Estate) -> None:
    """Security review: a solicitor's number approved as "official" would be recorded; a
    name with a new line could forge a line of `phone number list`."""
    solicitor = do_add_official(
        estate.prisoner_a,
        given_name="Sol",
        family_name="Icitor",
        relationship="SOLICITOR",
        actor=SETUP,
    )
    with pytest.raises(
        PhoneError, match="contact_link: a legal adviser's number is a legal number"
    ):
        do_add_phone_number(
            estate.prisoner_a, MUM, name="Sol", kind="official", contact_link=solicitor, actor=SETUP
        )
    with pytest.raises(PhoneError, match="contact_link: a legal number is approved only as"):
        do_add_phone_number(estate.prisoner_a, MUM, name="My brief", kind="legal", actor=SETUP)
    for name in ("Mum\n+447911123456\tlegal\tapproved", "Mum\u2028Dad", "Mum\x00"):
        with pytest.raises(
            PhoneError, match="name: use letters, digits and punctuation on one line"
        ):
            do_request_phone_number(
                estate.prisoner_a, MUM, name=name, kind="social", actor=PRISONER
            )
    assert not PhoneNumber.objects.exists()

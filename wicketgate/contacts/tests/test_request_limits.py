"""Asking to be a contact is limited per account and per prison number: no fishing for
dates of birth, and the answer never says whether a prison number exists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from wicketgate.audit.log import Actor
from wicketgate.audit.models import AuditEvent
from wicketgate.contacts.actions import (
    NO_MATCH,
    ContactError,
    TooManyRequests,
    do_register_family_member,
    do_request_link,
)
from wicketgate.contacts.models import Contact, ContactLink
from wicketgate.contacts.tests.conftest import PASSWORD
from wicketgate.testing.personas import Estate

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
REFUSED = "Too many requests to be a contact have been made with these details."


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


def person(n: int = 0) -> Contact:
    made, _ = do_register_family_member(
        email=f"fay{n}@example.org",
        password=PASSWORD,
        given_name="Fay",
        family_name="Ashdown",
        date_of_birth=dt.date(1970, 1, 2),
    )
    return made


def ask(who: Contact, number: str = "A1234BC", born: dt.date = dt.date(1990, 1, 1)) -> str:
    """The answer to one ask: "asked", or the error's words."""
    try:
        do_request_link(
            who,
            prison_number=number,
            prisoner_date_of_birth=born,
            relationship="MOTHER",
            actor=Actor.of_user(who.user),
        )
    except ContactError as exc:
        return str(exc)
    return "asked"


def test_fishing_for_a_date_of_birth_from_one_account_is_stopped(
    estate: Estate, clock: Any, settings: Any
) -> None:
    settings.WICKETGATE_CONTACT_REQUESTS_PER_ACCOUNT = 5
    fay = person()
    guesses = [dt.date(1991, 5, d) for d in range(1, 7)]
    answers = []
    for guess in guesses:
        answers.append(ask(fay, born=guess))
        clock.shift(dt.timedelta(minutes=10))
    assert answers[:5] == [NO_MATCH] * 5
    assert answers[5].startswith(REFUSED)
    # The right date of birth is refused too: nothing is looked up past the limit.
    refusal = ask(fay, born=estate.prisoner_a.date_of_birth)
    assert refusal == f"{REFUSED} You can try again after 09:00 on 3 March 2026."
    assert not ContactLink.objects.exists()
    limited = AuditEvent.objects.filter(action="contacts.link.limited", outcome="denied")
    assert limited.count() == 2
    first = limited.first()
    assert first is not None
    assert first.details == {
        "prison_number": "A1234BC",
        "limit": "account",
        "retry_at": "2026-03-03T09:00:00+00:00",
    }
    # A day after the first ask, one more fits.
    clock.move_to(START + dt.timedelta(hours=24, seconds=1))
    assert ask(fay, born=estate.prisoner_a.date_of_birth) == "asked"


def test_fishing_for_one_prison_number_from_many_accounts_is_stopped(
    estate: Estate, clock: Any, settings: Any
) -> None:
    settings.WICKETGATE_CONTACT_REQUESTS_PER_PRISON_NUMBER = 10
    for n in range(10):
        assert ask(person(n), born=dt.date(1991, 1, n + 1)) == NO_MATCH
        clock.shift(dt.timedelta(minutes=1))
    with pytest.raises(TooManyRequests) as caught:
        do_request_link(
            person(99),
            prison_number=" a1234bc ",
            prisoner_date_of_birth=estate.prisoner_a.date_of_birth,
            relationship="MOTHER",
            actor=Actor("family", "99", "fay99"),
        )
    assert caught.value.retry_at == START + dt.timedelta(hours=24)
    event = AuditEvent.objects.get(action="contacts.link.limited")
    assert event.details["limit"] == "prison_number"
    # Another number is not held up by it.
    assert ask(person(100), number="B2345CD") == NO_MATCH


def test_the_limit_says_nothing_about_whether_a_prison_number_exists(
    estate: Estate, clock: Any, settings: Any
) -> None:
    settings.WICKETGATE_CONTACT_REQUESTS_PER_PRISON_NUMBER = 3
    answers = {}
    # someone, and no one; each asked by people of their own (not hash(): salted per run,
    # two numbers' people could be the same person and register twice)
    for number, first in (("A1234BC", 100), ("Z9999ZZ", 200)):
        for n in range(3):
            ask(person(first + n), number=number)
        answers[number] = ask(person(first + 50), number=number)
    assert answers["A1234BC"] == answers["Z9999ZZ"]
    assert answers["A1234BC"].startswith(REFUSED)


def test_every_ask_counts_matched_or_not(estate: Estate, clock: Any, settings: Any) -> None:
    settings.WICKETGATE_CONTACT_REQUESTS_PER_ACCOUNT = 3
    fay = person()
    assert ask(fay, born=estate.prisoner_a.date_of_birth) == "asked"
    assert ask(fay, born=estate.prisoner_a.date_of_birth).startswith("you have already asked")
    assert ask(fay, number="Z9999ZZ") == NO_MATCH
    assert ask(fay, number="B2345CD").startswith(REFUSED)

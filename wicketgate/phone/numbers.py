"""Telephone numbers as the phone service holds them: E.164, with where they go.

Parsing and classifying are libphonenumber's (the ``phonenumbers`` package), not ours:
a number is written as a person would type it (``020 7946 0123``, ``+44 20 7946 0000``,
``116 123``) and read as a UK number unless it starts with ``+`` or ``00``.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo

from wicketgate.phone.codes import Destination

HOME_REGION = "GB"
HOME_CODE = 44
CHARGED_AT_A_PREMIUM = {PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST}
# The kinds of number a call may go to: a person's or an organisation's own line. (UAN:
# the UK's 03 numbers, charged as landlines.)
CALLABLE = {
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.UAN,
}


class NumberProblem(ValueError):
    """Not a number the phone service can call; the message says why, in plain words."""


@dataclass(frozen=True)
class Number:
    e164: str  # +442079460123; a UK short number keeps its short form: +44116123
    destination: Destination

    def __str__(self) -> str:
        return self.e164


def read_number(text: str) -> Number:
    """The number ``text`` names, or NumberProblem saying what is wrong with it."""
    typed = text.strip()
    if not typed:
        raise NumberProblem("enter a telephone number")
    if typed.startswith("00"):
        typed = "+" + typed[2:]
    try:
        parsed = phonenumbers.parse(typed, HOME_REGION)
    except phonenumbers.NumberParseException as exc:
        raise NumberProblem(f"{text.strip()!r} is not a telephone number") from exc
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code == HOME_CODE and shortnumberinfo.is_emergency_number(
        national, HOME_REGION
    ):
        raise NumberProblem(f"{national} is an emergency number: staff call the emergency services")
    if parsed.country_code == HOME_CODE and shortnumberinfo.is_valid_short_number_for_region(
        parsed, HOME_REGION
    ):
        if shortnumberinfo.expected_cost_for_region(parsed, HOME_REGION) != (
            shortnumberinfo.ShortNumberCost.TOLL_FREE
        ):
            raise NumberProblem(f"{national} is a short number that is not free to call")
        return Number(e164, Destination.FREE)
    if not phonenumbers.is_valid_number(parsed):
        raise NumberProblem(f"{e164} is not a number in use")
    kind = phonenumbers.number_type(parsed)
    if kind in CHARGED_AT_A_PREMIUM:
        raise NumberProblem(f"{e164} is charged at a premium rate and cannot be called")
    if kind not in CALLABLE:
        # A personal number (070) follows its owner to any other number, a barred one
        # included; pagers, voicemail and internet numbers are not a person's line either.
        raise NumberProblem(
            f"{e164} is not a landline or a mobile (it forwards, or is a pager, voicemail or "
            "internet number) and cannot be called"
        )
    # +44 is the UK's, and the Channel Islands' and the Isle of Man's: charged as the UK's.
    # A freephone number abroad is not free from here: it is charged as a call abroad.
    if parsed.country_code != HOME_CODE:
        return Number(e164, Destination.INTERNATIONAL)
    if kind == PhoneNumberType.TOLL_FREE:
        return Number(e164, Destination.FREE)
    if kind == PhoneNumberType.MOBILE:
        return Number(e164, Destination.UK_MOBILE)
    return Number(e164, Destination.UK_LANDLINE)

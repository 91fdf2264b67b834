"""Numbers as people type them, read as the phone service holds them."""

from __future__ import annotations

import pytest

from wicketgate.phone.codes import Destination
from wicketgate.phone.numbers import NumberProblem, read_number


@pytest.mark.parametrize(
    ("typed", "e164", "destination"),
    [
        ("020 7946 0000", "+442079460000", Destination.UK_LANDLINE),
        ("+44 20 7946 0000", "+442079460000", Destination.UK_LANDLINE),
        ("0044 20 7946 0000", "+442079460000", Destination.UK_LANDLINE),
        ("07911 123456", "+447911123456", Destination.UK_MOBILE),
        ("0800 123 4567", "+448001234567", Destination.FREE),
        ("0808 808 4994", "+448088084994", Destination.FREE),
        ("116 123", "+44116123", Destination.FREE),  # Samaritans
        ("+33 1 42 68 53 00", "+33142685300", Destination.INTERNATIONAL),
        ("0300 123 4567", "+443001234567", Destination.UK_LANDLINE),
        # A freephone number abroad is not free from here (security review).
        ("+1 800 555 0100", "+18005550100", Destination.INTERNATIONAL),
    ],
)
def test_it_reads_what_people_type(typed: str, e164: str, destination: str) -> None:
    number = read_number(typed)
    assert (number.e164, number.destination) == (e164, destination)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "enter a telephone number"),
        ("call me", "is not a telephone number"),
        ("999", "emergency number"),
        ("112", "emergency number"),
        ("118 118", "short number that is not free"),
        ("09063 000000", "premium rate"),
        ("0845 790 9090", "premium rate"),
        ("07700 900123", "not a number in use"),  # Ofcom's range for drama: never in use
        # A personal number follows its owner to any number, a barred one included; an
        # internet number is nobody's line (security review).
        ("070 1234 5678", "it forwards"),
        ("056 1234 5678", "internet number"),
    ],
)
def test_it_refuses_what_cannot_be_called(typed: str, problem: str) -> None:
    with pytest.raises(NumberProblem, match=problem):
        read_number(typed)

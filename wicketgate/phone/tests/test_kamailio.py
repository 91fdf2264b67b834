"""Calls through the real Kamailio (Debian's), asking the real web app, to a SIPp trunk:
a handset authenticates with prison number and phone PIN, and Kamailio does what
decide_call says; when Wicketgate cannot be asked, the call is refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from wicketgate.audit.models import AuditEvent
from wicketgate.gateway.actions import do_register_device
from wicketgate.phone import questions
from wicketgate.phone.actions import do_add_phone_credit, do_add_phone_number, do_set_phone_pin
from wicketgate.phone.decide import CallDecision
from wicketgate.phone.kamailio import ask_key
from wicketgate.phone.models import PhoneSettings
from wicketgate.testing.kamailio import call, running_kamailio, sip_trunk
from wicketgate.testing.personas import SETUP, Estate

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PIN = "2468"


@pytest.fixture
def phones(estate: Estate, settings: Any, tmp_path: Any) -> Estate:
    """A phone at 127.0.0.1 on A's wing; Mum's number and credit for the prisoner at A;
    phone hours all day, so the test does not depend on when it runs."""
    settings.WICKETGATE_PHONE_DIR = tmp_path / "phone"
    do_register_device(
        device_id="NGT-PH-1",
        establishment=estate.a,
        location=estate.a_wing,
        kind="phone",
        address="127.0.0.1",
        actor=SETUP,
    )
    do_set_phone_pin(estate.prisoner_a, PIN, actor=SETUP)
    do_add_phone_number(estate.prisoner_a, "020 7946 0101", name="Mum", kind="social", actor=SETUP)
    do_add_phone_credit(estate.prisoner_a, 600, reason="Private cash", actor=SETUP)
    PhoneSettings.objects.create(establishment=estate.a, hours="Mon-Sun 00:00-24:00")
    return estate


@pytest.fixture
def through_kamailio(phones: Estate, live_server: Any, settings: Any) -> Iterator[Any]:
    with (
        sip_trunk() as trunk,
        running_kamailio(
            f"{live_server.url}/phone/kamailio/{ask_key()}",
            realm=settings.WICKETGATE_PHONE_REALM,
            trunk_port=trunk.port,
        ) as kamailio,
    ):
        yield kamailio, trunk


def test_an_approved_call_goes_to_the_trunk_in_e164_and_is_cut_at_its_limit(
    through_kamailio: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kamailio, trunk = through_kamailio
    # The limit as decided, shortened so the test need not wait minutes for the cut.
    decided = questions.decide_call

    def short(*args: Any, **kwargs: Any) -> CallDecision:
        answer = decided(*args, **kwargs)
        return dataclasses.replace(answer, limit_seconds=3) if answer.allowed else answer

    monkeypatch.setattr(questions, "decide_call", short)
    started = dt.datetime.now(dt.UTC)
    call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=200)
    # The handset heard Kamailio's BYE at the limit (uac_allowed waits for it).
    assert dt.datetime.now(dt.UTC) - started < dt.timedelta(seconds=20)
    sent = trunk.requests()
    invite = next(part for part in sent.split("\n\n") if "INVITE sip:" in part)
    assert "INVITE sip:+442079460101@" in invite  # the decided number, as E.164
    assert "Proxy-Authorization" not in invite  # the handset's credentials stay here
    assert "A1234BC" not in invite  # and so does who called, and what they dialled
    assert "02079460101" not in invite
    assert "BYE sip:" in sent  # the trunk was hung up on too


@pytest.mark.parametrize(
    ("user", "pin", "number", "expect"),
    [
        ("A1234BC", PIN, "02079460199", 404),  # not on the list
        ("A1234BC", "1357", "02079460101", 403),  # wrong phone PIN
        ("B2345CD", PIN, "02079460101", 403),  # held elsewhere: no credentials here
        ("Z9999ZZ", PIN, "02079460101", 403),  # no such prisoner
    ],
)
def test_a_call_that_may_not_be_made_is_refused_and_never_reaches_the_trunk(
    through_kamailio: Any, user: str, pin: str, number: str, expect: int
) -> None:
    kamailio, trunk = through_kamailio
    call(kamailio, user=user, pin=pin, number=number, expect=expect)
    assert "INVITE" not in trunk.requests()


def test_wrong_pins_on_a_handset_are_counted_and_then_even_the_right_one_waits(
    through_kamailio: Any, settings: Any
) -> None:
    """A handset cannot try PINs without end: each wrong digest is reported, and past the
    limit Wicketgate gives Kamailio no credentials for a while."""
    kamailio, trunk = through_kamailio
    settings.WICKETGATE_PIN_FAILURE_LIMIT = 2
    for _ in range(2):
        call(kamailio, user="A1234BC", pin="1357", number="02079460101", expect=403)
    call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=403)
    assert "INVITE" not in trunk.requests()
    wrong = AuditEvent.objects.filter(action="phone.pin.wrong").order_by("seq")
    assert [e.details["failures"] for e in wrong] == [1, 2]
    assert wrong.last().actor_label == "handset NGT-PH-1"  # type: ignore[union-attr]  # two were just asserted


def test_it_fails_closed_when_wicketgate_cannot_be_asked(phones: Estate, settings: Any) -> None:
    with (
        sip_trunk() as trunk,
        running_kamailio(
            "http://127.0.0.1:9/phone/kamailio/nobody-listens",
            realm=settings.WICKETGATE_PHONE_REALM,
            trunk_port=trunk.port,
        ) as kamailio,
    ):
        call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=503)
        assert "INVITE" not in trunk.requests()


def test_a_wrong_key_is_a_404_as_if_there_were_nothing_there(phones: Estate, client: Any) -> None:
    assert (
        client.get("/phone/kamailio/guess/credentials?user=A1234BC&address=127.0.0.1").status_code
        == 404
    )
    good = client.get(f"/phone/kamailio/{ask_key()}/credentials?user=A1234BC&address=127.0.0.1")
    assert good.status_code == 200 and len(good.json()["ha1"]) == 32
    # Only for a live phone at that address, where the prisoner is held.
    assert (
        client.get(
            f"/phone/kamailio/{ask_key()}/credentials?user=A1234BC&address=10.9.9.9"
        ).status_code
        == 404
    )

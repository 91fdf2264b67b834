"""Calls through the real Kamailio (Debian's), asking the real web app, to a SIPp trunk:
a handset authenticates with prison number and phone PIN, and Kamailio does what
decide_call says; when Wicketgate cannot be asked, the call is refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import socket
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from wicketgate.audit.models import AuditEvent
from wicketgate.conduct.actions import do_add_sanction
from wicketgate.contacts.actions import do_add_official
from wicketgate.gateway.actions import do_register_device
from wicketgate.phone import calling, questions
from wicketgate.phone.actions import (
    PhoneError,
    balance_pence,
    do_add_phone_credit,
    do_add_phone_number,
    do_set_phone_pin,
)
from wicketgate.phone.announcements import KeyListener, release_prisoners
from wicketgate.phone.calling import do_answer_phone_call, do_end_live_phone_call, place_call
from wicketgate.phone.codes import CallState, CreditKind, EndedBy
from wicketgate.phone.decide import CallDecision
from wicketgate.phone.kamailio import KamailioUnreachable, ask_key
from wicketgate.phone.models import CreditEntry, PhoneCall, PhoneSettings
from wicketgate.phone.recordings import convert_recordings, recordings_folder
from wicketgate.phone.rtpengine import MediaRelayError, ask
from wicketgate.phone.rtpengine import command as media_command
from wicketgate.phone.watcher import PhoneWatcher
from wicketgate.policy.engine import Engine
from wicketgate.testing.baresip import RATE, baresip, loudness, tone_share
from wicketgate.testing.kamailio import call, free_udp_port, running_kamailio, sip_trunk
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
        # No key asked for here (the prisoner is heard when the announcement ends); the
        # called person's key: test_the_called_person_accepts_with_a_key….
        _media_of(kamailio, settings, key="")
        yield kamailio, trunk


def _media_of(kamailio: Any, settings: Any, *, key: str) -> None:
    """Wicketgate asks this Kamailio's rtpengine, from announcements its user can read,
    and asks the called person for ``key`` (empty: none)."""
    settings.WICKETGATE_PHONE_MEDIA_CONTROL = kamailio.media.setup.control
    settings.WICKETGATE_PHONE_ANNOUNCEMENTS_DIR = kamailio.media.folder / "announcements"
    settings.WICKETGATE_PHONE_ACCEPT_KEY = key


def test_an_approved_call_goes_to_the_trunk_in_e164_and_is_cut_at_its_limit(
    through_kamailio: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kamailio, trunk = through_kamailio
    # The limit as decided, shortened so the test need not wait minutes for the cut.
    decided = calling.decide_call

    def short(*args: Any, **kwargs: Any) -> CallDecision:
        answer = decided(*args, **kwargs)
        return dataclasses.replace(answer, limit_seconds=3) if answer.allowed else answer

    monkeypatch.setattr(calling, "decide_call", short)
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
    # Kamailio's own BYE is in the call as the carrier knows it: from the prison, not from
    # the handset or the prisoner (else a carrier answers 481 and goes on charging).
    bye = next(part for part in sent.split("\n\n") if "BYE sip:" in part)
    assert "A1234BC" not in bye
    assert _header(bye, "From") == _header(invite, "From")
    assert _header(bye, "To").split(";tag=")[0] == _header(invite, "To").split(";tag=")[0]
    # Recorded, and charged exactly its limit: one started minute at 6p.
    placed = PhoneCall.objects.get()
    assert (placed.state, placed.ended_by) == (CallState.ENDED, EndedBy.LIMIT)
    assert placed.answered_at is not None and placed.limit_seconds == 3
    assert placed.duration_seconds == 3 and placed.charge_pence == 6
    assert balance_pence(placed.prisoner) == 594
    assert [
        e.action
        for e in AuditEvent.objects.filter(action__startswith="phone.call.").order_by("seq")
    ] == [
        "phone.call.start",
        "phone.call.answer",
        "phone.call.end",
    ]


def test_the_prisoner_hanging_up_ends_the_call_and_it_is_charged_by_the_started_minute(
    through_kamailio: Any,
) -> None:
    kamailio, _ = through_kamailio
    call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=200, hang_up_after=1.5)
    placed = PhoneCall.objects.get()
    assert (placed.state, placed.ended_by) == (CallState.ENDED, EndedBy.CALLER)
    assert 1 <= placed.duration_seconds <= 3
    assert placed.charge_pence == 6 and placed.held_pence == 6 * 30  # 30 minutes were held
    assert balance_pence(placed.prisoner) == 594
    entry = CreditEntry.objects.filter(kind=CreditKind.CHARGE).get()
    assert (entry.pence, entry.balance_after) == (-6, 594)


def test_one_call_at_a_time_a_second_handset_call_is_busy_while_the_first_is_live(
    through_kamailio: Any,
) -> None:
    kamailio, trunk = through_kamailio
    first = threading.Thread(
        target=call,
        kwargs={
            "kamailio": kamailio,
            "user": "A1234BC",
            "pin": PIN,
            "number": "02079460101",
            "expect": 200,
            "hang_up_after": 3,
        },
    )
    first.start()
    try:
        _wait_until(lambda: PhoneCall.objects.filter(state=CallState.ANSWERED).exists())
        call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=486)
    finally:
        first.join(timeout=30)
    assert PhoneCall.objects.count() == 1
    refused = AuditEvent.objects.get(action="phone.call.refused")
    assert refused.details["rule"] == "call:busy"


def _header(message: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.+)$", message, flags=re.M | re.I)
    assert found is not None, f"no {name} in {message}"
    return found.group(1).strip()


def _wait_until(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.1)


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


@pytest.fixture
def handset_on_a_call(through_kamailio: Any, settings: Any) -> Iterator[tuple[Any, Any, Any]]:
    """The prisoner at A on a call (their handset waits for Kamailio's BYE); Wicketgate
    reaches this Kamailio's RPC socket."""
    kamailio, trunk = through_kamailio
    settings.WICKETGATE_PHONE_RPC_SOCKET = kamailio.setup.rpc_socket
    handset = threading.Thread(
        target=call,
        kwargs={
            "kamailio": kamailio,
            "user": "A1234BC",
            "pin": PIN,
            "number": "02079460101",
            "expect": 200,
        },
    )
    handset.start()
    try:
        _wait_until(lambda: PhoneCall.objects.filter(state=CallState.ANSWERED).exists())
        yield kamailio, trunk, handset
    finally:
        handset.join(timeout=30)


def test_a_new_phone_sanction_ends_a_live_call_within_two_seconds(
    handset_on_a_call: tuple[Any, Any, Any], estate: Estate
) -> None:
    _, trunk, handset = handset_on_a_call
    # The watcher's rounds, run here (SQLite's shared test database takes one writer).
    watcher = PhoneWatcher(Engine(refresh_every=0))
    assert watcher.step() == [] and handset.is_alive()  # allowed: left alone
    do_add_sanction(
        prisoner=estate.prisoner_a,
        service="phone",
        days=7,
        reason="Abuse of the phone",
        actor=SETUP,
    )
    sanctioned = time.monotonic()
    while handset.is_alive() and time.monotonic() - sanctioned < 10:
        time.sleep(watcher.poll)  # as its run loop does: a round every half second
        watcher.step()
        handset.join(timeout=0.05)
    took = time.monotonic() - sanctioned
    assert not handset.is_alive() and took < 2, took  # the handset got its BYE in time
    _wait_until(lambda: trunk.requests().count("BYE sip:") == 1, seconds=5)  # and the trunk
    ended = PhoneCall.objects.get()
    assert (ended.state, ended.ended_by) == (CallState.ENDED, EndedBy.POLICY)
    assert "sanction:phone" in ended.end_reason
    assert ended.charge_pence == 6  # charged to the end: one started minute


def test_staff_end_a_live_call_with_a_reason_and_kamailio_hangs_up_both_ends(
    handset_on_a_call: tuple[Any, Any, Any],
) -> None:
    _, trunk, handset = handset_on_a_call
    live = PhoneCall.objects.get()
    with pytest.raises(PhoneError, match="say why"):
        do_end_live_phone_call(live, reason=" ", actor=SETUP)
    do_end_live_phone_call(live, reason="Threats heard on the call", actor=SETUP)
    handset.join(timeout=10)
    assert not handset.is_alive()
    _wait_until(lambda: "BYE sip:" in trunk.requests(), seconds=5)  # its log lags a little
    ended = PhoneCall.objects.get()
    assert (ended.ended_by, ended.end_reason) == (EndedBy.STAFF, "Threats heard on the call")
    record = AuditEvent.objects.filter(action="phone.call.end").get()
    assert record.actor_label == SETUP.label and record.details["ended_by"] == "staff"
    # Kamailio's own report of the end came after, and changed nothing.
    assert AuditEvent.objects.filter(action="phone.call.end").count() == 1


def test_a_call_kamailio_cannot_be_told_to_end_is_still_recorded_and_the_failure_audited(
    phones: Estate, settings: Any, tmp_path: Any, transactional_db: None
) -> None:
    settings.WICKETGATE_PHONE_RPC_SOCKET = tmp_path / "nobody.sock"
    decision, placed = place_call(
        "A1234BC", "02079460101", handset="NGT-PH-1", address="127.0.0.1", sip_call_id="x@y"
    )
    assert decision.allowed and placed is not None
    do_answer_phone_call(placed, dialog="12:34")
    with pytest.raises(KamailioUnreachable):
        do_end_live_phone_call(placed, reason="Threats", actor=SETUP)
    assert PhoneCall.objects.get().state == CallState.ENDED
    assert AuditEvent.objects.filter(action="phone.call.hangup_failed").exists()


def test_the_audio_goes_through_rtpengine_both_ways_and_the_carrier_never_sees_the_handset(
    through_kamailio: Any,
) -> None:
    kamailio, trunk = through_kamailio
    control = kamailio.media.setup.control
    handset = threading.Thread(
        target=call,
        kwargs={
            "kamailio": kamailio,
            "user": "A1234BC",
            "pin": PIN,
            "number": "02079460101",
            "expect": 200,
            "hang_up_after": 4,
            "media": True,
        },
    )
    handset.start()
    relayed: dict[str, int] = {}  # packets rtpengine took in from each side, at most
    while handset.is_alive():
        for tag, packets in _packets_by_tag(control).items():
            relayed[tag] = max(relayed.get(tag, 0), packets)
        time.sleep(0.3)
    handset.join()
    # Both sides' audio reached rtpengine: the handset's recording, and the trunk's echo.
    assert len(relayed) == 2 and min(relayed.values()) > 50, relayed
    offered = trunk.requests()  # the first SDP the trunk had is the INVITE's
    port = re.search(r"^m=audio (\d+) ", offered, flags=re.M)
    assert port is not None and re.search(r"^c=IN IP4 127\.0\.0\.1\s*$", offered, flags=re.M)
    setup = kamailio.media.setup
    assert setup.port_min <= int(port.group(1)) <= setup.port_max  # rtpengine's, not the handset's
    # The session went with the call.
    assert ask("list", control).get("calls", []) == []


def test_a_social_call_is_recorded_and_a_legal_call_never_is(
    through_kamailio: Any, phones: Estate
) -> None:
    kamailio, _ = through_kamailio
    solicitor = do_add_official(
        phones.prisoner_a,
        given_name="Sol",
        family_name="Icitor",
        relationship="SOLICITOR",
        actor=SETUP,
    )
    do_add_phone_number(
        phones.prisoner_a,
        "020 7946 0102",
        name="Sol",
        kind="legal",
        contact_link=solicitor,
        actor=SETUP,
    )
    call(
        kamailio,
        user="A1234BC",
        pin=PIN,
        number="02079460102",
        expect=200,
        hang_up_after=2,
        media=True,
    )
    legal = PhoneCall.objects.get()
    assert legal.recorded is False
    assert kamailio.media.recordings() == []  # nothing of it was written
    call(
        kamailio,
        user="A1234BC",
        pin=PIN,
        number="02079460101",
        expect=200,
        hang_up_after=2,
        media=True,
    )
    social = PhoneCall.objects.exclude(pk=legal.pk).get()
    assert social.recorded is True
    [recording] = kamailio.media.recordings()
    assert recording.stat().st_size > 10_000  # the packets of both sides
    # Wicketgate turns it into audio, the prisoner left and the called person right.
    later = timezone.now() + dt.timedelta(seconds=10)
    [kept] = convert_recordings(later, raw=recording.parent)
    assert kept.pk == social.pk and kept.recording
    with wave.open(str(recordings_folder() / kept.recording)) as audio:
        assert (audio.getnchannels(), audio.getframerate()) == (2, 8000)
        assert audio.getnframes() > 8000  # over a second of it
        frames = audio.readframes(audio.getnframes())
    samples = memoryview(frames).cast("h")
    assert max(abs(s) for s in samples[0::2]) > 1000  # the handset's recording
    assert max(abs(s) for s in samples[1::2]) > 1000  # and the trunk's echo of it
    assert kamailio.media.recordings() == []  # rtpengine's pcap is not kept


def test_without_the_media_relay_calls_are_refused_and_never_reach_the_trunk(
    through_kamailio: Any,
) -> None:
    kamailio, trunk = through_kamailio
    kamailio.media.process.terminate()
    kamailio.media.process.wait(timeout=10)
    call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=503)
    assert "INVITE" not in trunk.requests()
    # Back again (as when wicketgate up starts it a moment after Kamailio): calls go
    # through again within seconds.
    setup = kamailio.media.setup
    again = subprocess.Popen(
        media_command(setup), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_until(lambda: _answers(setup.control), seconds=20)
        time.sleep(1.5)
        call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=200, hang_up_after=1)
    finally:
        again.terminate()
        again.wait(timeout=10)


def _packets_by_tag(control: str) -> dict[str, int]:
    """What rtpengine has taken in from each side of each of its calls, by tag."""
    counted: dict[str, int] = {}
    for call_id in ask("list", control).get("calls", []):
        try:
            found = ask("query", control, call={"call-id": call_id})
        except MediaRelayError:
            continue  # just ended
        for tag, side in found.get("tags", {}).items():
            counted[tag] = sum(
                stream["stats"]["packets"]
                for media in side.get("medias", [])
                for stream in media.get("streams", [])
            )
    return counted


def _answers(control: str) -> bool:
    try:
        return ask("ping", control, timeout=0.3).get("result") == "pong"
    except MediaRelayError:
        return False


def test_an_answer_wicketgate_refuses_is_hung_up_at_both_ends(
    through_kamailio: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ended while it rang (staff, a ban), or Wicketgate cannot record the answer: Kamailio
    hangs up as soon as the call's dialog is complete, the carrier too."""
    kamailio, trunk = through_kamailio
    monkeypatch.setattr(questions, "do_answer_phone_call", lambda call, dialog: False)
    call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=200)  # gets the BYE
    _wait_until(lambda: "BYE sip:" in trunk.requests(), seconds=5)
    placed = PhoneCall.objects.get()
    assert (placed.state, placed.charge_pence) == (CallState.UNANSWERED, 0)


@pytest.mark.parametrize("method", ["INVITE", "BYE", "MESSAGE"])
def test_a_request_in_no_call_kamailio_made_goes_nowhere(
    through_kamailio: Any, method: str
) -> None:
    """A forged To-tag with a Route naming Kamailio: without the check, it went wherever
    its Request-URI said, asking Wicketgate nothing."""
    kamailio, trunk = through_kamailio
    port = kamailio.port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as handset:
        handset.bind(("127.0.0.1", 0))
        handset.settimeout(5)
        here = handset.getsockname()[1]
        forged = (
            f"{method} sip:+442079460101@127.0.0.1:{trunk.port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{here};branch=z9hG4bK-forged-{method}\r\n"
            f"Route: <sip:127.0.0.1:{port};lr>\r\n"
            "From: <sip:A1234BC@127.0.0.1>;tag=mine\r\n"
            "To: <sip:+442079460101@127.0.0.1>;tag=forged\r\n"
            f"Call-ID: forged-{method}@127.0.0.1\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
            f"Contact: <sip:A1234BC@127.0.0.1:{here}>\r\nContent-Length: 0\r\n\r\n"
        )
        handset.sendto(forged.encode(), ("127.0.0.1", port))
        answer = handset.recv(4096).decode(errors="replace")
    assert answer.startswith("SIP/2.0 481"), answer
    time.sleep(0.5)
    assert "forged" not in trunk.requests()


def test_the_called_person_hears_the_announcement_first_while_the_prisoner_waits(
    through_kamailio: Any,
) -> None:
    """The handset sends no audio here: whatever reaches the trunk (which echoes it) is
    what rtpengine played, the announcement."""
    kamailio, _ = through_kamailio
    control = kamailio.media.setup.control
    handset = threading.Thread(
        target=call,
        kwargs={
            "kamailio": kamailio,
            "user": "A1234BC",
            "pin": PIN,
            "number": "02079460101",
            "expect": 200,
            "hang_up_after": 3,
        },
    )
    handset.start()
    echoed = 0
    while handset.is_alive():
        placed = PhoneCall.objects.filter(called_tag__gt="").first()
        if placed is not None:
            echoed = max(echoed, _packets_by_tag(control).get(placed.called_tag, 0))
        time.sleep(0.3)
    handset.join()
    assert echoed > 50, echoed  # the trunk heard rtpengine's announcement (and echoed it)
    placed = PhoneCall.objects.get()
    assert placed.prisoner_held and placed.answered_at and placed.prisoner_heard_from
    spoken = (placed.prisoner_heard_from - placed.answered_at).total_seconds()
    assert 4 < spoken < 15, spoken  # as long as the words take to say
    assert list((kamailio.media.folder / "announcements").glob("ngt-en-*.wav"))


def test_a_call_whose_announcement_cannot_be_played_does_not_go_on(
    through_kamailio: Any, settings: Any
) -> None:
    kamailio, trunk = through_kamailio
    settings.WICKETGATE_PHONE_MEDIA_CONTROL = "127.0.0.1:9"  # Wicketgate cannot reach it
    call(kamailio, user="A1234BC", pin=PIN, number="02079460101", expect=200)  # hung up
    _wait_until(lambda: "BYE sip:" in trunk.requests(), seconds=5)
    placed = PhoneCall.objects.get()
    assert (placed.state, placed.charge_pence) == (CallState.UNANSWERED, 0)
    assert "announcement" in placed.end_reason


def test_the_called_person_accepts_with_a_key_and_only_then_is_the_prisoner_heard(
    phones: Estate, live_server: Any, settings: Any
) -> None:
    keys_to = f"127.0.0.1:{free_udp_port()}"
    listener = KeyListener(keys_to)
    stopping = threading.Event()
    hearing = threading.Thread(target=listener.run, args=(stopping,))
    hearing.start()
    try:
        with (
            sip_trunk(accepts=True) as trunk,
            running_kamailio(
                f"{live_server.url}/phone/kamailio/{ask_key()}",
                realm=settings.WICKETGATE_PHONE_REALM,
                trunk_port=trunk.port,
                keys_to=keys_to,
            ) as kamailio,
        ):
            _media_of(kamailio, settings, key="1")
            call(
                kamailio,
                user="A1234BC",
                pin=PIN,
                number="02079460101",
                expect=200,
                hang_up_after=3,
            )
    finally:
        stopping.set()
        hearing.join(timeout=5)
    placed = PhoneCall.objects.get()
    assert placed.accept_by is not None and placed.accepted_at is not None
    assert placed.ended_at is not None and placed.accepted_at < placed.ended_at
    assert placed.prisoner_held is False  # heard from the key on
    assert placed.charge_pence == 6  # accepted: charged
    assert AuditEvent.objects.filter(action="phone.call.accept").count() == 1


def test_a_real_handset_and_the_called_person_hear_each_other_after_the_announcement(
    phones: Estate, live_server: Any, settings: Any
) -> None:
    """baresip on both ends, each saying a tone of its own: the called person hears the
    announcement (not the prisoner) first, then the prisoner's tone; the prisoner hears the
    called person's tone. No key is asked for here (the prisoner is heard when the words
    end, as the phone watcher lets them be)."""
    stopping = threading.Event()

    def watch() -> None:  # the phone watcher's part in this: letting the prisoner be heard
        while not stopping.wait(0.3):
            release_prisoners()
        connections.close_all()

    with (
        baresip(tone=1000, user="+442079460101", seconds=40) as called,
        running_kamailio(
            f"{live_server.url}/phone/kamailio/{ask_key()}",
            realm=settings.WICKETGATE_PHONE_REALM,
            trunk_port=called.port,
        ) as kamailio,
    ):
        _media_of(kamailio, settings, key="")
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with baresip(
                tone=440,
                user="A1234BC",
                password=PIN,
                dial=f"sip:02079460101@127.0.0.1:{kamailio.port}",
                seconds=20,
            ) as handset:
                handset.wait(timeout=40)  # it hangs up as it quits
                prisoner_heard = handset.heard()
            time.sleep(1)
            called_heard = called.heard()
        finally:
            stopping.set()
            watcher.join(timeout=5)
    placed = PhoneCall.objects.get()
    assert placed.answered_at and placed.prisoner_heard_from and placed.ended_at
    words = (placed.prisoner_heard_from - placed.answered_at).total_seconds()
    assert 4 < words < 15, words
    # The called person: the announcement first (loud, and not the prisoner's tone)...
    assert loudness(called_heard, 0.5, 3.5) > 300
    assert tone_share(called_heard, 440, 0.5, 3.5) < 0.1
    # ...then the prisoner, once the words are over.
    end = len(called_heard) / RATE
    assert end > words + 3, (end, words)
    assert tone_share(called_heard, 440, end - 3, end - 0.5) > 0.5
    # The prisoner heard the called person from the answer on.
    heard_for = len(prisoner_heard) / RATE
    assert tone_share(prisoner_heard, 1000, heard_for - 4, heard_for - 0.5) > 0.5
    assert tone_share(prisoner_heard, 440, heard_for - 4, heard_for - 0.5) < 0.1

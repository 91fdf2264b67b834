"""Security listening to a live phone call in the browser, through the real rtpengine and
Debian's Chromium: both sides heard, each in its own track, and stopped; never a legal
call, never another establishment's, never an answer that would send into the call or
send the call's audio anywhere but the browser that answered."""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import sync_playwright

from wicketgate.accounts.models import StaffMembership, User
from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.phone import listening as listening_module
from wicketgate.phone.calling import do_end_phone_call
from wicketgate.phone.codes import CallState, EndedBy
from wicketgate.phone.listening import (
    ListeningError,
    browser_answer,
    check_browser_answer,
    do_start_listening,
    stop_listenings_no_longer_allowed,
)
from wicketgate.phone.models import PhoneCall, PhoneListening
from wicketgate.phone.rtpengine import ask
from wicketgate.phone.tests.data import a_phone_call
from wicketgate.testing.browser import launch_chromium
from wicketgate.testing.kamailio import RunningRtpengine, running_rtpengine
from wicketgate.testing.personas import SETUP, Estate, staff_client

pytestmark = pytest.mark.django_db

# Chromium's own answer to rtpengine's offer (from a run of this file's browser test).
BROWSER_ANSWER = (
    "v=0\r\no=- 3184671150668922869 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=audio 36232 UDP/TLS/RTP/SAVPF 8 0\r\nc=IN IP4 192.0.2.2\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:2543793322 1 udp 2113937151 192.0.2.2 36232 typ host generation 0\r\n"
    "a=ice-ufrag:z9/D\r\na=ice-pwd:v/HiZIxws4wi0GsNB+wkDHE7\r\n"
    "a=fingerprint:sha-256 9A:76:DC:62:52:1B:34:75:1D:A0:D5:F9:C7:E3:88:2B:5F:44:60:17:C2:F0\r\n"
    "a=setup:active\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:8 PCMA/8000\r\n"
    "m=audio 53349 UDP/TLS/RTP/SAVPF 8 0\r\nc=IN IP4 192.0.2.2\r\n"
    "a=ice-ufrag:aO+8\r\na=ice-pwd:vjZ0Gri1qOuXtgrY4RgCkpzh\r\n"
    "a=fingerprint:sha-256 9A:76:DC:62:52:1B:34:75:1D:A0:D5:F9:C7:E3:88:2B:5F:44:60:17:C2:F0\r\n"
    "a=setup:active\r\na=mid:1\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:8 PCMA/8000\r\n"
)


def test_a_browsers_receive_only_answer_is_taken() -> None:
    check_browser_answer(BROWSER_ANSWER)
    assert browser_answer(BROWSER_ANSWER) == BROWSER_ANSWER


@pytest.mark.parametrize(
    ("hostile", "named"),
    [
        # Sending into the call: the listener's voice would reach the prisoner or the
        # called person.
        (BROWSER_ANSWER.replace("a=recvonly", "a=sendrecv", 1), "would send into the call"),
        (BROWSER_ANSWER.replace("a=recvonly", "a=sendonly", 1), "would send into the call"),
        (BROWSER_ANSWER.replace("a=recvonly\r\n", "", 1), "would send into the call"),  # sendrecv
        (
            BROWSER_ANSWER.replace("a=recvonly\r\n", "").replace("t=0 0", "t=0 0\r\na=recvonly"),
            "",  # session-level receive-only is receive-only: taken (checked below)
        ),
        # Sending the call's audio elsewhere: plain RTP to an address of the answer's
        # choosing, with no ICE check and no encryption.
        (BROWSER_ANSWER.replace("UDP/TLS/RTP/SAVPF", "RTP/AVP"), "not encrypted audio"),
        (BROWSER_ANSWER.replace("UDP/TLS/RTP/SAVPF", "RTP/SAVP"), "not encrypted audio"),
        (re.sub(r"a=ice-ufrag:[^\r]*\r\n", "", BROWSER_ANSWER), "has no ice-ufrag"),
        (re.sub(r"a=fingerprint:[^\r]*\r\n", "", BROWSER_ANSWER), "has no fingerprint"),
        (BROWSER_ANSWER.replace("m=audio 53349", "m=video 53349"), "not encrypted audio"),
        ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", "has no media"),
        ("", "not an SDP answer"),
        ("x" * 20_000, "not an SDP answer"),
        (BROWSER_ANSWER.replace("a=mid:0", "a=mid:é"), "not an SDP answer"),
        (BROWSER_ANSWER.replace("a=mid:0", "a=mid:\0"), "not an SDP answer"),
        # rtpengine stops reading at a blank line: what follows it must not satisfy the check.
        (
            BROWSER_ANSWER.replace("a=recvonly\r\n", "").replace("a=ice-ufrag:aO+8\r\n", "")
            + "\r\na=recvonly\r\na=ice-ufrag:aO+8\r\n",
            "not an SDP answer",
        ),
        (BROWSER_ANSWER.replace("\r\n", "\n"), "not an SDP answer"),
        # A list of hosts for the relay to probe with its connectivity checks.
        (
            BROWSER_ANSWER.replace(
                "a=ice-ufrag:z9/D",
                "".join(f"a=candidate:{n} 1 udp 1 10.0.0.{n} 22 typ host\r\n" for n in range(9))
                + "a=ice-ufrag:z9/D",
            ),
            "more than 8 candidates",
        ),
        (BROWSER_ANSWER.replace("a=mid:0\r\n", "a=mid:0\r\n\ra=x\r\n"), "not an SDP answer"),
        (
            BROWSER_ANSWER.replace("m=audio 36232 UDP/TLS/RTP/SAVPF 8 0", "m=audio"),
            "cannot be read",
        ),
    ],
)
def test_an_answer_that_could_send_or_go_elsewhere_is_refused_naming_why(
    hostile: str, named: str
) -> None:
    if not named:
        check_browser_answer(hostile)
        return
    with pytest.raises(ListeningError, match=named):
        check_browser_answer(hostile)


@pytest.fixture
def security(estate: Estate) -> Client:
    return staff_client(estate, "security.a", StaffRole.SECURITY)


def test_a_legal_call_is_never_listened_to(estate: Estate, security: Client) -> None:
    legal = a_phone_call(
        estate.prisoner_a, kind="legal", recorded=False, caller_tag="a", called_tag="b"
    )
    assert security.get(f"/staff/phone/calls/{legal.pk}/listen").status_code == 404
    assert security.post(f"/staff/phone/calls/{legal.pk}/listen/offer").status_code == 404
    with pytest.raises(ListeningError, match="legal or privileged call is never listened to"):
        do_start_listening(legal, listener=User.objects.get(username="security.a"))
    assert "Listen" not in security.get("/staff/phone/live/").content.decode()
    # Privileged at the call (the policy said legal) though the number is filed as official.
    do_end_phone_call(legal, ended_by=EndedBy.CALLED, actor=SETUP)
    privileged = a_phone_call(
        estate.prisoner_a, kind="official", recorded=False, caller_tag="a", called_tag="b"
    )
    assert security.get(f"/staff/phone/calls/{privileged.pk}/listen").status_code == 404
    with pytest.raises(ListeningError, match="privileged call is never listened to"):
        do_start_listening(privileged, listener=User.objects.get(username="security.a"))


def test_only_security_and_governors_here_may_listen(estate: Estate, security: Client) -> None:
    mine = a_phone_call(estate.prisoner_a, caller_tag="a", called_tag="b")
    theirs = a_phone_call(estate.prisoner_b, caller_tag="a", called_tag="b", sip_call_id="b@t")
    officer = staff_client(estate, "officer.a", StaffRole.WING_OFFICER)
    assert officer.get(f"/staff/phone/calls/{mine.pk}/listen").status_code == 404
    assert security.get(f"/staff/phone/calls/{theirs.pk}/listen").status_code == 404
    assert security.post(f"/staff/phone/calls/{theirs.pk}/listen/offer").status_code == 404
    page = security.get(f"/staff/phone/calls/{mine.pk}/listen").content.decode()
    assert "Start listening" in page and "Neither of them hears you" in page
    assert (
        f"/staff/phone/calls/{mine.pk}/listen"
        in security.get("/staff/phone/live/").content.decode()
    )


def test_a_call_not_yet_answered_or_over_cannot_be_listened_to(
    estate: Estate, security: Client
) -> None:
    ringing = a_phone_call(estate.prisoner_a, state=CallState.CONNECTING, answered_at=None)
    refused = security.post(f"/staff/phone/calls/{ringing.pk}/listen/offer")
    assert refused.status_code == 409 and "not been answered" in refused.json()["error"]
    do_end_phone_call(ringing, ended_by=EndedBy.CALLED, actor=SETUP)
    refused = security.post(f"/staff/phone/calls/{ringing.pk}/listen/offer")
    assert refused.status_code == 409 and "ended" in refused.json()["error"]
    assert not PhoneListening.objects.exists()


def test_a_listener_who_may_no_longer_listen_is_stopped_by_the_watchers_round(
    estate: Estate, security: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, Any]] = []  # rtpengine, as far as this test needs it

    def relay(name: str, **fields: Any) -> dict[str, str]:
        asked.append((name, fields))
        return {"result": "ok"}

    monkeypatch.setattr(listening_module, "ask", relay)
    call = a_phone_call(estate.prisoner_a, caller_tag="a", called_tag="b")
    listener = User.objects.get(username="security.a")
    listening = PhoneListening.objects.create(
        call=call, listener=listener, tag="t", asked_at=call.placed_at, started_at=call.placed_at
    )
    assert stop_listenings_no_longer_allowed() == []  # still security at NGT
    StaffMembership.objects.filter(user=listener).update(role=StaffRole.WING_OFFICER)
    assert stop_listenings_no_longer_allowed() == [listening]
    listening.refresh_from_db()
    assert listening.ended_at is not None
    assert asked == [("unsubscribe", {"call": {"call-id": call.sip_call_id, "to-tag": "t"}})]
    ended = AuditEvent.objects.get(action="phone.call.listen.ended")
    assert ended.details["why"] == "the listener may no longer listen"


def test_signing_out_stops_the_listening(
    estate: Estate, security: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listening_module, "ask", lambda name, **fields: {"result": "ok"})
    call = a_phone_call(estate.prisoner_a, caller_tag="a", called_tag="b")
    listening = PhoneListening.objects.create(
        call=call,
        listener=User.objects.get(username="security.a"),
        tag="t",
        asked_at=call.placed_at,
        started_at=call.placed_at,
    )
    security.post("/staff/sign-out")
    listening.refresh_from_db()
    assert listening.ended_at is not None
    ended = AuditEvent.objects.get(action="phone.call.listen.ended")
    assert ended.details["why"] == "the listener signed out"


# --- through the real rtpengine ------------------------------------------------------


@dataclass
class LiveCall:
    """A call as Kamailio leaves it in rtpengine: both sides' audio flowing through it."""

    record: PhoneCall
    rtpengine: RunningRtpengine
    sides: list[socket.socket]
    quiet: set[int]  # the sides (0 the prisoner, 1 the called person) sending nothing now


def _sdp(port: int) -> str:
    return (
        f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
    )


def _port(sdp: str) -> int:
    found = re.search(r"m=audio (\d+)", sdp)
    assert found, sdp
    return int(found.group(1))


@pytest.fixture
def live_call(estate: Estate, settings: Any) -> Iterator[LiveCall]:
    with running_rtpengine() as rtpengine:
        settings.WICKETGATE_PHONE_MEDIA_CONTROL = rtpengine.setup.control
        record = a_phone_call(estate.prisoner_a, caller_tag="hs-1", called_tag="tr-1")
        sides = []
        for _ in range(2):
            side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            side.bind(("127.0.0.1", 0))
            sides.append(side)
        named = {"call-id": record.sip_call_id, "from-tag": "hs-1"}
        offer = ask(
            "offer", rtpengine.setup.control, call=named, sdp=_sdp(sides[0].getsockname()[1])
        )
        answer = ask(
            "answer",
            rtpengine.setup.control,
            call={**named, "to-tag": "tr-1"},
            sdp=_sdp(sides[1].getsockname()[1]),
        )
        # Where each side sends: the prisoner's handset to the port in the answer (which
        # Kamailio gives the handset), the called person to the port in the offer.
        to = [_port(answer["sdp"]), _port(offer["sdp"])]
        stopping = threading.Event()
        quiet: set[int] = set()

        def talk() -> None:  # G.711 a-law, 20 ms a packet, from each side
            sequence = 0
            while not stopping.is_set():
                for number, (side, port) in enumerate(zip(sides, to, strict=True)):
                    if number in quiet:
                        continue
                    ssrc = 1111 + number
                    header = struct.pack("!BBHII", 0x80, 8, sequence & 0xFFFF, sequence * 160, ssrc)
                    side.sendto(header + b"\xd5" * 160, ("127.0.0.1", port))
                sequence += 1
                time.sleep(0.02)

        talking = threading.Thread(target=talk, daemon=True)
        talking.start()
        try:
            yield LiveCall(record, rtpengine, sides, quiet)
        finally:
            stopping.set()
            talking.join()
            for side in sides:
                side.close()


@pytest.mark.browser
@pytest.mark.slow
def test_security_hear_both_sides_of_a_live_call_and_stop(
    live_call: LiveCall, security: Client, live_server: Any, tmp_path: Path
) -> None:
    call = live_call.record
    with sync_playwright() as playwright:
        browser = launch_chromium(
            playwright,
            args=[
                "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        context = browser.new_context()
        context.add_cookies(
            [
                {"name": name, "value": morsel.value, "url": live_server.url}
                for name, morsel in security.cookies.items()
            ]
        )
        page = context.new_page()
        page.goto(f"{live_server.url}/staff/phone/calls/{call.pk}/listen")
        page.get_by_role("button", name="Start listening").click()
        try:
            page.wait_for_function("() => window.WG_LISTEN.state === 'listening'", timeout=15_000)
        except Exception as exc:  # say what the page and rtpengine made of it
            said = page.evaluate("() => JSON.stringify({...window.WG_LISTEN, peer: null})")
            raise AssertionError(
                f"{said}\n--- rtpengine:\n{live_call.rtpengine.log()[-3000:]}"
            ) from exc
        deadline = time.monotonic() + 10
        while len(heard := _packets(page)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
        later = _packets(page)
        assert len(later) == 2, later  # the prisoner's side and the called person's
        assert all(now > before + 20 for now, before in zip(later, heard, strict=True)), (
            heard,
            later,
        )
        # Each side in its own player: with the prisoner silent, only the second one grows.
        live_call.quiet.add(0)
        time.sleep(0.3)
        before = _packets(page)
        time.sleep(1)
        after = _packets(page)
        assert after[0] - before[0] < 5 and after[1] - before[1] > 20, (before, after)
        players = page.evaluate(
            "() => [...document.querySelectorAll('audio')].map((p) => !!p.srcObject)"
        )
        assert players == [True, True]
        page.screenshot(path=str(tmp_path / "listening.png"))
        page.get_by_role("button", name="Stop listening").click()
        page.wait_for_function("() => window.WG_LISTEN.state === 'stopped'", timeout=10_000)
        browser.close()
    listening = PhoneListening.objects.get()
    assert listening.started_at and listening.ended_at
    actions = list(
        AuditEvent.objects.filter(action__startswith="phone.call.listen")
        .order_by("pk")
        .values_list("action", "actor_label")
    )
    assert [a for a, _ in actions] == [
        "phone.call.listen.asked",
        "phone.call.listen.started",
        "phone.call.listen.ended",
    ]
    # rtpengine sends the listener nothing more: its subscription to each side is gone.
    tags = ask("query", live_call.rtpengine.setup.control, call={"call-id": call.sip_call_id})[
        "tags"
    ]
    assert tags[listening.tag]["subscriptions"] == [], tags[listening.tag]
    for side in ("hs-1", "tr-1"):
        assert listening.tag not in [s["tag"] for s in tags[side]["subscribers"]], tags[side]


def _packets(page: Any) -> list[int]:
    return list(
        page.evaluate(
            """async () => {
              const peer = window.WG_LISTEN.peer;
              const order = peer.getTransceivers().map((t) => t.receiver.track.id);
              const found = [];
              (await peer.getStats()).forEach((r) => {
                if (r.type === 'inbound-rtp') found[order.indexOf(r.trackIdentifier)] = r.packetsReceived;
              });
              return found.filter((n) => n !== undefined);
            }"""
        )
    )


def test_an_answer_naming_another_address_is_refused_and_nothing_is_sent_there(
    live_call: LiveCall, security: Client, estate: Estate
) -> None:
    call = live_call.record
    offered = security.post(f"/staff/phone/calls/{call.pk}/listen/offer")
    assert offered.status_code == 200, offered.content
    listening = offered.json()["listening"]
    catcher = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    catcher.bind(("127.0.0.1", 0))
    catcher.settimeout(1.5)
    plain = (
        f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        f"m=audio {catcher.getsockname()[1]} RTP/AVP 8\r\na=recvonly\r\n"
        f"m=audio {catcher.getsockname()[1]} RTP/AVP 8\r\na=recvonly\r\n"
    )
    refused = security.post(
        f"/staff/phone/calls/{call.pk}/listen/{listening}/answer", {"sdp": plain}
    )
    assert refused.status_code == 409 and "not encrypted audio" in refused.json()["error"]
    with pytest.raises(TimeoutError):
        catcher.recv(2048)
    catcher.close()
    # Asking again ends the listener's earlier listening (each holds the relay's ports).
    again = security.post(f"/staff/phone/calls/{call.pk}/listen/offer")
    assert again.status_code == 200 and again.json()["listening"] != listening
    assert PhoneListening.objects.get(pk=listening).ended_at is not None
    listening = again.json()["listening"]
    # Another member of staff cannot answer or stop someone else's listening.
    other = staff_client(estate, "security.a2", StaffRole.SECURITY)
    answer_url = f"/staff/phone/calls/{call.pk}/listen/{listening}/answer"
    assert other.post(answer_url, {"sdp": BROWSER_ANSWER}).status_code == 404
    assert other.post(f"/staff/phone/calls/{call.pk}/listen/{listening}/stop").status_code == 404
    # The call's end ends the listening with it.
    do_end_phone_call(call, ended_by=EndedBy.CALLED, actor=SETUP)
    assert PhoneListening.objects.get(pk=listening).ended_at is not None

"""Security staff listening to a live phone call, in their browser.

rtpengine already carries both sides of every call. ``do_start_listening`` asks it for a
subscription to the two sides (ng ``subscribe request`` naming the prisoner's and the
called person's tags): it answers with an SDP offer for WebRTC (DTLS-SRTP, ICE), which the
listener's browser answers; ``do_answer_listening`` hands that answer back (``subscribe
answer``), and the audio flows, each side in its own track. ``do_stop_listening`` ends it
(``unsubscribe``); the call's end ends it too.

What it never does:
- listen to a legal call (refused here, and a 404 on the pages);
- carry anything from the listener into the call: the subscription only sends, and an
  answer that would send (``sendrecv``, ``sendonly``, or no direction, which means
  sendrecv) is refused;
- send the call's audio anywhere but the browser that answered: the answer must be
  DTLS-SRTP with ICE, so rtpengine sends only after that browser has answered its
  connectivity checks, encrypted to that browser's certificate. A plain RTP answer naming
  some other address is refused.

Each start, answer and stop is audited, naming the listener and the call.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from wicketgate.accounts.models import User
from wicketgate.audit.log import Actor, record_event
from wicketgate.lib.errors import ActionError
from wicketgate.phone.codes import NumberKind
from wicketgate.phone.models import PhoneCall, PhoneListening
from wicketgate.phone.rtpengine import MediaRelayError, ask

WEBRTC = "UDP/TLS/RTP/SAVPF"
# How the offer is made for a browser: DTLS-SRTP (no SDES keys in the SDP), ICE, RTP and
# RTCP on one port.
OFFER_FOR_BROWSER: dict[str, Any] = {
    "transport-protocol": WEBRTC,
    "ICE": "force",
    "rtcp-mux": ["offer"],
    "SDES": ["off"],
}
MAX_ANSWER = 16_000  # characters: a browser's answer for two audio tracks is about 1,500
MEDIA_LINE = re.compile(r"^m=(\w+) (\d+) (\S+)(?: \S+)+$")


class ListeningError(ActionError):
    """The listening cannot start, go on or stop (the message says why)."""


def do_start_listening(call: PhoneCall, *, listener: User) -> tuple[PhoneListening, str]:
    """Ask rtpengine for a copy of both sides of ``call`` for ``listener``'s browser:
    the listening and the SDP offer the browser must answer. Raises ``ListeningError``."""
    if call.kind == NumberKind.LEGAL:
        raise ListeningError("a legal call is never listened to")
    if not call.live:
        raise ListeningError("the call has ended")
    if call.answered_at is None or not call.caller_tag or not call.called_tag:
        raise ListeningError("the call has not been answered yet")
    try:
        # The prisoner's side first, the called person's second: the page plays them so.
        fields: dict[str, Any] = {"from-tags": [call.caller_tag, call.called_tag]}
        offer = ask(
            "subscribe request", call={"call-id": call.sip_call_id}, **fields, **OFFER_FOR_BROWSER
        )
    except MediaRelayError as exc:
        raise ListeningError(f"the media relay did not offer the call's audio: {exc}") from exc
    sdp, tag = offer.get("sdp"), offer.get("to-tag")
    if not isinstance(sdp, str) or not isinstance(tag, str) or not tag:
        raise ListeningError("the media relay's offer cannot be read")
    with transaction.atomic():
        listening = PhoneListening.objects.create(
            call=call, listener=listener, tag=tag[:128], asked_at=timezone.now()
        )
        _record("phone.call.listen.asked", listening)
    return listening, sdp


def do_answer_listening(listening: PhoneListening, sdp: str) -> PhoneListening:
    """The listener's browser answers: the audio starts. Raises ``ListeningError`` if the
    answer could send anything, is not for a browser, or the listening is over."""
    if listening.started_at is not None or listening.ended_at is not None:
        raise ListeningError("this listening has already been answered")
    call = listening.call
    if not call.live:
        raise ListeningError("the call has ended")
    check_browser_answer(sdp)
    try:
        ask(
            "subscribe answer",
            call={"call-id": call.sip_call_id, "to-tag": listening.tag},
            sdp=sdp,
        )
    except MediaRelayError as exc:
        raise ListeningError(f"the media relay did not take the answer: {exc}") from exc
    with transaction.atomic():
        listening.started_at = timezone.now()
        listening.save(update_fields=["started_at"])
        _record("phone.call.listen.started", listening)
    return listening


def do_stop_listening(listening: PhoneListening) -> PhoneListening:
    """Stop sending the call to the listener (if the call is still on) and record it.
    Stopping one already stopped changes nothing."""
    if listening.ended_at is not None:
        return listening
    call = listening.call
    if call.live:
        try:
            ask("unsubscribe", call={"call-id": call.sip_call_id, "to-tag": listening.tag})
        except MediaRelayError as exc:
            if "Unknown" not in str(exc):  # the call went meanwhile: nothing to stop
                raise ListeningError(f"the media relay did not stop: {exc}") from exc
    with transaction.atomic():
        listening.ended_at = timezone.now()
        listening.save(update_fields=["ended_at"])
        _record("phone.call.listen.ended", listening)
    return listening


def check_browser_answer(sdp: str) -> None:
    """Refuse an answer that is not a receive-only WebRTC answer (see the module's
    docstring for why each rule is there)."""
    if not sdp or len(sdp) > MAX_ANSWER or not sdp.isascii() or "\0" in sdp:
        raise ListeningError("the answer is not an SDP answer from a browser")
    lines = [line for line in re.split(r"\r?\n", sdp) if line]
    if not lines or lines[0] != "v=0":
        raise ListeningError("the answer is not an SDP answer from a browser")
    session, sections = _sections(lines)
    if not sections:
        raise ListeningError("the answer has no media")
    for number, (kind, proto, own) in enumerate(sections, start=1):
        attributes = session + own
        if kind != "audio" or proto != WEBRTC:
            raise ListeningError(f"media {number} is not encrypted audio for a browser ({proto})")
        for needed in ("a=fingerprint:", "a=ice-ufrag:", "a=ice-pwd:"):
            if not any(line.startswith(needed) for line in attributes):
                raise ListeningError(f"media {number} has no {needed[2:-1]}")
        directions = [line for line in own if line in DIRECTIONS] or [
            line for line in session if line in DIRECTIONS
        ]
        if directions not in (["a=recvonly"], ["a=inactive"]):
            raise ListeningError(
                f"media {number} would send into the call: only listening is allowed"
            )


DIRECTIONS = {"a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"}


def _sections(lines: list[str]) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """The session's lines, then each media section: its kind, proto and own lines."""
    session: list[str] = []
    sections: list[tuple[str, str, list[str]]] = []
    for line in lines:
        if line.startswith("m="):
            found = MEDIA_LINE.match(line)
            if found is None:
                raise ListeningError(f"the answer's media line cannot be read: {line[:80]}")
            sections.append((found.group(1), found.group(3), []))
        elif sections:
            sections[-1][2].append(line)
        else:
            session.append(line)
    return session, sections


def _record(action: str, listening: PhoneListening) -> None:
    call = listening.call
    record_event(
        action,
        actor=Actor.of_user(listening.listener),
        subject=call.prisoner,
        establishment=call.prisoner.establishment,
        details={"call": call.pk, "listening": listening.pk, "number": call.number},
    )

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
- send the call's audio as plain RTP to an address of the answer's choosing: the answer
  must be DTLS-SRTP with ICE, so rtpengine sends only where ICE connectivity checks with
  the answer's credentials succeeded, and only once a DTLS handshake with the answer's
  certificate has given it keys (ICE alone would not do: rtpengine, as the offerer, is
  ICE-controlling and does not take candidates trickled later, so the browser's own
  candidates are kept, at most ``MAX_CANDIDATES`` a media, not a list of hosts to probe);
- be read one way here and another by rtpengine (a blank line, where rtpengine stops
  reading, is refused);
- hold the relay's ports without end: one listening per listener per call, and at most
  ``MAX_LISTENING`` on a call.

Each start, answer and stop is audited, naming the listener and the call.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from wicketgate.accounts.models import User
from wicketgate.accounts.roles import Action
from wicketgate.audit.log import Actor, record_event
from wicketgate.lib.errors import ActionError
from wicketgate.phone.codes import NumberKind
from wicketgate.phone.models import PhoneCall, PhoneListening
from wicketgate.phone.rtpengine import MediaRelayError, ask

log = logging.getLogger(__name__)
WEBRTC = "UDP/TLS/RTP/SAVPF"
# How the offer is made for a browser: DTLS-SRTP (no SDES keys in the SDP), ICE, RTP and
# RTCP on one port.
OFFER_FOR_BROWSER: dict[str, Any] = {
    "transport-protocol": WEBRTC,
    "ICE": "force",
    "rtcp-mux": ["offer"],
    "SDES": ["off"],
}
# rtpengine checks each candidate (a STUN request each): a few for a browser's own
# interfaces, not a list of hosts to probe from the relay.
MAX_CANDIDATES = 8
MAX_ANSWER = 16_000  # characters: a browser's answer for two audio tracks is about 1,500
MEDIA_LINE = re.compile(r"^m=(\w+) (\d+) (\S+)(?: \S+)+$")
SDP_LINE = re.compile(r"^[a-z]=[^\r\n]*$")


class ListeningError(ActionError):
    """The listening cannot start, go on or stop (the message says why)."""


MAX_LISTENING = 3  # open listenings on one call at once (each holds relay ports)


def do_start_listening(call: PhoneCall, *, listener: User) -> tuple[PhoneListening, str]:
    """Ask rtpengine for a copy of both sides of ``call`` for ``listener``'s browser:
    the listening and the SDP offer the browser must answer. An earlier listening of
    theirs to the call stops first. Raises ``ListeningError``."""
    if call.kind == NumberKind.LEGAL or not call.recorded:
        raise ListeningError("a legal or privileged call is never listened to")
    if not call.live:
        raise ListeningError("the call has ended")
    if call.answered_at is None or not call.caller_tag or not call.called_tag:
        raise ListeningError("the call has not been answered yet")
    for earlier in call.listenings.filter(listener=listener, ended_at__isnull=True):
        do_stop_listening(earlier)
    if call.listenings.filter(ended_at__isnull=True).count() >= MAX_LISTENING:
        raise ListeningError(f"{MAX_LISTENING} people are listening to this call already")
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
    answer could send anything, is not for a browser, or the listening is over.

    The start is claimed and audited before rtpengine is given the answer, so no audio
    flows unrecorded; if rtpengine does not take it, the listening is stopped."""
    answer = browser_answer(sdp)
    with transaction.atomic():
        locked = (
            PhoneListening.objects.select_for_update()
            .select_related("call__prisoner__establishment", "listener")
            .get(pk=listening.pk)
        )
        if locked.started_at is not None or locked.ended_at is not None:
            raise ListeningError("this listening has already been answered")
        if not locked.call.live:
            raise ListeningError("the call has ended")
        locked.started_at = timezone.now()
        locked.save(update_fields=["started_at"])
        _record("phone.call.listen.started", locked)
    call = locked.call
    try:
        ask(
            "subscribe answer",
            call={"call-id": call.sip_call_id, "to-tag": locked.tag},
            sdp=answer,
        )
    except MediaRelayError as exc:
        _unsubscribe_quietly(call.sip_call_id, [locked.tag])
        _end(locked, why=f"the media relay did not take the answer: {exc}")
        raise ListeningError(f"the media relay did not take the answer: {exc}") from exc
    return locked


def do_stop_listening(
    listening: PhoneListening, *, why: str = "stopped by the listener"
) -> PhoneListening:
    """Stop sending the call to the listener and record it. Asked of rtpengine even when
    the call's record has ended (Kamailio may not have hung it up yet). Stopping one
    already stopped changes nothing."""
    if listening.ended_at is not None:
        return listening
    try:
        ask("unsubscribe", call={"call-id": listening.call.sip_call_id, "to-tag": listening.tag})
    except MediaRelayError as exc:
        if "Unknown" not in str(exc):  # "Unknown call-id"/"Unknown to-tag": nothing to stop
            raise ListeningError(f"the media relay did not stop: {exc}") from exc
    return _end(listening, why=why)


def stop_listenings_of(sender: Any = None, *, user: Any = None, **kwargs: Any) -> None:
    """The member of staff signed out: their open listenings stop (a receiver of
    ``user_logged_out``; one that cannot be stopped is left for the watcher's next try)."""
    if not isinstance(user, User):
        return
    for listening in PhoneListening.objects.filter(listener=user, ended_at__isnull=True):
        try:
            do_stop_listening(listening, why="the listener signed out")
        except ListeningError:
            log.exception("phone: could not stop listening %s at sign-out", listening.pk)


def stop_listenings_no_longer_allowed(now: dt.datetime | None = None) -> list[PhoneListening]:
    """Listenings whose listener may no longer listen to that call (their account
    disabled, their role or establishment changed) stop: the phone watcher's round."""
    stopped = []
    listenings = PhoneListening.objects.filter(ended_at__isnull=True).select_related(
        "listener", "call__prisoner__establishment"
    )
    for listening in listenings:
        listener = listening.listener
        if listener.is_active and (
            PhoneCall.objects.for_user(listener, Action.OVERSEE_PHONE)
            .filter(pk=listening.call_id)
            .exists()
        ):
            continue
        try:
            stopped.append(do_stop_listening(listening, why="the listener may no longer listen"))
        except ListeningError:
            log.exception("phone: could not stop listening %s", listening.pk)
    return stopped


def close_listenings(call: PhoneCall, *, at: dt.datetime) -> None:
    """The call has ended: every listening to it ends in the record now, and rtpengine is
    asked to stop each (after the commit, as well as it can: its call may be gone)."""
    ending = list(call.listenings.filter(ended_at__isnull=True).select_related("listener"))
    for listening in ending:
        listening.call = call
        _end(listening, why="the call ended", at=at)
    if ending:
        tags = [listening.tag for listening in ending]
        transaction.on_commit(lambda: _unsubscribe_quietly(call.sip_call_id, tags))


def _end(listening: PhoneListening, *, why: str, at: dt.datetime | None = None) -> PhoneListening:
    with transaction.atomic():
        ended = PhoneListening.objects.filter(pk=listening.pk, ended_at__isnull=True).update(
            ended_at=at or timezone.now()
        )
        if ended:
            listening.refresh_from_db(fields=["ended_at"])
            _record("phone.call.listen.ended", listening, why=why)
    return listening


def _unsubscribe_quietly(sip_call_id: str, tags: list[str]) -> None:
    for tag in tags:
        try:
            ask("unsubscribe", call={"call-id": sip_call_id, "to-tag": tag})
        except MediaRelayError as exc:
            log.info("unsubscribe %s from %s: %s", tag, sip_call_id, exc)


def browser_answer(sdp: str) -> str:
    """The answer as rtpengine is given it, once ``check_browser_answer`` has taken it."""
    check_browser_answer(sdp)
    return sdp


def check_browser_answer(sdp: str) -> None:
    """Refuse an answer that is not a receive-only WebRTC answer (see the module's
    docstring for why each rule is there). Read exactly as rtpengine reads it: lines end
    in CRLF, and a blank line (where rtpengine stops reading) is refused."""
    if not sdp or len(sdp) > MAX_ANSWER or not sdp.isascii() or "\0" in sdp:
        raise ListeningError("the answer is not an SDP answer from a browser")
    lines = sdp.split("\r\n")
    if lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "v=0" or any(not SDP_LINE.match(line) for line in lines):
        raise ListeningError("the answer is not an SDP answer from a browser")
    session, sections = _sections(lines)
    if not sections:
        raise ListeningError("the answer has no media")
    for number, (kind, proto, own) in enumerate(sections, start=1):
        attributes = session + own
        if kind != "audio" or proto != WEBRTC:
            raise ListeningError(f"media {number} is not encrypted audio for a browser ({proto})")
        if sum(line.startswith("a=candidate:") for line in own) > MAX_CANDIDATES:
            raise ListeningError(f"media {number} names more than {MAX_CANDIDATES} candidates")
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


def _record(action: str, listening: PhoneListening, *, why: str = "") -> None:
    call = listening.call
    record_event(
        action,
        actor=Actor.of_user(listening.listener),
        subject=call.prisoner,
        establishment=call.prisoner.establishment,
        details={
            "call": call.pk,
            "listening": listening.pk,
            "number": call.number,
            **({"why": why[:300]} if why else {}),
        },
    )

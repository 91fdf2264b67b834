"""Recordings of phone calls: made by rtpengine, turned into audio when the call ends,
kept for the retention period (``WICKETGATE_PHONE_RECORDING_DAYS``), played only by staff
with the permission, every playing on the record. A legal call is never recorded: its
decision says so, and Kamailio asks rtpengine to record only when it does.

rtpengine (``--recording-method=pcap``) writes one pcap a call, named after the call's
SIP Call-ID, holding the RTP packets each side sent. ``convert_recordings`` decodes the
G.711 audio in it (``audioop``) into a stereo WAV, the prisoner left and the called
person right, placed by arrival time so the two line up, and removes the pcap.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
import warnings
import wave
from pathlib import Path
from urllib.parse import quote

import dpkt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.phone.codes import CallState
from wicketgate.phone.models import PhoneCall

with warnings.catch_warnings():  # in the standard library until 3.13; the project is on 3.11
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RECORDER = Actor.system("phone recordings")
RATE = 8000  # G.711
PCMU, PCMA = 0, 8
# rtpengine closes a call's pcap when the call is deleted there: give it a moment.
SETTLE = dt.timedelta(seconds=5)


class RecordingProblem(Exception):
    """A pcap that holds no audio Wicketgate can read."""


def recordings_folder() -> Path:
    return Path(settings.WICKETGATE_PHONE_DIR) / "recordings"


def raw_recordings() -> Path:
    """Where rtpengine writes its pcaps (its recording-dir, ``pcaps`` below it)."""
    return Path(settings.WICKETGATE_PHONE_DIR) / "rtpengine" / "recordings" / "pcaps"


def convert_recordings(
    now: dt.datetime | None = None, *, raw: Path | None = None
) -> list[PhoneCall]:
    """Every ended, recorded call whose pcap is there and not yet turned into audio."""
    moment = now or timezone.now()
    source = raw or raw_recordings()
    done = []
    for call in PhoneCall.objects.filter(
        recorded=True,
        state=CallState.ENDED,
        recording="",
        ended_at__lte=moment - SETTLE,
        ended_at__gte=moment - dt.timedelta(days=settings.WICKETGATE_PHONE_RECORDING_DAYS),
    ).select_related("prisoner__establishment"):
        pcaps = _pcaps_of(source, call.sip_call_id)
        if not pcaps:
            continue
        target = recordings_folder() / f"call-{call.pk}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            seconds = pcap_to_wav(pcaps[0], target)
        except Exception as exc:  # one call's bad pcap must not stop the others' conversion
            record_event(
                "phone.recording.unreadable",
                actor=RECORDER,
                subject=call.prisoner,
                establishment=call.prisoner.establishment,
                details={"call": call.pk, "problem": str(exc)},
            )
            seconds = None
        with transaction.atomic():
            ended = call.ended_at or moment
            call.recording = target.name if seconds is not None else "-"
            call.recording_until = ended + dt.timedelta(
                days=settings.WICKETGATE_PHONE_RECORDING_DAYS
            )
            call.save(update_fields=["recording", "recording_until"])
            if seconds is not None:
                record_event(
                    "phone.recording.keep",
                    actor=RECORDER,
                    subject=call.prisoner,
                    establishment=call.prisoner.establishment,
                    details={"call": call.pk, "seconds": round(seconds, 1)},
                )
        for made in pcaps:  # rtpengine's copy is not kept once Wicketgate has its own
            made.unlink(missing_ok=True)
            (source.parent / "metadata" / f"rtpengine-meta-{made.stem}.txt").unlink(missing_ok=True)
        done.append(call)
    return done


def delete_expired_recordings(now: dt.datetime | None = None, *, raw: Path | None = None) -> int:
    """Recordings past their retention: the audio removed, the call's record kept. And
    rtpengine's own pcaps that no kept recording came from: those of calls never
    answered (which may hold early audio), and any older than the retention period."""
    moment = now or timezone.now()
    source = raw or raw_recordings()
    for call in PhoneCall.objects.filter(
        recorded=True, state=CallState.UNANSWERED, ended_at__lte=moment - SETTLE
    ).filter(ended_at__gte=moment - dt.timedelta(days=settings.WICKETGATE_PHONE_RECORDING_DAYS)):
        for made in _pcaps_of(source, call.sip_call_id):
            made.unlink(missing_ok=True)
    oldest = (moment - dt.timedelta(days=settings.WICKETGATE_PHONE_RECORDING_DAYS)).timestamp()
    for folder in (source, source.parent / "metadata"):
        if folder.is_dir():
            for made in folder.iterdir():
                if made.is_file() and made.stat().st_mtime < oldest:
                    made.unlink(missing_ok=True)
    gone = 0
    for call in (
        PhoneCall.objects.filter(recording_until__lte=moment)
        .exclude(recording="")
        .select_related("prisoner__establishment")
    ):
        if call.recording != "-":
            (recordings_folder() / call.recording).unlink(missing_ok=True)
        call.recording = ""
        call.recording_until = None
        call.save(update_fields=["recording", "recording_until"])
        record_event(
            "phone.recording.delete",
            actor=RECORDER,
            subject=call.prisoner,
            establishment=call.prisoner.establishment,
            details={"call": call.pk, "reason": "retention period over"},
        )
        gone += 1
    return gone


def recording_file(call: PhoneCall) -> Path | None:
    """The call's audio, if it is kept (and never a legal call's)."""
    if not call.recorded or call.kind == "legal" or call.recording in ("", "-"):
        return None
    found = recordings_folder() / call.recording
    return found if found.is_file() else None


def pcap_to_wav(pcap: Path, wav: Path) -> float:
    """Decode the G.711 RTP in ``pcap`` (one flow for each side) into a stereo WAV, the
    first side heard left; returns its length in seconds."""
    flows: dict[tuple[int, int], list[tuple[float, bytes]]] = {}
    start: float | None = None
    try:
        with pcap.open("rb") as handle:
            for at, frame in dpkt.pcap.Reader(handle):
                audio = _audio(frame)
                if audio is None:
                    continue
                flow, payload = audio
                start = at if start is None else start
                flows.setdefault(flow, []).append((at - start, payload))
    except (ValueError, struct.error, dpkt.dpkt.UnpackError) as exc:
        raise RecordingProblem(f"{pcap.name} cannot be read: {exc}") from exc
    if not flows:
        raise RecordingProblem(f"{pcap.name} holds no G.711 audio")
    tracks = [_track(packets) for packets in list(flows.values())[:2]]
    if len(tracks) == 1:
        tracks.append(b"")
    length = max(len(track) for track in tracks)
    left, right = (track.ljust(length, b"\0") for track in tracks)
    stereo = audioop.add(audioop.tostereo(left, 2, 1, 0), audioop.tostereo(right, 2, 0, 1), 2)
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(stereo)
    return length / 2 / RATE


def _audio(frame: bytes) -> tuple[tuple[int, int], bytes] | None:
    """((source port, SSRC), 16-bit samples) of a G.711 RTP packet; None for anything else,
    a packet cut short included (whoever sent it, it is not audio)."""
    try:
        return _rtp_audio(frame)
    except (ValueError, IndexError, struct.error, dpkt.dpkt.UnpackError):
        return None


def _rtp_audio(frame: bytes) -> tuple[tuple[int, int], bytes] | None:
    ether = dpkt.ethernet.Ethernet(frame)
    ip = ether.data
    if not isinstance(ip, dpkt.ip.IP) or not isinstance(ip.data, dpkt.udp.UDP):
        return None
    udp = ip.data
    rtp = bytes(udp.data)
    if len(rtp) < 12 or rtp[0] >> 6 != 2:
        return None
    kind = rtp[1] & 0x7F
    if kind not in (PCMU, PCMA):
        return None  # key presses (telephone-event) and anything else
    header = 12 + 4 * (rtp[0] & 0x0F)
    if rtp[0] & 0x10:  # a header extension
        header += 4 + 4 * struct.unpack("!H", rtp[header + 2 : header + 4])[0]
    if header > len(rtp):
        return None
    payload = rtp[header:]
    samples = audioop.alaw2lin(payload, 2) if kind == PCMA else audioop.ulaw2lin(payload, 2)
    ssrc = struct.unpack("!I", rtp[8:12])[0]
    return (int(udp.sport), ssrc), samples


def _track(packets: list[tuple[float, bytes]]) -> bytes:
    buffer = bytearray()
    for at, samples in packets:
        position = round(at * RATE) * 2
        if position > len(buffer):
            buffer.extend(b"\0" * (position - len(buffer)))
        buffer[position : position + len(samples)] = samples
    return bytes(buffer)


def _pcaps_of(source: Path, call_id: str) -> list[Path]:
    """rtpengine's pcaps of this call and no other: named ``<Call-ID URI-escaped>-<16 hex>``
    (a Call-ID "Z" must not find "Z-1"'s)."""
    if not source.is_dir():
        return []
    name = re.compile(re.escape(quote(call_id, safe="")) + r"-[0-9a-f]{16}\.pcap")
    return sorted(path for path in source.iterdir() if name.fullmatch(path.name))


def do_play_phone_recording(call: PhoneCall, *, actor: Actor) -> Path:
    """Staff play a call's recording: on the record each time. Raises ``FileNotFoundError``
    when there is none to play (never for a legal call)."""
    found = recording_file(call)
    if found is None:
        raise FileNotFoundError(f"call {call.pk} has no recording")
    record_event(
        "phone.recording.play",
        actor=actor,
        subject=call.prisoner,
        establishment=call.prisoner.establishment,
        details={"call": call.pk, "number": call.number},
    )
    return found

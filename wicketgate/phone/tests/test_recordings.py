"""Recordings of phone calls: rtpengine's pcap turned into a stereo WAV (the prisoner on
one side, the called person on the other), kept for the retention period, played only by
staff who may and each playing audited, never a legal call's. The clock is frozen."""

from __future__ import annotations

import datetime as dt
import os
import struct
import wave
from pathlib import Path
from typing import Any

import dpkt
import pytest
import time_machine
from django.test import Client

from wicketgate.accounts.roles import StaffRole
from wicketgate.audit.models import AuditEvent
from wicketgate.phone.codes import CallState
from wicketgate.phone.models import PhoneCall
from wicketgate.phone.recordings import (
    RecordingProblem,
    convert_recordings,
    delete_expired_recordings,
    pcap_to_wav,
    recordings_folder,
)
from wicketgate.phone.tests.data import a_phone_call
from wicketgate.testing.personas import Estate, staff_client

pytestmark = pytest.mark.django_db

ENDED = dt.datetime(2026, 11, 26, 10, 5, tzinfo=dt.UTC)
CALL_ID = "1-2345@10.20.0.5"


def write_pcap(
    path: Path, sides: dict[int, int], *, seconds: float = 1.0, extra: bytes = b""
) -> None:
    """RTP as rtpengine records it: a flow of 20 ms A-law packets from each source port,
    ``sides`` mapping port to the byte each side's payload repeats (a loud or quiet one)."""
    with path.open("wb") as handle:
        writer = dpkt.pcap.Writer(handle)
        for n in range(int(seconds * 50)):
            for port, byte in sides.items():
                rtp = struct.pack("!BBHII", 0x80, 8, n, n * 160, port) + bytes([byte]) * 160
                udp = dpkt.udp.UDP(sport=port, dport=40000, data=rtp)
                udp.ulen = len(bytes(udp))
                ip = dpkt.ip.IP(src=b"\x7f\0\0\x01", dst=b"\x7f\0\0\x01", p=17, data=udp)
                ip.len = len(bytes(ip))
                frame = dpkt.ethernet.Ethernet(type=dpkt.ethernet.ETH_TYPE_IP, data=ip)
                writer.writepkt(bytes(frame), ts=1_700_000_000 + n * 0.02)
        if extra:  # one more packet, as a hostile handset might send it
            udp = dpkt.udp.UDP(sport=30000, dport=40000, data=extra)
            ip = dpkt.ip.IP(src=b"\x7f\0\0\x01", dst=b"\x7f\0\0\x01", p=17, data=udp)
            frame = dpkt.ethernet.Ethernet(type=dpkt.ethernet.ETH_TYPE_IP, data=ip)
            writer.writepkt(bytes(frame), ts=1_700_000_000 + seconds)


def a_call(estate: Estate, **fields: Any) -> PhoneCall:
    prisoner = fields.pop("prisoner", estate.prisoner_a)
    return a_phone_call(
        prisoner,
        at=ENDED - dt.timedelta(minutes=5),
        **{"state": CallState.ENDED, "ended_at": ENDED, "sip_call_id": CALL_ID, **fields},
    )


def test_a_pcap_becomes_a_stereo_wav_one_side_a_channel(tmp_path: Path) -> None:
    pcap = tmp_path / "call.pcap"
    write_pcap(pcap, {30000: 0x2A, 30002: 0xD5}, seconds=2)  # loud, and A-law's silence
    seconds = pcap_to_wav(pcap, tmp_path / "call.wav")
    assert 1.9 < seconds < 2.1
    with wave.open(str(tmp_path / "call.wav")) as made:
        assert (made.getnchannels(), made.getframerate(), made.getsampwidth()) == (2, 8000, 2)
        frames = made.readframes(made.getnframes())
    left = struct.unpack("<h", frames[4000:4002])[0]
    right = struct.unpack("<h", frames[4002:4004])[0]
    assert abs(left) > 1000 and abs(right) < 50  # each side in its own channel


@pytest.mark.parametrize("content", [b"", b"not a pcap at all"])
def test_a_pcap_with_no_audio_is_a_problem_named(tmp_path: Path, content: bytes) -> None:
    pcap = tmp_path / "broken.pcap"
    pcap.write_bytes(content)
    with pytest.raises(RecordingProblem, match="broken.pcap"):
        pcap_to_wav(pcap, tmp_path / "out.wav")


def test_an_ended_recorded_call_keeps_its_audio_for_the_retention_and_then_loses_it(
    estate: Estate, settings: Any, tmp_path: Path
) -> None:
    settings.WICKETGATE_PHONE_RECORDING_DAYS = 30
    raw = tmp_path / "pcaps"
    raw.mkdir()
    write_pcap(raw / "1-2345%4010.20.0.5-0123456789abcdef.pcap", {30000: 0x2A, 30002: 0x55})
    write_pcap(raw / "1-2345%4010.20.0.5-1-fedcba9876543210.pcap", {30000: 0x2A})
    call = a_call(estate)
    assert convert_recordings(ENDED + dt.timedelta(seconds=2), raw=raw) == []  # settling
    [kept] = convert_recordings(ENDED + dt.timedelta(seconds=10), raw=raw)
    assert kept.recording == f"call-{call.pk}.wav"
    assert kept.recording_until == ENDED + dt.timedelta(days=30)
    assert (recordings_folder() / kept.recording).is_file()
    assert sorted(p.name for p in raw.iterdir()) == [
        "1-2345%4010.20.0.5-1-fedcba9876543210.pcap"
    ]  # its own gone; a call whose Call-ID only starts the same keeps its own
    assert convert_recordings(ENDED + dt.timedelta(seconds=20), raw=raw) == []  # once
    assert delete_expired_recordings(ENDED + dt.timedelta(days=29)) == 0
    assert delete_expired_recordings(ENDED + dt.timedelta(days=30)) == 1
    assert not (recordings_folder() / kept.recording).exists()
    gone = PhoneCall.objects.get(pk=call.pk)
    assert (gone.recording, gone.state) == ("", CallState.ENDED)  # the call's record stays
    actions = list(
        AuditEvent.objects.filter(action__startswith="phone.recording.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["phone.recording.keep", "phone.recording.delete"]


def test_a_call_not_recorded_is_never_turned_into_audio(estate: Estate, tmp_path: Path) -> None:
    raw = tmp_path / "pcaps"
    raw.mkdir()
    write_pcap(raw / "1-2345%4010.20.0.5-0123456789abcdef.pcap", {30000: 0x2A})
    a_call(estate, recorded=False, kind="legal")
    assert convert_recordings(ENDED + dt.timedelta(seconds=10), raw=raw) == []


@time_machine.travel(ENDED + dt.timedelta(hours=1), tick=False)
def test_staff_who_may_play_recordings_play_one_and_each_playing_is_on_the_record(
    estate: Estate,
) -> None:
    call = a_call(estate, recording="call-1.wav")
    recordings_folder().mkdir(parents=True, exist_ok=True)
    (recordings_folder() / "call-1.wav").write_bytes(b"RIFF....WAVE")
    url = f"/staff/phone/calls/{call.pk}/recording.wav"
    security = staff_client(estate, "security.a", StaffRole.SECURITY)
    played = security.get(url)
    assert played.status_code == 200 and played["Content-Type"] == "audio/wav"
    assert b"".join(played.streaming_content) == b"RIFF....WAVE"  # type: ignore[attr-defined]  # a FileResponse streams
    heard = AuditEvent.objects.get(action="phone.recording.play")
    assert (heard.actor_kind, heard.details["call"]) == ("staff", call.pk)
    # The page offers it to them, and not to the visits team, who may not play recordings.
    page = security.get(f"/staff/prisoners/{estate.prisoner_a.prison_number}/phone/")
    assert url in page.content.decode()
    visits: Client = staff_client(estate, "visits.a", StaffRole.VISITS)
    assert url not in visits.get("/staff/prisoners/A1234BC/phone/").content.decode()
    assert visits.get(url).status_code == 404
    # A legal call is never played, whatever is on disk.
    PhoneCall.objects.filter(pk=call.pk).update(kind="legal")
    assert security.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="phone.recording.play").count() == 1


@pytest.mark.parametrize(
    "hostile",
    [
        struct.pack("!BBHII", 0x90, 8, 1, 1, 1),  # a header extension, and nothing after it
        struct.pack("!BBHII", 0x8F, 8, 1, 1, 1),  # fifteen CSRCs that are not there
        b"\x80",  # not even a header
    ],
)
def test_a_packet_cut_short_is_skipped_and_the_rest_is_still_heard(
    tmp_path: Path, hostile: bytes
) -> None:
    pcap = tmp_path / "call.pcap"
    write_pcap(pcap, {30000: 0x2A, 30002: 0x55}, extra=hostile)
    assert 0.9 < pcap_to_wav(pcap, tmp_path / "call.wav") < 1.1


def test_one_bad_pcap_does_not_stop_the_others(estate: Estate, tmp_path: Path) -> None:
    raw = tmp_path / "pcaps"
    raw.mkdir()
    (raw / "bad-0123456789abcdef.pcap").write_bytes(b"garbage")
    write_pcap(raw / "good-0123456789abcdef.pcap", {30000: 0x2A, 30002: 0x55})
    bad = a_call(estate, sip_call_id="bad")
    good = a_call(estate, sip_call_id="good", prisoner=estate.prisoner_b)
    done = convert_recordings(ENDED + dt.timedelta(seconds=10), raw=raw)
    assert {call.pk for call in done} == {bad.pk, good.pk}
    assert PhoneCall.objects.get(pk=bad.pk).recording == "-"  # unreadable, and said so
    assert PhoneCall.objects.get(pk=good.pk).recording == f"call-{good.pk}.wav"
    assert AuditEvent.objects.filter(action="phone.recording.unreadable").count() == 1


def test_rtpengines_pcaps_of_unanswered_calls_and_old_ones_are_not_kept(
    estate: Estate, settings: Any, tmp_path: Path
) -> None:
    settings.WICKETGATE_PHONE_RECORDING_DAYS = 30
    raw = tmp_path / "pcaps"
    raw.mkdir()
    unanswered = raw / "1-2345%4010.20.0.5-0123456789abcdef.pcap"
    write_pcap(unanswered, {30000: 0x2A})
    stray = raw / "left-over-0123456789abcdef.pcap"
    write_pcap(stray, {30000: 0x2A})
    a_call(estate, state=CallState.UNANSWERED, answered_at=None)
    delete_expired_recordings(ENDED + dt.timedelta(seconds=10), raw=raw)
    assert not unanswered.exists() and stray.exists()
    old = (ENDED - dt.timedelta(days=31)).timestamp()
    os.utime(stray, (old, old))
    delete_expired_recordings(ENDED + dt.timedelta(seconds=10), raw=raw)
    assert not stray.exists()

"""The announcement: spoken once for each establishment by espeak-ng (again only when its
words change), and the prisoner let through when it has been heard. (Played through the
real rtpengine: test_kamailio.py.)"""

from __future__ import annotations

import datetime as dt
import io
import wave
from pathlib import Path
from typing import Any

import pytest

from wicketgate.gateway.actions import do_register_device
from wicketgate.phone import announcements
from wicketgate.phone.announcements import (
    announcement_for,
    end_calls_not_accepted,
    release_prisoners,
    speak,
    speak_announcements,
    words_for,
)
from wicketgate.phone.codes import EndedBy
from wicketgate.phone.models import PhoneCall
from wicketgate.phone.rtpengine import MediaRelayError
from wicketgate.phone.tests.data import a_phone_call
from wicketgate.testing.personas import SETUP, Estate

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def test_each_establishment_has_its_announcement_spoken_once(
    estate: Estate, settings: Any, tmp_path: Path
) -> None:
    settings.WICKETGATE_PHONE_ANNOUNCEMENTS_DIR = tmp_path / "announcements"
    spoken = announcement_for(estate.a)
    with wave.open(str(spoken)) as audio:
        assert audio.getnframes() / audio.getframerate() > 3  # words, not silence
    assert spoken.stat().st_mode & 0o777 == 0o644  # rtpengine's user reads it
    assert announcement_for(estate.a) == spoken  # not spoken again
    assert announcement_for(estate.b) != spoken
    estate.a.name = "HMP Northgate and Eastgate"
    estate.a.save()
    assert announcement_for(estate.a) != spoken  # new words, a new file


def _frames(spoken: bytes | Path) -> bytes:
    with wave.open(str(spoken) if isinstance(spoken, Path) else io.BytesIO(spoken)) as audio:
        return bytes(audio.readframes(audio.getnframes()))


def test_in_wales_the_announcement_is_in_welsh_then_english(
    estate: Estate, settings: Any, tmp_path: Path
) -> None:
    settings.WICKETGATE_PHONE_ANNOUNCEMENTS_DIR = tmp_path / "announcements"
    english_only = _frames(announcement_for(estate.a))
    estate.a.in_wales = True
    estate.a.welsh_name = "CEF Porth y Gogledd"
    estate.a.save()
    spoken = announcement_for(estate.a)
    assert spoken.name.startswith("ngt-cy-en-")
    welsh = words_for(estate.a, "cy")
    assert "CEF Porth y Gogledd" in welsh and "pwyswch 1" in welsh
    assert "HMP Northgate" in words_for(estate.a, "en")  # the English says its English name
    said = _frames(spoken)
    # espeak-ng speaks the same words the same way each time: the Welsh comes first, then
    # (after a pause) the English, word for word as an establishment in England hears it.
    assert said.startswith(_frames(speak("cy", welsh)))
    assert said.endswith(english_only)
    assert len(said) > len(english_only) * 1.8


def test_each_establishment_with_a_phone_has_its_announcement_ready_before_a_call(
    estate: Estate, settings: Any, tmp_path: Path
) -> None:
    settings.WICKETGATE_PHONE_ANNOUNCEMENTS_DIR = tmp_path / "announcements"
    assert speak_announcements() == []  # no phones anywhere: nothing to say
    do_register_device(
        device_id="NGT-PH-1",
        establishment=estate.a,
        location=estate.a_wing,
        kind="phone",
        address="127.0.0.1",
        actor=SETUP,
    )
    ready = speak_announcements()
    assert ready == [announcement_for(estate.a)] and ready[0].is_file()
    assert not list(ready[0].parent.glob(f"{estate.b.code.lower()}-*"))


def test_the_words_tell_the_called_person_which_key_accepts(estate: Estate, settings: Any) -> None:
    settings.WICKETGATE_PHONE_ACCEPT_KEY = "5"
    assert "To accept it, press 5." in words_for(estate.a, "en")
    settings.WICKETGATE_PHONE_ACCEPT_KEY = ""  # heard once the announcement is over
    assert "press" not in words_for(estate.a, "en")
    assert "pwyswch" not in words_for(estate.a, "cy")


def test_the_prisoner_is_heard_when_the_announcement_is_over(
    estate: Estate, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, dict[str, str] | None]] = []
    working = [True]

    def ask(command: str, control: str | None = None, **kwargs: Any) -> dict[str, Any]:
        asked.append((command, kwargs.get("call")))
        if not working[0]:
            raise MediaRelayError("rtpengine did not answer")
        return {"result": "ok"}

    monkeypatch.setattr(announcements, "ask", ask)
    call = _waiting_call(estate, accept_by=None, prisoner_heard_from=NOW + dt.timedelta(seconds=6))
    assert release_prisoners(NOW + dt.timedelta(seconds=5)) == []  # still speaking
    working[0] = False
    assert release_prisoners(NOW + dt.timedelta(seconds=7)) == []  # tried, and again later
    working[0] = True
    assert [c.pk for c in release_prisoners(NOW + dt.timedelta(seconds=8))] == [call.pk]
    assert asked[-1] == ("unblock media", {"call-id": "c@h", "from-tag": "handset-tag"})
    assert PhoneCall.objects.get(pk=call.pk).prisoner_held is False
    assert release_prisoners(NOW + dt.timedelta(seconds=9)) == []  # once


def _waiting_call(estate: Estate, **fields: Any) -> PhoneCall:
    return a_phone_call(
        estate.prisoner_a,
        at=NOW,
        **{
            "sip_call_id": "c@h",
            "dialog": "1:2",
            "caller_tag": "handset-tag",
            "called_tag": "trunk-tag",
            "prisoner_held": True,
            "accept_by": NOW + dt.timedelta(seconds=36),
            **fields,
        },
    )


def test_only_the_called_persons_accept_key_accepts(
    estate: Estate, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.WICKETGATE_PHONE_ACCEPT_KEY = "1"
    monkeypatch.setattr(announcements, "ask", lambda *a, **k: {"result": "ok"})
    call = _waiting_call(estate)
    listener_message = b'{"callid":"c@h","source_tag":"handset-tag","type":"DTMF","event":1}'
    keys = announcements.KeyListener("127.0.0.1:0")
    try:
        assert keys.heard(listener_message) is None  # the prisoner's own keypad
        other_key = listener_message.replace(b"handset-tag", b"trunk-tag").replace(b":1}", b":2}")
        assert keys.heard(other_key) is None
        accepted = keys.heard(listener_message.replace(b"handset-tag", b"trunk-tag"))
    finally:
        keys.socket.close()
    assert accepted is not None and accepted.pk == call.pk
    fresh = PhoneCall.objects.get(pk=call.pk)
    assert fresh.accepted_at is not None and fresh.prisoner_held is False


def test_a_call_not_accepted_in_time_is_ended_and_free(
    estate: Estate, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.WICKETGATE_PHONE_ACCEPT_KEY = "1"
    call = _waiting_call(estate)
    hung_up: list[int] = []
    assert end_calls_not_accepted(NOW + dt.timedelta(seconds=30), hang_up=hung_up.append) == []
    [ended] = end_calls_not_accepted(NOW + dt.timedelta(seconds=40), hang_up=hung_up.append)
    assert hung_up == [call.pk]
    assert (ended.ended_by, ended.charge_pence) == (EndedBy.NOT_ACCEPTED, 0)

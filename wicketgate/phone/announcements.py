"""What the called person hears first: that the call is from a person in prison, and
which. Spoken by espeak-ng (Debian's) into a WAV in the announcements folder, once for
each establishment (in Welsh and then English for an establishment in Wales), and played by rtpengine to the called person the moment they answer,
while the prisoner's audio is held back. A call whose announcement cannot be played does
not go on.

Then the called person accepts the call with a key (``WICKETGATE_PHONE_ACCEPT_KEY``):
rtpengine reports each key press to the phone watcher (``KeyListener``), and the prisoner
is heard from then on. A call not accepted within ``WICKETGATE_PHONE_ACCEPT_SECONDS`` of
the announcement's end is ended, and costs nothing. With no key set, the prisoner is
heard when the announcement has finished.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import socket
import subprocess
import threading
import wave
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from wicketgate.audit.log import Actor, record_event
from wicketgate.estate.models import Establishment
from wicketgate.gateway.models import DeviceKind
from wicketgate.phone.calling import do_end_live_phone_call
from wicketgate.phone.codes import EndedBy
from wicketgate.phone.kamailio import KamailioUnreachable
from wicketgate.phone.models import PhoneCall
from wicketgate.phone.rtpengine import MediaRelayError, ask

log = logging.getLogger(__name__)
# RFC 4733's events: 0-9, then * and #.
KEYS = {**{n: str(n) for n in range(10)}, 10: "*", 11: "#"}

ESPEAK = "/usr/bin/espeak-ng"
# What is said, in each language: espeak-ng's voice, then the words. The Welsh was written
# for this and wants a Welsh speaker's check before it is played to the public.
WORDS = {
    "en": (
        "en-gb",
        "This is a call from a person in prison at {name}. It may be recorded and listened to. ",
        "To accept it, press {key}. ",
        "If you do not want to take it, hang up now.",
    ),
    "cy": (
        "cy",
        "Mae'r alwad hon gan berson yn y carchar yn {name}. "
        "Efallai y caiff ei recordio, a gall rhywun wrando arni. ",
        "I'w derbyn, pwyswch {key}. ",
        "Os nad ydych chi eisiau ei derbyn, rhowch y ffôn i lawr nawr.",
    ),
}
PAUSE_SECONDS = 0.6  # between one language and the next


def languages(establishment: Establishment) -> tuple[str, ...]:
    """The languages the establishment's announcement is spoken in, in order: Welsh first
    in Wales, as the Welsh Language Standards ask of public bodies there."""
    return ("cy", "en") if establishment.in_wales else ("en",)


def words_for(establishment: Establishment, language: str) -> str:
    _, opening, accept, closing = WORDS[language]
    name = (establishment.welsh_name if language == "cy" else "") or establishment.name
    key = settings.WICKETGATE_PHONE_ACCEPT_KEY
    return opening.format(name=name) + (accept.format(key=key) if key else "") + closing


def announcements_folder() -> Path:
    return Path(settings.WICKETGATE_PHONE_ANNOUNCEMENTS_DIR)


def announcement_for(establishment: Establishment) -> Path:
    """The establishment's announcement, spoken now if its words have changed (its file
    is named after them); readable by rtpengine's own user."""
    spoken = [
        (language, words_for(establishment, language)) for language in languages(establishment)
    ]
    digest = hashlib.sha256(json.dumps(spoken).encode()).hexdigest()[:12]
    folder = announcements_folder()
    said_in = "-".join(language for language, _ in spoken)
    target = folder / f"{establishment.code.lower()}-{said_in}-{digest}.wav"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    made = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        parts = [speak(language, words) for language, words in spoken]
        _join(parts, made)
    except (OSError, subprocess.SubprocessError, wave.Error) as exc:
        made.unlink(missing_ok=True)
        raise MediaRelayError(
            f"the announcement for {establishment.code} cannot be made: {exc}"
        ) from exc
    made.chmod(0o644)
    made.replace(target)
    return target


def speak_announcements(now: dt.datetime | None = None) -> list[Path]:
    """Every establishment with a phone has its announcement spoken before a call needs
    it: spoken inside a call's answer, it would keep Kamailio waiting (the phone watcher
    does this every few seconds, so a new name or accept key is ready too)."""
    with_phones = Establishment.objects.filter(
        devices__kind=DeviceKind.PHONE, devices__retired_at__isnull=True
    ).distinct()
    return [announcement_for(establishment) for establishment in with_phones]


def speak(language: str, words: str) -> bytes:
    """The words as a WAV, in the language's espeak-ng voice."""
    voice = WORDS[language][0]
    done = subprocess.run(  # noqa: S603 - Debian's espeak-ng, our own words
        [ESPEAK, "-v", voice, "-s", "150", "--stdout", words],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return done.stdout


def _join(parts: list[bytes], target: Path) -> None:
    """One WAV of the parts in turn, a pause between each (espeak-ng speaks every voice at
    the same rate and width)."""
    with wave.open(str(target), "wb") as joined:
        for i, part in enumerate(parts):
            with wave.open(io.BytesIO(part)) as said:
                if i == 0:
                    joined.setparams(said.getparams())
                elif said.getparams()[:3] != joined.getparams()[:3]:
                    raise wave.Error("espeak-ng spoke the languages in different formats")
                else:
                    pause = int(PAUSE_SECONDS * joined.getframerate())
                    joined.writeframes(
                        b"\0" * pause * joined.getsampwidth() * joined.getnchannels()
                    )
                joined.writeframes(said.readframes(said.getnframes()))


def announce(call: PhoneCall, *, caller_tag: str, called_tag: str) -> None:
    """Hold back the prisoner's audio and play the announcement to the called person;
    the watcher lets the prisoner be heard once it has finished (``release_prisoners``).
    Raises ``MediaRelayError`` if rtpengine will not."""
    spoken = announcement_for(call.prisoner.establishment)
    ask("block media", call={"call-id": call.sip_call_id, "from-tag": caller_tag})
    played = ask(
        "play media",
        call={"call-id": call.sip_call_id, "from-tag": called_tag},
        file=str(spoken),
    )
    spoken_until = timezone.now() + dt.timedelta(seconds=int(played.get("duration", 0) or 0) / 1000)
    key = settings.WICKETGATE_PHONE_ACCEPT_KEY
    accept = dt.timedelta(seconds=settings.WICKETGATE_PHONE_ACCEPT_SECONDS)
    with transaction.atomic():
        PhoneCall.objects.filter(pk=call.pk).update(
            caller_tag=caller_tag[:128],
            called_tag=called_tag[:128],
            prisoner_held=True,
            prisoner_heard_from=None if key else spoken_until,
            accept_by=spoken_until + accept if key else None,
        )


def do_accept_phone_call(sip_call_id: str, source_tag: str, key: str) -> PhoneCall | None:
    """A key pressed on a call, as rtpengine reports it: the called person's accept key
    on a live call waiting for it lets the prisoner be heard. Anything else (another key,
    the prisoner's own keypad, a call not waiting) changes nothing."""
    wanted = settings.WICKETGATE_PHONE_ACCEPT_KEY
    if not wanted or key != wanted or not source_tag:
        return None
    now = timezone.now()
    with transaction.atomic():
        call = (
            PhoneCall.objects.live()
            .select_for_update()
            .select_related("prisoner__establishment")
            .filter(
                sip_call_id=sip_call_id,
                called_tag=source_tag,
                accept_by__isnull=False,
                accepted_at__isnull=True,
            )
            .first()
        )
        if call is None:
            return None
        call.accepted_at = now
        call.prisoner_heard_from = now
        call.save(update_fields=["accepted_at", "prisoner_heard_from"])
        record_event(
            "phone.call.accept",
            actor=Actor.system("phone"),
            subject=call.prisoner,
            establishment=call.prisoner.establishment,
            details={"call": call.pk, "number": call.number},
        )
    release_prisoners(now)
    return call


def end_calls_not_accepted(
    now: dt.datetime | None = None, *, hang_up: Callable[[int], None] | None = None
) -> list[PhoneCall]:
    """Calls whose called person did not accept in time: ended, and charged nothing."""
    moment = now or timezone.now()
    ended = []
    for call in PhoneCall.objects.live().filter(accept_by__lt=moment, accepted_at__isnull=True):
        try:
            ended.append(
                do_end_live_phone_call(
                    call,
                    reason="The called person did not accept the call.",
                    actor=Actor.system("phone"),
                    ended_by=EndedBy.NOT_ACCEPTED,
                    **({"hang_up": hang_up} if hang_up is not None else {}),
                )
            )
        except KamailioUnreachable:
            continue  # recorded as ended; it still ends at its limit
    return ended


class KeyListener:
    """Hears rtpengine's key presses (its ``dtmf-log-dest``: one JSON datagram each) and
    accepts the calls they accept."""

    def __init__(self, listen: str | None = None) -> None:
        host, _, port = (listen or str(settings.WICKETGATE_PHONE_KEYS_LISTEN)).rpartition(":")
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((host, int(port)))
        self.socket.settimeout(0.5)

    def run(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            try:
                message = self.socket.recv(65536)
            except TimeoutError:
                continue
            try:
                close_old_connections()  # a long-lived thread: a connection gone stale is renewed
                self.heard(message)
            except Exception:  # one bad message must not stop the listening
                log.exception("phone: a key press could not be handled")
        self.socket.close()

    def heard(self, message: bytes) -> PhoneCall | None:
        event = json.loads(message)
        if not isinstance(event, dict) or event.get("type", "DTMF") != "DTMF":
            return None
        key = KEYS.get(int(event.get("event", -1)), "")
        return do_accept_phone_call(
            str(event.get("callid", "")), str(event.get("source_tag", "")), key
        )


def release_prisoners(now: dt.datetime | None = None) -> list[PhoneCall]:
    """Let the prisoner be heard on each live call whose announcement has finished."""
    moment = now or timezone.now()
    released = []
    for call in PhoneCall.objects.live().filter(
        prisoner_held=True, prisoner_heard_from__lte=moment
    ):
        try:
            ask("unblock media", call={"call-id": call.sip_call_id, "from-tag": call.caller_tag})
        except MediaRelayError:
            continue  # tried again next round; the call is gone if rtpengine has no session
        PhoneCall.objects.filter(pk=call.pk).update(prisoner_held=False)
        released.append(call)
    return released

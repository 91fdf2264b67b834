"""What the called person hears first: that the call is from a person in prison, and
which. Spoken by espeak-ng (Debian's) into a WAV in the announcements folder, once for
each establishment, and played by rtpengine to the called person the moment they answer,
while the prisoner's audio is held back; the phone watcher lets it through when the
announcement has finished. A call whose announcement cannot be played does not go on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wicketgate.estate.models import Establishment
from wicketgate.phone.models import PhoneCall
from wicketgate.phone.rtpengine import MediaRelayError, ask

ESPEAK = "/usr/bin/espeak-ng"
WORDS = (
    "This is a call from a person in prison at {name}. It may be recorded and listened to. "
    "If you do not want to take it, hang up now."
)


def announcements_folder() -> Path:
    return Path(settings.WICKETGATE_PHONE_ANNOUNCEMENTS_DIR)


def announcement_for(establishment: Establishment) -> Path:
    """The establishment's announcement, spoken now if its words have changed (its file
    is named after them); readable by rtpengine's own user."""
    words = WORDS.format(name=establishment.name)
    digest = hashlib.sha256(words.encode()).hexdigest()[:12]
    folder = announcements_folder()
    target = folder / f"{establishment.code.lower()}-en-{digest}.wav"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    made = target.with_suffix(f".{os.getpid()}.tmp")
    try:
        subprocess.run(  # noqa: S603 - Debian's espeak-ng, our own words
            [ESPEAK, "-v", "en-gb", "-s", "150", "-w", str(made), words],
            check=True,
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        made.unlink(missing_ok=True)
        raise MediaRelayError(
            f"the announcement for {establishment.code} cannot be made: {exc}"
        ) from exc
    made.chmod(0o644)
    made.replace(target)
    return target


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
    seconds = int(played.get("duration", 0) or 0) / 1000
    with transaction.atomic():
        PhoneCall.objects.filter(pk=call.pk).update(
            caller_tag=caller_tag[:128],
            called_tag=called_tag[:128],
            prisoner_heard_from=timezone.now() + dt.timedelta(seconds=seconds),
            prisoner_held=True,
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

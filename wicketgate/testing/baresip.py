"""baresip (Debian's ``baresip-core``) as a real SIP user agent with audio, for the phone
tests: a handset or a called person whose microphone is a WAV file of a steady tone, and
whose ears are baresip's ``sndfile`` dump of what it received. ``tone_share`` says how
much of a stretch of that audio is a given tone."""

from __future__ import annotations

import array
import math
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wicketgate.testing.processes import stop

BARESIP = "/usr/bin/baresip"
MODULES = "/usr/lib/baresip/modules"
RATE = 8000  # G.711's


@dataclass
class Baresip:
    folder: Path
    process: subprocess.Popen[bytes]
    port: int

    def log(self) -> str:
        return (self.folder / "baresip.log").read_text(errors="replace")

    def heard(self) -> array.array[int]:
        """What it received on its call, as 16-bit samples at 8 kHz."""
        dumps = sorted((self.folder / "heard").glob("*-dec.wav"))
        if not dumps:
            raise AssertionError(f"baresip recorded no call: {self.log()[-2000:]}")
        with wave.open(str(dumps[-1])) as audio:
            if (audio.getframerate(), audio.getnchannels()) != (RATE, 1):
                raise AssertionError(f"baresip recorded {audio.getparams()}, not 8 kHz mono")
            samples = array.array("h")
            samples.frombytes(audio.readframes(audio.getnframes()))
            return samples

    def wait(self, timeout: float) -> None:
        self.process.wait(timeout=timeout)


def free_sip_port() -> int:
    """A loopback port free for UDP and TCP, with the next one free too (baresip listens
    for SIP over TLS one port up)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port < 65535 and all(_free(port + step) for step in (0, 1)):
            return port
    raise RuntimeError("no free pair of ports on loopback")


def _free(port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def write_tone(path: Path, hz: int, seconds: int) -> None:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(RATE)
        audio.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / RATE)))
                for i in range(RATE * seconds)
            )
        )


@contextmanager
def baresip(
    *,
    tone: int,
    user: str,
    password: str = "",
    dial: str = "",
    seconds: int = 60,
) -> Iterator[Baresip]:
    """A user agent saying ``tone`` Hz, as ``user`` (authenticating with ``password`` when
    challenged); it answers any call at once, or ``dial``s that SIP URI when it starts;
    it quits after ``seconds``."""
    folder = Path(tempfile.mkdtemp(prefix="wg-baresip-test-"))
    (folder / "heard").mkdir()
    write_tone(folder / "says.wav", tone, seconds + 5)
    port = free_sip_port()
    (folder / "config").write_text(
        "\n".join(
            [
                "poll_method epoll",
                f"sip_listen 127.0.0.1:{port}",
                "net_interface 127.0.0.1",  # its audio from loopback, where its SIP comes from
                "call_local_timeout 60",
                "audio_player alsa,null",
                f"audio_source aufile,{folder / 'says.wav'}",
                "audio_alert alsa,null",
                f"ausrc_srate {RATE}",
                f"auplay_srate {RATE}",
                "ausrc_channels 1",
                "auplay_channels 1",
                f"module_path {MODULES}",
                "module g711.so",
                "module sndfile.so",
                "module alsa.so",
                "module aufile.so",
                "module_tmp uuid.so",
                "module_tmp account.so",
                "module_app menu.so",
                f"snd_path {folder / 'heard'}",
                "",
            ]
        )
    )
    secret = f";auth_pass={password}" if password else ""
    (folder / "accounts").write_text(
        f"<sip:{user}@127.0.0.1:{port}>;regint=0;answermode=auto;audio_codecs=PCMA,PCMU{secret}\n"
    )
    arguments = [BARESIP, "-f", str(folder), "-t", str(seconds)]
    if dial:
        arguments += ["-e", f"/dial {dial}"]
    log = (folder / "baresip.log").open("wb")
    process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(0.5)  # listening
        if process.poll() is not None:
            raise RuntimeError(f"baresip exited: {(folder / 'baresip.log').read_text()[-2000:]}")
        yield Baresip(folder, process, port)
    finally:
        stop(process)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def tone_share(samples: array.array[int], hz: int, start: float, end: float) -> float:
    """How much of the audio from ``start`` to ``end`` seconds is the tone ``hz``: about 1
    for the tone alone, about 0 for speech or silence (Goertzel's power against the whole
    energy)."""
    stretch = samples[int(start * RATE) : int(end * RATE)]
    if not stretch:
        return 0.0
    coefficient = 2 * math.cos(2 * math.pi * hz / RATE)
    before = earlier = 0.0
    for sample in stretch:
        before, earlier = sample + coefficient * before - earlier, before
    power = before * before + earlier * earlier - coefficient * before * earlier
    energy = sum(float(sample) * sample for sample in stretch)
    return 0.0 if energy == 0 else power / (energy * len(stretch) / 2)


def loudness(samples: array.array[int], start: float, end: float) -> float:
    """The root mean square of the audio from ``start`` to ``end`` seconds."""
    stretch = samples[int(start * RATE) : int(end * RATE)]
    return math.sqrt(sum(float(s) * s for s in stretch) / len(stretch)) if stretch else 0.0

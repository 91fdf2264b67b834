"""The real Kamailio and SIPp for the phone tests: Kamailio rendered from
``deploy/kamailio`` on free loopback ports, a SIPp trunk that answers, and SIPp handsets
that call through it with digest credentials."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wicketgate.phone.kamailio import KamailioSetup, command, render_config
from wicketgate.phone.rtpengine import MediaRelayError, RtpengineSetup, ask
from wicketgate.phone.rtpengine import command as media_command
from wicketgate.phone.rtpengine import render_config as render_media
from wicketgate.testing.processes import stop

SCENARIOS = Path(__file__).resolve().parents[1] / "phone" / "tests" / "sipp"
SIPP = "/usr/bin/sipp"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningKamailio:
    setup: KamailioSetup
    process: subprocess.Popen[bytes]
    folder: Path
    media: RunningRtpengine

    @property
    def port(self) -> int:
        return self.setup.listen_port

    def log(self) -> str:
        return (self.folder / "kamailio.log").read_text(errors="replace")


@contextmanager
def running_kamailio(
    ask_url: str,
    *,
    realm: str,
    trunk_port: int,
    edit: Callable[[str], str] | None = None,
    keys_to: str = "",
) -> Iterator[RunningKamailio]:
    """With an rtpengine of its own for the calls' audio (reporting key presses to
    ``keys_to``). ``edit``: a change to the rendered configuration (the phone benchmark's
    limit)."""
    with (
        running_rtpengine(keys_to=keys_to) as media,
        _running_kamailio(
            ask_url, realm=realm, trunk_port=trunk_port, media=media, edit=edit
        ) as kamailio,
    ):
        yield kamailio


@contextmanager
def _running_kamailio(
    ask_url: str,
    *,
    realm: str,
    trunk_port: int,
    media: RunningRtpengine,
    edit: Callable[[str], str] | None,
) -> Iterator[RunningKamailio]:
    folder = Path(tempfile.mkdtemp(prefix="wg-kamailio-test-"))
    setup = KamailioSetup(
        folder=folder / "kamailio",
        listen_address="127.0.0.1",
        listen_port=free_udp_port(),
        trunk=f"127.0.0.1:{trunk_port}",
        realm=realm,
        ask_url=ask_url,
        children=2,
        nonce_secret=secrets.token_hex(16),
        media_control=media.setup.control,
    )
    render_config(setup)
    if edit is not None:
        setup.config_file.write_text(edit(setup.config_file.read_text()))
    check = subprocess.run(
        [*command(setup)[:1], "-c", "-f", str(setup.config_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise RuntimeError(f"kamailio -c refused the configuration: {check.stderr[-2000:]}")
    log = (folder / "kamailio.log").open("wb")
    process = subprocess.Popen(command(setup), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_sip(setup.listen_port, process)
        yield RunningKamailio(setup, process, folder, media)
    finally:
        stop(process)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def wait_for_sip(port: int, process: subprocess.Popen[Any]) -> None:
    """Until Kamailio answers an OPTIONS on its port (while ``process`` runs)."""
    deadline = time.monotonic() + 20
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        probe.settimeout(0.3)
        here = probe.getsockname()[1]  # replies go to the Via's address: ours
        options = (
            f"OPTIONS sip:ping@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{here};branch=z9hG4bK-wg-ping\r\n"
            "From: <sip:ping@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\n"
            "Call-ID: wg-ping\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n"
        ).encode()
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"kamailio exited with {process.returncode}")
            probe.sendto(options, ("127.0.0.1", port))
            try:
                if b"SIP/2.0 200" in probe.recv(4096):
                    return
            except TimeoutError:
                continue
    raise RuntimeError("kamailio did not answer on its port in 20 s")


@dataclass
class Trunk:
    """A SIPp UAS standing in for the carrier: answers, and logs the Request-URIs."""

    port: int
    process: subprocess.Popen[bytes]
    folder: Path

    def requests(self) -> str:
        return "".join(
            path.read_text(errors="replace") for path in self.folder.glob("*_messages.log")
        )


@contextmanager
def sip_trunk(*, accepts: bool = False) -> Iterator[Trunk]:
    """``accepts``: the called person presses 1 half a second after answering."""
    folder = Path(tempfile.mkdtemp(prefix="wg-trunk-test-"))
    port = free_udp_port()
    process = subprocess.Popen(
        [
            SIPP,
            "-sf",
            str(SCENARIOS / ("uas_trunk_accepts.xml" if accepts else "uas_trunk.xml")),
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-mi",
            "127.0.0.1",
            "-mp",
            str(free_udp_port()),
            "-rtp_echo",  # the called person's audio: what it hears, sent back
            "-nostdin",
            "-trace_msg",
            "-timeout",
            "120",
        ],  # fmt: skip
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        yield Trunk(port, process, folder)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def call(
    kamailio: RunningKamailio,
    *,
    user: str,
    pin: str,
    number: str,
    expect: int,
    hang_up_after: float | None = None,
    media: bool = False,
) -> str:
    """A handset on 127.0.0.1 calls ``number`` as ``user`` with ``pin``: SIPp's output,
    once the call has the final answer ``expect`` (200: answered, then hung up by
    Kamailio, or by the handset ``hang_up_after`` seconds after the answer). Raises
    AssertionError with SIPp's and Kamailio's words if not."""
    folder = Path(tempfile.mkdtemp(prefix="wg-handset-test-"))
    pause: list[str] = []
    try:
        if expect == 200 and hang_up_after is not None:
            # with audio: SIPp's G.711 recording played from a media port of its own
            scenario = SCENARIOS / ("uac_media.xml" if media else "uac_hangs_up.xml")
            pause = ["-d", str(int(hang_up_after * 1000))]
            if media:
                pause += ["-mi", "127.0.0.1", "-mp", str(free_udp_port())]
        elif expect == 200:
            scenario = SCENARIOS / "uac_allowed.xml"
        else:
            scenario = folder / "refused.xml"
            scenario.write_text(
                (SCENARIOS / "uac_refused.tmpl.xml").read_text().replace("EXPECTED", str(expect))
            )
        (folder / "handset.csv").write_text(f"SEQUENTIAL\n{user}\n")
        result = subprocess.run(
            [
                SIPP,
                f"127.0.0.1:{kamailio.port}",
                "-sf",
                str(scenario),
                "-inf",
                str(folder / "handset.csv"),
                "-au",
                user,
                "-ap",
                pin,
                "-s",
                number,
                "-i",
                "127.0.0.1",
                "-p",
                str(free_udp_port()),
                "-m",
                "1",
                "-nostdin",
                "-timeout",
                "60",
                "-timeout_error",
                "-trace_err",
                *pause,
            ],  # fmt: skip
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            timeout=90,
        )
        errors = "".join(p.read_text(errors="replace") for p in folder.glob("*_errors.log"))
        if result.returncode != 0:
            raise AssertionError(
                f"sipp exit {result.returncode}: {errors[-1500:]}\n"
                f"--- kamailio:\n{kamailio.log()[-3000:]}"
            )
        return result.stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class RunningRtpengine:
    setup: RtpengineSetup
    process: subprocess.Popen[bytes]
    folder: Path

    def log(self) -> str:
        return (self.folder / "rtpengine.log").read_text(errors="replace")

    def recordings(self) -> list[Path]:
        return sorted((self.setup.recordings / "pcaps").glob("*.pcap"))


@contextmanager
def running_rtpengine(*, keys_to: str = "", ports: int = 100) -> Iterator[RunningRtpengine]:
    """Debian's rtpengine on loopback, from ``deploy/rtpengine``, on free ports (``ports``
    of them for media: four a call); as its own user when the tests run as root."""
    folder = Path(tempfile.mkdtemp(prefix="wg-rtpengine-test-", dir="/tmp"))
    folder.chmod(0o755)  # its user writes the recordings below
    low = 20000 + secrets.randbelow(20000 // ports) * ports
    setup = RtpengineSetup(
        folder=folder / "rtpengine",
        interface="127.0.0.1",
        control=f"127.0.0.1:{free_udp_port()}",
        port_min=low,
        port_max=low + ports - 1,
        keys_to=keys_to or f"127.0.0.1:{free_udp_port()}",
    )
    render_media(setup)
    log = (folder / "rtpengine.log").open("wb")
    process = subprocess.Popen(media_command(setup), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        answered = 0
        while answered < 5:  # rtpengine's control port closes briefly after its first pong
            try:
                ask("ping", setup.control, timeout=0.3)
                answered += 1
                time.sleep(0.02)
            except MediaRelayError:
                answered = 0
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"rtpengine did not start: {(folder / 'rtpengine.log').read_text()[-2000:]}"
                    ) from None
        yield RunningRtpengine(setup, process, folder)
    finally:
        stop(process)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)

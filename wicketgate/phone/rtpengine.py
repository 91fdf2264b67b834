"""rtpengine, the phone calls' media relay: its configuration from ``deploy/rtpengine``,
how it is started, and its ng control protocol.

Debian's ``rtpengine-daemon`` (10.5), userspace forwarding only. Kamailio anchors every
call's audio here (``rtpengine_offer``/``answer``/``delete``), and fails closed with 503
when it cannot; a call that may be recorded is written as a pcap of each side's packets
(``record-call``), never a legal one. The ng protocol (bencoded dictionaries over UDP on
loopback) also answers Wicketgate's own questions about a call.

Bencoding is written out here (``_encode``, ``_decode``: four kinds of value): the
maintained library, fastbencode, refuses rtpengine's answers, whose dictionary keys are
not in sorted order as strict bencoding wants.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import pwd
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine

from wicketgate.lib.folders import first_closed_to

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "rtpengine" / "rtpengine.conf.template"
RTPENGINE = "/usr/bin/rtpengine"
RTPENGINE_USER = "rtpengine"  # made by Debian's package


class MediaRelayError(RuntimeError):
    """rtpengine cannot be started as configured, or did not answer; the message says why."""


@dataclass(frozen=True)
class RtpengineSetup:
    folder: Path
    interface: str  # the address media is relayed on
    control: str  # host:port of the ng protocol (UDP; loopback: it has no authentication)
    port_min: int
    port_max: int
    keys_to: str = "127.0.0.1:2224"  # where key presses are reported (UDP)

    @property
    def config_file(self) -> Path:
        return self.folder / "rtpengine.conf"

    @property
    def recordings(self) -> Path:
        return self.folder / "recordings"


def configured() -> RtpengineSetup:
    low, _, high = str(settings.WICKETGATE_PHONE_MEDIA_PORTS).partition("-")
    return RtpengineSetup(
        folder=Path(settings.WICKETGATE_PHONE_DIR) / "rtpengine",
        interface=str(settings.WICKETGATE_PHONE_MEDIA_ADDRESS),
        control=str(settings.WICKETGATE_PHONE_MEDIA_CONTROL),
        port_min=int(low),
        port_max=int(high),
        keys_to=str(settings.WICKETGATE_PHONE_KEYS_LISTEN),
    )


def render_config(setup: RtpengineSetup) -> Path:
    """Write rtpengine.conf and make the recordings folder (its user writes there)."""
    for name in ("interface", "control", "keys_to"):
        value = str(getattr(setup, name))
        if not value or any(char in value for char in " \t\n\r#;="):
            raise MediaRelayError(f"the phone media {name} {value!r} cannot be used")
    host = setup.control.rpartition(":")[0].strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        # Whoever reaches the ng protocol can redirect, record or end any call: it has no
        # authentication, so it stays on this machine.
        raise MediaRelayError(
            f"WICKETGATE_PHONE_MEDIA_CONTROL {setup.control}: rtpengine's control must be on "
            "a loopback address (127.0.0.1:PORT): its protocol has no authentication"
        )
    if not 1024 <= setup.port_min < setup.port_max <= 65535:
        raise MediaRelayError(
            f"WICKETGATE_PHONE_MEDIA_PORTS {setup.port_min}-{setup.port_max}: give a range of "
            "ports above 1023, the lower first"
        )
    if os.geteuid() == 0:
        # It reads its configuration and writes its recordings as its own user.
        closed = first_closed_to(RTPENGINE_USER, setup.folder)
        if closed is not None:
            raise MediaRelayError(
                f"{closed} cannot be entered by the '{RTPENGINE_USER}' user that rtpengine runs "
                f"as, so the media relay cannot work from {setup.folder}. Set "
                "WICKETGATE_PHONE_DIR (or WICKETGATE_DATA_DIR) to a folder outside it, e.g. "
                f"/var/lib/wicketgate/phone, or let others enter it (chmod o+x {closed})."
            )
    setup.recordings.mkdir(parents=True, exist_ok=True)
    context = Context({**setup.__dict__, "recordings": str(setup.recordings)}, autoescape=False)
    text = (
        Engine(autoescape=False).from_string(TEMPLATE.read_text(encoding="utf-8")).render(context)
    )
    setup.config_file.write_text(text, encoding="utf-8")
    if os.geteuid() == 0:
        user = pwd.getpwnam(RTPENGINE_USER)
        os.chown(setup.recordings, user.pw_uid, user.pw_gid)
        setup.recordings.chmod(0o750)
    return setup.config_file


def command(setup: RtpengineSetup) -> list[str]:
    """rtpengine in the foreground, logging to stderr; as Debian's ``rtpengine`` user when
    started as root (``setpriv`` execs, so the process started is rtpengine itself)."""
    relay = [
        RTPENGINE,
        f"--config-file={setup.config_file}",
        "--foreground",
        "--log-stderr",
    ]
    if os.geteuid() != 0:
        return relay
    return [
        "/usr/bin/setpriv",
        f"--reuid={RTPENGINE_USER}",
        f"--regid={RTPENGINE_USER}",
        "--init-groups",
        "--",
        *relay,
    ]


def ask(
    command_name: str,
    control: str | None = None,
    *,
    timeout: float = 0.6,
    call: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One ng command (``ping``, ``query``, ``list``, …) and rtpengine's answer, with
    byte strings decoded. ``call``: the fields naming a call ("call-id", "from-tag"), which
    are no Python names. Raises ``MediaRelayError`` if it does not answer or refuses.

    The timeout is short because Wicketgate asks while Kamailio waits on it (an answered
    call's announcement is two commands, inside Kamailio's two-second question); the socket
    is connected so that a relay that is not there at all is known at once."""
    host, _, port = (control or str(settings.WICKETGATE_PHONE_MEDIA_CONTROL)).rpartition(":")
    cookie = secrets.token_hex(8).encode()
    message = cookie + b" " + _encode({"command": command_name, **(call or {}), **fields})
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((host, int(port)))
            if sock.getsockname() == sock.getpeername():
                # With nothing on that port, the kernel may give the socket that very port:
                # it would hear its own question as the answer.
                raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
            sock.send(message)
            while True:
                reply = sock.recv(65536)
                if reply.startswith(cookie + b" "):
                    break
        except OSError as exc:
            raise MediaRelayError(f"rtpengine at {host}:{port}: {exc}") from exc
    try:
        answer, _ = _decode(reply, len(cookie) + 1)
    except (ValueError, IndexError) as exc:
        raise MediaRelayError(f"rtpengine's answer cannot be read: {reply[:200]!r}") from exc
    if not isinstance(answer, dict) or answer.get("result") in (None, "error"):
        raise MediaRelayError(f"rtpengine refused {command_name}: {answer}")
    return answer


def _encode(value: Any) -> bytes:
    if isinstance(value, bool | int):
        return b"i%de" % int(value)
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list | tuple):
        return b"l" + b"".join(_encode(item) for item in value) + b"e"
    if isinstance(value, dict):
        items = sorted((str(key).encode(), item) for key, item in value.items())
        return b"d" + b"".join(_encode(key) + _encode(item) for key, item in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def _decode(data: bytes, at: int) -> tuple[Any, int]:
    """The value at ``at`` and where the next begins; strings as text (rtpengine's are)."""
    kind = data[at : at + 1]
    if kind == b"i":
        end = data.index(b"e", at)
        return int(data[at + 1 : end]), end + 1
    if kind in (b"l", b"d"):
        items: list[Any] = []
        at += 1
        while data[at : at + 1] != b"e":
            item, at = _decode(data, at)
            items.append(item)
        if kind == b"l":
            return items, at + 1
        if len(items) % 2:
            raise ValueError("a dictionary with a key and no value")
        return dict(zip(items[::2], items[1::2], strict=True)), at + 1
    if kind.isdigit():
        colon = data.index(b":", at)
        start = colon + 1
        end = start + int(data[at:colon])
        if end > len(data):
            raise ValueError("a string longer than the message")
        return data[start:end].decode("utf-8", errors="replace"), end
    raise ValueError(f"not bencoded at {at}")

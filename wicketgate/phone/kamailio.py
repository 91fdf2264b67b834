"""Kamailio, the phone gateway: its configuration from ``deploy/kamailio`` and how it
is started.

Kamailio (Debian ``kamailio``, with ``http_client`` from ``kamailio-utils-modules`` and
``jansson`` from ``kamailio-extra-modules``) authenticates each handset's INVITE with SIP
digest against the HA1 Wicketgate holds, asks Wicketgate whether the call may be made
(``phone.questions``, behind a key only Kamailio knows), and relays an allowed call to the
trunk with the E.164 number, ending it at the decision's limit. Anything else fails
closed: 503 when Wicketgate cannot be asked.

``wicketgate phone run`` renders the configuration, has Kamailio check it, and becomes
Kamailio in the foreground; started as root, Kamailio drops to Debian's ``kamailio``
user once it has read its configuration and bound its port.
"""

from __future__ import annotations

import grp
import ipaddress
import json
import os
import pwd
import re
import secrets
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine

from wicketgate.lib.folders import first_closed_to

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "kamailio" / "kamailio.cfg.template"
KAMAILIO = "/usr/sbin/kamailio"
KAMAILIO_USER = "kamailio"  # made by Debian's package


class KamailioSetupError(RuntimeError):
    """Kamailio cannot be started as configured; the message names what to change."""


@dataclass(frozen=True)
class KamailioSetup:
    folder: Path
    listen_address: str
    listen_port: int
    trunk: str  # host:port of the SIP trunk outside calls leave through
    realm: str
    ask_url: str  # Wicketgate's questions, with the key: http://…/phone/kamailio/<key>
    ask_timeout: int = 2  # seconds (whole): slower than this, and the call is refused
    children: int = 4  # SIP workers; each waits for its own question
    nonce_secret: str = ""
    media_control: str = "127.0.0.1:2223"  # rtpengine's ng address (UDP)

    @property
    def config_file(self) -> Path:
        return self.folder / "kamailio.cfg"

    @property
    def run_dir(self) -> Path:
        return self.folder / "run"

    @property
    def trunk_host(self) -> str:
        """The trunk's address: requests towards a handset are taken from there only."""
        host = self.trunk.rpartition(":")[0] if self.trunk.count(":") == 1 else self.trunk
        return host.strip("[]")

    @property
    def rpc_socket(self) -> Path:
        return self.run_dir / "kamailio_rpc.sock"


class KamailioUnreachable(Exception):
    """Kamailio's RPC socket did not answer, or answered with an error."""


def hang_up(call: int, *, rpc_socket: Path | None = None, timeout: float = 2.0) -> None:
    """End a live call: its id goes in Kamailio's ``wgend`` table over the jsonrpcs
    socket (``htable.seti``), and within 100 ms Kamailio's route[WGEND] sends BYE to both
    ends, as at the limit (and reports the end, as any end is reported).

    Raises ``KamailioUnreachable`` if Kamailio does not take it."""
    return _rpc("htable.seti", ["wgend", str(int(call)), 1], rpc_socket, timeout)


def _rpc(method: str, params: list[object], rpc_socket: Path | None, timeout: float) -> None:
    target = str(rpc_socket or settings.WICKETGATE_PHONE_RPC_SOCKET)
    request = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
    # Kamailio answers to the sender's address: a socket of our own, in a folder it can
    # reach (it may run as its own user), removed after.
    with tempfile.TemporaryDirectory(prefix="wg-rpc-") as folder:
        Path(folder).chmod(0o711)
        here = str(Path(folder) / "reply.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(here)
            Path(here).chmod(0o622)
            sock.settimeout(timeout)
            try:
                sock.sendto(json.dumps(request).encode(), target)
                reply = json.loads(sock.recv(65536))
            except (OSError, ValueError) as exc:
                raise KamailioUnreachable(f"Kamailio's RPC at {target}: {exc}") from exc
    if not isinstance(reply, dict) or "error" in reply:
        raise KamailioUnreachable(f"Kamailio refused {method} {params}: {reply}")


def ask_key() -> str:
    """The key in the path Kamailio asks Wicketgate's questions on: made once, kept 0600."""
    folder = Path(settings.WICKETGATE_PHONE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    keys_file = folder / "secrets.json"
    if not keys_file.exists():
        keys_file.touch(mode=0o600)
        keys_file.write_text(
            json.dumps({"ask_key": secrets.token_urlsafe(32), "nonce": secrets.token_hex(16)}),
            encoding="utf-8",
        )
    return str(json.loads(keys_file.read_text(encoding="utf-8"))["ask_key"])


def configured(*, ask_base: str | None = None) -> KamailioSetup:
    """The installation's Kamailio, from settings."""
    key = ask_key()
    keys = json.loads((Path(settings.WICKETGATE_PHONE_DIR) / "secrets.json").read_text())
    host, _, port = str(settings.WICKETGATE_PHONE_SIP_LISTEN).rpartition(":")
    trunk = str(settings.WICKETGATE_PHONE_TRUNK).removeprefix("sip:")
    base = (ask_base or str(settings.WICKETGATE_PHONE_ASK_URL)).rstrip("/")
    return KamailioSetup(
        folder=Path(settings.WICKETGATE_PHONE_DIR) / "kamailio",
        listen_address=host,
        listen_port=int(port),
        trunk=trunk,
        realm=settings.WICKETGATE_PHONE_REALM,
        ask_url=f"{base}/phone/kamailio/{key}",
        nonce_secret=str(keys.get("nonce", "")),
        media_control=str(settings.WICKETGATE_PHONE_MEDIA_CONTROL),
    )


def render_config(setup: KamailioSetup) -> Path:
    """Write kamailio.cfg (0600: it holds the key) and make its run folder."""
    setup.folder.mkdir(parents=True, exist_ok=True)
    setup.run_dir.mkdir(parents=True, exist_ok=True)
    for name in ("listen_address", "trunk", "realm", "ask_url", "media_control"):
        value = str(getattr(setup, name))
        if not value or any(char in value for char in '"\\\n\r\t $#;'):
            raise KamailioSetupError(
                f"the phone's {name} {value!r} cannot go into Kamailio's configuration: "
                "it is empty or holds a quote, backslash, space, $, # or ;"
            )
    try:
        ipaddress.ip_address(setup.trunk_host)
    except ValueError:
        raise KamailioSetupError(
            f"the phone trunk {setup.trunk!r} must be an IP address and port (sip:192.0.2.10:5060):"
            " Kamailio takes requests towards handsets from that address only"
        ) from None
    # autoescape off: the values go into a Kamailio script, not HTML (a realm escaped
    # as HTML would no longer match the realm the phone PINs' digests were made in).
    context = Context(
        {**setup.__dict__, "run_dir": str(setup.run_dir), "trunk_host": setup.trunk_host},
        autoescape=False,
    )
    text = (
        Engine(autoescape=False).from_string(TEMPLATE.read_text(encoding="utf-8")).render(context)
    )
    setup.config_file.write_text(text, encoding="utf-8")
    setup.config_file.chmod(0o600)
    return setup.config_file


def prepare(setup: KamailioSetup) -> str | None:
    """Render the configuration and, as root, hand it and the run folder to Kamailio's own
    user; returns that user, or None when Kamailio is to run as whoever starts it."""
    if not Path(KAMAILIO).exists():
        raise KamailioSetupError(
            f"{KAMAILIO} is not installed: run `make install` (it installs kamailio)"
        )
    render_config(setup)
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam(KAMAILIO_USER)
        gid = grp.getgrnam(KAMAILIO_USER).gr_gid
    except KeyError:
        raise KamailioSetupError(
            f"there is no '{KAMAILIO_USER}' user for Kamailio to run as: "
            "run `make install` (Debian's kamailio package makes it)"
        ) from None
    _check_reachable(setup.run_dir)
    # It reads its configuration as root, but it is its own; it writes its pid file and
    # control socket, and removes them at the end, as itself.
    for path in (setup.config_file, setup.run_dir, *setup.run_dir.iterdir()):
        os.chown(path, user.pw_uid, gid)
    setup.run_dir.chmod(0o700)
    return KAMAILIO_USER


def check_config(setup: KamailioSetup) -> None:
    """``kamailio -c``: the rendered configuration parses and every module it loads is
    installed; else KamailioSetupError with Kamailio's first complaints."""
    result = subprocess.run(  # noqa: S603 - fixed program, our own configuration file
        [KAMAILIO, "-c", "-f", str(setup.config_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return
    # " 0(123) CRITICAL: <core> [core/cfg.y:3787]: yyerror_at(): parse error in …": the words
    problems = [
        re.sub(r"^.*?(ERROR|CRITICAL):\s*(<[^>]*>\s*)?(\[[^\]]*\]:\s*)?(\w+\(\):\s*)?", "", line)
        for line in result.stderr.splitlines()
        if "ERROR" in line or "CRITICAL" in line
    ]
    said = "; ".join(problems[:3]) or result.stderr[-500:].strip()
    hint = " (a module is missing: run `make install`)" if "module" in said else ""
    raise KamailioSetupError(
        f"Kamailio refuses its configuration {setup.config_file}: {said}{hint}"
    )


def command(setup: KamailioSetup, *, user: str | None = None) -> list[str]:
    """Kamailio in the foreground, logging to stderr, with its own run folder; as ``user``
    (and its group) once it has bound its port, if given."""
    as_user = ["-u", user, "-g", user] if user else []
    return [
        KAMAILIO,
        "-DD",
        "-E",
        "-f",
        str(setup.config_file),
        "-Y",
        str(setup.run_dir),
        "-P",
        str(setup.run_dir / "kamailio.pid"),
        "-m",
        "64",
        "-M",
        "8",
        *as_user,
    ]


def _check_reachable(folder: Path) -> None:
    """Kamailio's user must be able to enter every folder from / down to its run folder."""
    path = first_closed_to(KAMAILIO_USER, folder)
    if path is not None:
        raise KamailioSetupError(
            f"{path} cannot be entered by the '{KAMAILIO_USER}' user that Kamailio runs as, "
            f"so the phone gateway cannot work from {folder.parent}. Set WICKETGATE_PHONE_DIR "
            "(or WICKETGATE_DATA_DIR) to a folder outside it, e.g. /var/lib/wicketgate/phone, "
            f"or let others enter it (chmod o+x {path})."
        )
